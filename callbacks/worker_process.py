"""The worker process: RQ's worker and scheduler on the queues, outliving any outage.

`hotline worker` runs `run_worker`. Left alone, RQ's worker quits on some connection errors,
retries others forever (logging every attempt) and its scheduler process dies for good, so
delayed jobs and retries stop. Here the first Redis error ends the RQ worker; the process
waits with backoff until Redis and the database answer (one log line when the outage begins,
one when it ends), queues again the jobs Redis lost, and starts a fresh worker and scheduler.
The worker's heartbeat (hotline.heartbeats) beats with RQ's own, every few seconds.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from rq import Queue, Worker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.scheduler import RQScheduler
from sqlalchemy import text

from callbacks.queues import QUEUES
from hotline.heartbeats import BEAT_SECONDS, WORKERS, Heartbeat
from hotline.outages import DEPENDENCY_ERRORS, REDIS_ERRORS, Outage, retry_in_process
from hotline.runtime import Runtime

log = logging.getLogger("hotline.worker")

# RQ blocks on the queues for worker_ttl - 15 s between its heartbeats: 5 s.
WORKER_TTL_SECONDS = int(BEAT_SECONDS) + 15
# Longer than RQ's blocking dequeue, so a wait for jobs is never taken for a hung Redis.
READ_TIMEOUT_SECONDS = 15.0
# RQ restarts a scheduler that died, and cleans its registries, this often (its default: 10 min).
MAINTENANCE_SECONDS = 60


class _WithoutRetryLines(logging.Filter):
    """Drops RQ's line per connection retry of its command thread: the outage is logged once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "could not connect to Redis instance" not in str(record.msg)


class RedisLost(Exception):
    """Redis failed under RQ: raised past RQ's own retry loop, which catches ConnectionError."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class FailFastQueue(Queue):
    """A queue whose blocking dequeue hands a lost connection to the worker, not to RQ's retry."""

    @classmethod
    def dequeue_any(cls, *args: Any, **kwargs: Any) -> tuple[Job, Queue] | None:
        """Queue.dequeue_any, with Redis errors raised as RedisLost."""
        try:
            return super().dequeue_any(*args, **kwargs)
        except REDIS_ERRORS as exc:
            raise RedisLost(exc) from exc


class QuietScheduler(RQScheduler):
    """RQ's scheduler process, ending quietly when Redis is lost (the worker starts a new one)."""

    def work(self) -> None:
        """Schedule until stopped or until Redis fails."""
        try:
            super().work()  # type: ignore[no-untyped-call]  # rq leaves RQScheduler.work unannotated
        except REDIS_ERRORS as exc:
            self.log.info("scheduler: Redis lost (%s); the worker starts a new one", exc)


class HotlineWorker(Worker):
    """RQ's forking worker that stops at the first Redis error and keeps a hotline heartbeat."""

    def __init__(
        self, *args: Any, heartbeat: Heartbeat, stop: threading.Event, **kwargs: Any
    ) -> None:
        self.hotline_heartbeat = heartbeat
        self.stop = stop
        self.lost: Exception | None = None
        super().__init__(*args, **kwargs)

    @contextmanager
    def _stopping_on_redis_errors(self) -> Iterator[None]:
        """Turn a Redis error into RQ's quiet way out of work(), remembering the error."""
        try:
            yield
        except RedisLost as exc:
            self.lost = exc.cause
            raise StopRequested from exc
        except REDIS_ERRORS as exc:
            self.lost = exc
            raise StopRequested from exc

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's heartbeat, and the hotline one with it."""
        with self._stopping_on_redis_errors():
            super().heartbeat(timeout, pipeline)
            self.hotline_heartbeat.beat_if_due(pipeline)

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        """Wait for a job (see FailFastQueue)."""
        with self._stopping_on_redis_errors():
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run a job in a work horse."""
        with self._stopping_on_redis_errors():
            super().execute_job(job, queue)

    def check_for_suspension(self, burst: bool) -> None:
        """RQ's check before each dequeue; also where a stop asked for before work() is seen."""
        if self.stop.is_set():
            raise StopRequested
        with self._stopping_on_redis_errors():
            super().check_for_suspension(burst)

    def run_maintenance_tasks(self) -> None:
        """RQ's registry cleaning and scheduler restart."""
        with self._stopping_on_redis_errors():
            super().run_maintenance_tasks()  # type: ignore[no-untyped-call]  # rq leaves it unannotated

    def request_stop(self, signum: int, frame: Any) -> None:
        """SIGTERM or SIGINT: stop the process after the job at hand, as RQ does."""
        self.stop.set()
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]  # rq leaves it unannotated

    def teardown(self) -> None:
        """RQ's teardown, doing what can be done without Redis when Redis is lost."""
        if self.is_horse:
            return
        if self.horse_pid:
            # Redis failed while a job ran: let the job end (it fails or finishes) first.
            self.wait_for_horse()
        if self.scheduler is not None:
            self.stop_scheduler()  # type: ignore[no-untyped-call]  # rq leaves it unannotated
        with suppress(*REDIS_ERRORS):
            self.register_death()  # type: ignore[no-untyped-call]  # rq leaves it unannotated
        if self.pubsub_thread is not None:
            try:
                self.unsubscribe()  # wakes RQ's command thread, stops it, closes its connection
            except REDIS_ERRORS:
                # Without Redis the thread is between its retries: stopped, it ends at the next.
                self.pubsub_thread.stop()


