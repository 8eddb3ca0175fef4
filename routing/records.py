"""The database side of routing steps: the call's stage, its timed events, the agent's pause.

Each stage change is a conditional UPDATE (…WHERE stage = the expected stage), so a step that
races with another (a hang-up, a second webhook) changes nothing instead of undoing it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from hotline.calls import add_event, find_call
from hotline.models import Agent, Call
from routing.policy import STAGE_NAMES


def _move(
    session: Session,
    call: Call,
    expected: tuple[str, ...],
    held_by: int | None = None,
    **values: Any,
) -> bool:
    """Move the call on if it is in an expected stage (and, given `held_by`, that agent's)."""
    conditions = [Call.id == call.id, Call.stage.in_(expected)]
    if held_by:
        conditions.append(Call.agent_id == held_by)
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed Result.
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Call)
            .where(*conditions)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        ),
    )
    return result.rowcount == 1


def seconds_between(start: datetime | None, end: datetime) -> int | None:
    """Whole seconds from start to end (never negative), None without a start."""
    if start is None:
        return None
    return max(0, int((end - start).total_seconds()))


def mark_offered(
    session: Session,
    call_sid: str,
    agent_id: int,
    offer_id: str,
    agent_region: str,
    tier: int,
    stage: int,
    now: datetime,
) -> Call | None:
    """queued -> ringing with the agent; None if the call has left the queue (it ended).

    A call the database still shows ringing (an offer whose end was never recorded, e.g. lost
    with Redis) is offered again: the Redis reservation already decided who gets the caller.
    """
    call = find_call(session, call_sid)
    if call is None:
        return None
    if not _move(session, call, ("queued", "ringing"), stage="ringing", agent_id=agent_id):
        return None
    add_event(
        session, call, "offered", now, agent_id=agent_id, region=call.region, offer=offer_id,
        agent_region=agent_region, tier=tier, reach=STAGE_NAMES[stage],
    )  # fmt: skip
    return call


def undo_offered(
    session: Session, call: Call, agent_id: int, offer_id: str, reason: str, now: datetime
) -> None:
    """ringing -> queued after an offer the telephony could not carry out.

    Only while the call still rings for that agent: a newer offer to another agent, made as soon
    as the live state had the caller back, is not undone.
    """
    _move(session, call, ("ringing",), held_by=agent_id, stage="queued", agent_id=None)
    add_event(
        session, call, "offer_failed", now, agent_id=agent_id, region=call.region,
        offer=offer_id, reason=reason,
    )  # fmt: skip


def mark_answered(
    session: Session, call: Call, agent_id: int, offer_id: str, now: datetime
) -> bool:
    """ringing -> talking: the agent accepted; the wait ends now."""
    wait = seconds_between(call.queued_at, now)
    if not _move(
        session, call, ("ringing",), stage="talking", agent_id=agent_id, answered_at=now,
        wait_seconds=wait,
    ):  # fmt: skip
        return False
    add_event(
        session, call, "answered", now, agent_id=agent_id, region=call.region, offer=offer_id,
        wait_seconds=wait,
    )  # fmt: skip
    return True


def mark_missed(
    session: Session,
    call: Call | None,
    agent_id: int,
    offer_id: str,
    reason: str,
    now: datetime,
    pause_agent: bool = True,
) -> None:
    """ringing -> queued: the agent did not take the call (and is paused); the caller goes back."""
    if pause_agent:
        session.execute(
            update(Agent)
            .where(Agent.id == agent_id)
            .values(paused_at=now)
            .execution_options(synchronize_session=False)
        )
    if call is None:
        return
    # Only while it rings for this agent: the router may have offered the caller to another
    # agent as soon as the live state had them back in line.
    _move(session, call, ("ringing",), held_by=agent_id, stage="queued", agent_id=None)
    kind = "agent_missed" if pause_agent else "offer_expired"
    add_event(
        session, call, kind, now, agent_id=agent_id, region=call.region, offer=offer_id,
        reason=reason,
    )  # fmt: skip
    add_event(session, call, "requeued", now, agent_id=agent_id, region=call.region, head=True)


def mark_talk_ended(session: Session, call: Call, agent_id: int, now: datetime) -> int:
    """talking -> wrap_up: the talk is over; the agent wraps up, the caller hears the goodbye."""
    talk = seconds_between(call.answered_at, now) or 0
    if not _move(session, call, ("talking",), stage="wrap_up", talk_seconds=talk):
        talk = call.talk_seconds or talk  # the hang-up was recorded first
    add_event(
        session, call, "talk_ended", now, agent_id=agent_id, region=call.region, talk_seconds=talk
    )
    return talk


def mark_wrap_done(session: Session, call: Call | None, agent_id: int, now: datetime) -> None:
    """The agent's wrap-up after this call is over."""
    if call is not None:
        add_event(session, call, "wrap_up_done", now, agent_id=agent_id, region=call.region)


def mark_overflow(
    session: Session, call_id: int, region: str, before: int, after: int, now: datetime
) -> None:
    """The caller now reaches a wider set of agents."""
    data = {
        "region": region,
        "before": STAGE_NAMES[before],
        "to": STAGE_NAMES[after],
        "stage": after,
    }
    add_event(session, call_id, "overflow", now, **data)


def agent_contact(session: Session, agent_id: int) -> str | None:
    """The phone number or client:NAME an agent answers on."""
    return session.scalar(select(Agent.contact).where(Agent.id == agent_id))
