"""Work that must wait until a session's transaction has committed, such as enqueueing jobs.

A job enqueued before the commit could run before its rows are visible, or for rows a rollback
then discards. `after_commit(session, fn, *args)` queues `fn(*args)` on the session; it runs
once the outermost transaction commits and is dropped if that transaction rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger("hotline.after_commit")

_PENDING = "hotline.after_commit"


def after_commit(session: Session, fn: Callable[..., Any], *args: Any) -> None:
    """Run fn(*args) once the session's current transaction has committed."""
    if not session.in_transaction():
        # Tie the callback to a transaction, so that rolling it back discards the callback.
        session.begin()
    session.info.setdefault(_PENDING, []).append((fn, args))


def pending(session: Session) -> int:
    """How many callbacks wait for the session's commit (for tests and logs)."""
    return len(session.info.get(_PENDING, []))


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    callbacks = session.info.pop(_PENDING, [])
    for fn, args in callbacks:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001 - the commit stands; a sweeper can redo the work
            log.exception("after-commit callback %s%r failed", getattr(fn, "__name__", fn), args)


@event.listens_for(Session, "after_transaction_end")
def _drop_on_rollback(session: Session, transaction: SessionTransaction) -> None:
    # after_commit has already taken the list when the root committed; whatever is left
    # belongs to a root transaction that rolled back.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)
