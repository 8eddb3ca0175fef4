"""The RQ queues, enqueueing under deterministic ids, and the Runtime the jobs of a process use.

Two queues, each on purpose: `high` holds the call lifecycle's redone steps (an agent or a
caller waits on them); `default` holds the SMS work (follow-ups, surveys, sending). A worker
takes `high` first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.types import FunctionReferenceType

from hotline.runtime import Runtime
from hotline.settings import load_settings

HIGH = "high"
DEFAULT = "default"
QUEUES = (HIGH, DEFAULT)  # in the order a worker takes them
# A job in one of these states will still run: enqueueing its id again would run it twice.
LIVE_STATUSES = frozenset(
    {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}
)

_runtime: Runtime | None = None


def live_job(client: redis.Redis, job_id: str, queue: str = DEFAULT) -> Job | None:
    """The job `job_id` if it will still run (queued, scheduled, started or deferred)."""
    job = Queue(queue, connection=client).fetch_job(job_id)
    if job is not None and job.get_status(refresh=False) in LIVE_STATUSES:
        return job
    return None


def enqueue_once(
    client: redis.Redis,
    job_id: str,
    func: FunctionReferenceType,
    *args: Any,
    delay: timedelta | None = None,
    queue: str = DEFAULT,
    **options: Any,
) -> Job:
    """Enqueue func(*args) as `job_id` (after `delay`), unless that job is still to run."""
    existing = live_job(client, job_id, queue)
    if existing is not None:
        return existing
    target = Queue(queue, connection=client)
    if delay is not None and delay > timedelta(0):
        return target.enqueue_in(delay, func, *args, job_id=job_id, **options)
    return target.enqueue(func, *args, job_id=job_id, **options)


def job_runtime() -> Runtime:
    """The Runtime jobs use: built from the environment once per worker process."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(load_settings())
    return _runtime


@contextmanager
def using_runtime(rt: Runtime) -> Iterator[Runtime]:
    """Run jobs of this process against a given Runtime (tests, in-process workers)."""
    global _runtime
    previous, _runtime = _runtime, rt
    try:
        yield rt
    finally:
        _runtime = previous