def _probe(rt: Runtime) -> None:
    """Raise if Redis or the database does not answer."""
    rt.redis.ping()
    with rt.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _start_scheduler(worker: HotlineWorker, queues: list[Queue]) -> None:
    """Start a scheduler process for the queues, unless another worker's holds them."""
    scheduler = QuietScheduler(queues, connection=worker.connection)
    scheduler.acquire_locks(auto_start=True)  # type: ignore[no-untyped-call]  # rq leaves it unannotated
    worker.scheduler = scheduler


def _work(rt: Runtime, heartbeat: Heartbeat, stop: threading.Event) -> Exception | None:
    """Run one RQ worker until it stops; the Redis error that stopped it, if any."""
    queues: list[Queue] = [FailFastQueue(name, connection=rt.redis) for name in QUEUES]
    worker = HotlineWorker(
        queues, connection=rt.redis, queue_class=FailFastQueue, heartbeat=heartbeat, stop=stop,
        worker_ttl=WORKER_TTL_SECONDS, job_monitoring_interval=int(BEAT_SECONDS),
        maintenance_interval=MAINTENANCE_SECONDS,
    )  # fmt: skip
    # RQ installs its own SIGTERM/SIGINT handlers while it works; the command's come back after.
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        _start_scheduler(worker, queues)
        worker.work()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if worker.scheduler is not None:
            # Also when work() failed before its own teardown: no scheduler outlives its worker.
            worker.stop_scheduler()  # type: ignore[no-untyped-call]  # rq leaves it unannotated
    return worker.lost


def run_worker(rt: Runtime, stop: threading.Event, resume: Callable[[Runtime], int]) -> None:
    """Work the queues until `stop` is set, through any Redis or database outage.

    `resume` queues again what Redis lost (the outbox and the other resumable work); it runs
    at the start and after every outage. Call from the main thread (RQ sets signal handlers).
    """
    retry_in_process(rt.redis, READ_TIMEOUT_SECONDS)
    rq_log = logging.getLogger("rq.worker")
    if not any(isinstance(f, _WithoutRetryLines) for f in rq_log.filters):
        rq_log.addFilter(_WithoutRetryLines())
    heartbeat = Heartbeat(rt.redis, WORKERS)
    outage = Outage(log, "worker")
    log.info("worker started (%s)", heartbeat.key)
    try:
        while not stop.is_set():
            try:
                _probe(rt)
                outage.over()
                resumed = resume(rt)
                if resumed:
                    log.info("%d jobs lost with Redis are queued again", resumed)
                if stop.is_set():
                    break
                lost = _work(rt, heartbeat, stop)
                if lost is not None:
                    raise lost
                if not stop.is_set():
                    log.error("the RQ worker quit by itself (see its log above); starting another")
                    stop.wait(outage.backoff.next_delay())
            except DEPENDENCY_ERRORS as exc:
                delay = outage.failed(exc)
                heartbeat.lost()
                with suppress(*REDIS_ERRORS):
                    heartbeat.beat_if_due()  # a worker waiting out a database outage is alive
                stop.wait(delay)
    finally:
        heartbeat.stop()
        log.info("worker stopped cleanly")
