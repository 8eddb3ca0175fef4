"""Call-back attempts that never got their final status: found and ended, so nothing stays stuck.

Twilio posts an attempt's final status once. When that callback is lost (or its webhook failed
and was answered 200, so Twilio does not retry, or the process died around Calls create), the
item would stay in progress, the agent on break and every further 回拨 of theirs refused.
The sweep runs lazily, where it matters: when agents and supervisors list work items, read or
close one, and before a 回拨. An attempt is stale when, past its deadline, nothing happened:

- the agent has not pressed 1: its last sign of life (started, the citizen answered, the Dial
  ended) + both ring timeouts + `stale_margin_seconds`;
- the agent pressed 1 and the Dial has not ended: + `max_talk_minutes` (the Dial's timeLimit)
  + `stale_margin_seconds`.

A stale attempt ends "failed", not counted against the citizen (we do not know what happened:
the item is simply due again); an outcome the Dial's action already reported is kept
(connected: the item is done; agent unreachable). The agent is given back to routing as after
any attempt (return_calls.finish).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks.work_items.return_call_config import ReturnCallConfig
from callbacks.work_items.return_call_talk import AGENT_ANSWERED
from callbacks.work_items.return_calls import finish
from hotline.calls import add_event, find_call
from hotline.db import write_first
from hotline.models import CallbackAttempt, CallbackRequest, CallEvent

DIAL_ENDED = "callback_agent_dialed"
ATTEMPT_ENDED = "callback_attempt_ended"
# Outcomes the <Dial> action reported before the final status: kept when the attempt is ended.
REPORTED = ("connected", "agent_unreachable")


def deadline(session: Session, config: ReturnCallConfig, attempt: CallbackAttempt) -> datetime:
    """When a live attempt is stale if nothing more happened on it."""
    call = find_call(session, attempt.call_sid) if attempt.call_sid else None
    seen: dict[str, datetime] = {}
    if call is not None:
        rows = session.execute(
            select(CallEvent.kind, CallEvent.at).where(
                CallEvent.call_id == call.id, CallEvent.kind.in_((AGENT_ANSWERED, DIAL_ENDED))
            )
        )
        for kind, at in rows:
            seen[kind] = max(at, seen.get(kind, at))
    margin = timedelta(seconds=config.stale_margin_seconds)
    if AGENT_ANSWERED in seen and attempt.outcome == "dialing":
        return seen[AGENT_ANSWERED] + timedelta(seconds=config.talk_limit_seconds) + margin
    signs = [attempt.started_at, attempt.answered_at, *seen.values()]
    return max(at for at in signs if at is not None) + config.stale_after


def stale_attempt_ids(
    session: Session, config: ReturnCallConfig, now: datetime, request_id: int | None = None
) -> list[int]:
    """The live attempts of in-progress items (or of one item) that are past their deadline."""
    query = (
        select(CallbackAttempt)
        .join(CallbackRequest, CallbackRequest.id == CallbackAttempt.request_id)
        .where(
            CallbackRequest.status == "in_progress",
            CallbackAttempt.ended_at.is_(None),
            CallbackAttempt.started_at <= now - config.stale_after,
        )
        .order_by(CallbackAttempt.id)
    )
    if request_id is not None:
        query = query.where(CallbackAttempt.request_id == request_id)
    return [row.id for row in session.scalars(query) if deadline(session, config, row) <= now]


def end_attempt(
    session: Session,
    client: redis.Redis,
    config: ReturnCallConfig,
    attempt: CallbackAttempt,
    now: datetime,
    reason: str,
) -> None:
    """End a live attempt we heard no end of (stale, or its item cancelled); not counted."""
    outcome = attempt.outcome if attempt.outcome in REPORTED else "failed"
    call = find_call(session, attempt.call_sid) if attempt.call_sid else None
    if call is not None:
        add_event(session, call, ATTEMPT_ENDED, now, reason=reason, outcome=outcome,
                  attempt=attempt.number, agent_id=attempt.agent_id)  # fmt: skip
    finish(session, client, config, attempt, outcome, now, counted=False)


def end_stale_attempts(
    session: Session,
    client: redis.Redis,
    config: ReturnCallConfig,
    now: datetime,
    request_id: int | None = None,
) -> int:
    """End every stale attempt (or those of one item); how many were ended.

    Reads without the write lock; only when something is stale does it commit what the
    session holds and take the lock (SQLite), checking each attempt again under it.
    """
    ids = stale_attempt_ids(session, config, now, request_id)
    if not ids:
        return 0
    session.commit()
    ended = 0
    for attempt_id in ids:
        write_first(session)
        attempt = session.get(CallbackAttempt, attempt_id, populate_existing=True)
        if attempt is None or attempt.ended_at is not None:
            continue
        if deadline(session, config, attempt) > now:
            continue
        end_attempt(session, client, config, attempt, now, "stale")
        ended += 1
    session.commit()
    return ended
