"""Enqueueing RQ jobs under deterministic ids, once while a job of that id is still to run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import redis
from rq import Queue
from rq.job import Job, JobStatus

DEFAULT_QUEUE = "default"
# A job in one of these states will still run: enqueueing its id again would run it twice.
LIVE_STATUSES = frozenset(
    {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}
)


def enqueue_once(
    client: redis.Redis,
    job_id: str,
    func: Callable[..., Any] | str,
    *args: Any,
    delay: timedelta | None = None,
    **options: Any,
) -> Job:
    """Enqueue func(*args) as `job_id` (after `delay`), unless that job is still to run."""
    queue = Queue(DEFAULT_QUEUE, connection=client)
    existing = queue.fetch_job(job_id)
    if existing is not None and existing.get_status(refresh=False) in LIVE_STATUSES:
        return existing
    if delay is not None and delay > timedelta(0):
        return queue.enqueue_in(delay, func, *args, job_id=job_id, **options)
    return queue.enqueue(func, *args, job_id=job_id, **options)
