"""Work items: call-back requests and voicemails with a number, for agents of region and skill.

Every request is made by `open_work_item` (the IVR's out-of-hours nodes and the queue's
call-back and voicemail choices); agents see the due ones of their on-duty region and skills.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hotline.models import Agent, Call, CallbackRequest, Shift, Voicemail
from hotline.phones import ANONYMOUS
from routing.policy import OPERATOR, skilled
from routing.regions import PROVINCE

OPEN_STATUSES = ("pending", "assigned", "in_progress")
CLOSED_STATUSES = ("done", "unreachable", "cancelled")
VOICEMAIL_SOURCE = "voicemail"


@dataclass(frozen=True)
class Need:
    """What a work item is about: copied from the call (or the IVR's answers so far)."""

    region: str | None = None
    service: str | None = None
    group: str | None = None
    topic: str | None = None
    priority: int = 0


def need_of(call: Call) -> Need:
    """The region, service, group, topic and priority recorded on a call."""
    return Need(call.region, call.service, call.group, call.topic, int(call.priority or 0))


def open_work_item(
    session: Session,
    call: Call,
    source: str,
    now: datetime,
    need: Need | None = None,
    voicemail: Voicemail | None = None,
    created_at: datetime | None = None,
) -> CallbackRequest | None:
    """The call's work item (made once per call); None when the number is withheld.

    A voicemail is linked to the call's request, or becomes one with source "voicemail".
    `created_at` keeps a queued caller's place in line (call-backs are worked oldest first).
    """
    if call.from_number == ANONYMOUS or (call.direction or "inbound") != "inbound":
        return None
    need = need or need_of(call)
    request = None
    if voicemail is not None:
        request = session.scalars(
            select(CallbackRequest).where(CallbackRequest.voicemail_id == voicemail.id)
        ).first()
    if request is None:
        request = session.scalars(
            select(CallbackRequest)
            .where(CallbackRequest.call_id == call.id)
            .order_by(CallbackRequest.id)
        ).first()
    if request is not None:
        if voicemail is not None and request.voicemail_id is None:
            request.voicemail_id = voicemail.id
        return request
    request = CallbackRequest(
        call_id=call.id,
        caller_id=call.caller_id,
        voicemail_id=voicemail.id if voicemail is not None else None,
        phone=call.from_number,
        region=need.region,
        service=need.service,
        group=need.group,
        topic=need.topic,
        source=VOICEMAIL_SOURCE if voicemail is not None else source,
        priority=need.priority,
        status="pending",
        next_attempt_at=None,
        created_at=created_at or now,
    )
    session.add(request)
    session.flush()
    return request


def duty_regions(session: Session, agent_id: int, now: datetime) -> set[str]:
    """The regions of the agent's shifts covering `now` (empty when off duty)."""
    return set(
        session.scalars(
            select(Shift.region).where(
                Shift.agent_id == agent_id, Shift.starts_at <= now, Shift.ends_at > now
            )
        )
    )


def covers(skills: list[str] | frozenset[str], item: CallbackRequest | Voicemail) -> bool:
    """Whether an agent's skills cover the item's service and group (unknown: any skill)."""
    service = item.service or OPERATOR
    return skilled(frozenset(skills or ()), service, item.group or "")


def in_reach(regions: set[str], item: CallbackRequest | Voicemail) -> bool:
    """Whether an on-duty agent of these regions works the item (province items: anyone)."""
    return bool(regions) and (not item.region or item.region == PROVINCE or item.region in regions)


def may_work(session: Session, agent: Agent, item: CallbackRequest, now: datetime) -> bool:
    """Whether the agent is on duty for the item's region and skilled for it."""
    return in_reach(duty_regions(session, agent.id, now), item) and covers(agent.skills, item)


def _region_filter(
    column: InstrumentedAttribute[str | None], regions: set[str]
) -> ColumnElement[bool]:
    return or_(column.is_(None), column == PROVINCE, column.in_(sorted(regions)))


def agent_items(session: Session, agent: Agent, now: datetime) -> list[CallbackRequest]:
    """The due pending items and the agent's own live ones: priority first, then oldest."""
    regions = duty_regions(session, agent.id, now)
    if not regions:
        return []
    due = or_(CallbackRequest.next_attempt_at.is_(None), CallbackRequest.next_attempt_at <= now)
    mine = (CallbackRequest.assigned_agent_id == agent.id) & CallbackRequest.status.in_(
        ("assigned", "in_progress")
    )
    rows = session.scalars(
        select(CallbackRequest)
        .where(
            _region_filter(CallbackRequest.region, regions),
            or_((CallbackRequest.status == "pending") & due, mine),
        )
        .order_by(CallbackRequest.priority.desc(), CallbackRequest.created_at, CallbackRequest.id)
    ).all()
    return [row for row in rows if covers(agent.skills, row)]


def _without_request(status: str) -> Select[tuple[Voicemail]]:
    """Voicemails of a status that are no work item (the caller withheld the number)."""
    return (
        select(Voicemail)
        .outerjoin(CallbackRequest, CallbackRequest.voicemail_id == Voicemail.id)
        .where(Voicemail.status == status, CallbackRequest.id.is_(None))
    )


def anonymous_voicemails(
    session: Session, agent: Agent | None, now: datetime, limit: int = 50
) -> list[Voicemail]:
    """Pending voicemails nobody can call back (no number): shown to listen to."""
    query = _without_request("pending").order_by(Voicemail.created_at, Voicemail.id).limit(limit)
    if agent is not None:
        regions = duty_regions(session, agent.id, now)
        if not regions:
            return []
        query = query.where(_region_filter(Voicemail.region, regions))
    rows = session.scalars(query).all()
    return [row for row in rows if agent is None or covers(agent.skills, row)]


def voicemails_without_number(
    session: Session, status: str, limit: int, offset: int
) -> tuple[list[Voicemail], int]:
    """The follow-up desk's voicemails of a status: pending oldest first, closed newest first."""
    query = _without_request(status)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    if status == "pending":
        query = query.order_by(Voicemail.created_at, Voicemail.id)
    else:
        query = query.order_by(Voicemail.closed_at.desc(), Voicemail.id.desc())
    rows = session.scalars(query.limit(limit).offset(offset)).all()
    return list(rows), int(total or 0)


def supervisor_items(
    session: Session, region: str | None, status: str | None, limit: int, offset: int
) -> tuple[list[CallbackRequest], int]:
    """Items for supervisors: open ones by default, or one status; optionally one region."""
    query = select(CallbackRequest)
    if status:
        query = query.where(CallbackRequest.status == status)
    else:
        query = query.where(CallbackRequest.status.in_(OPEN_STATUSES))
    if region:
        query = query.where(CallbackRequest.region == region)
    total = len(session.scalars(query.with_only_columns(CallbackRequest.id)).all())
    rows = session.scalars(
        query.order_by(CallbackRequest.priority.desc(), CallbackRequest.created_at)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def claim(session: Session, request_id: int, agent_id: int, now: datetime) -> bool:
    """Take a due pending item for one attempt (atomic: one agent wins); False otherwise."""
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed Result.
    result = cast(
        CursorResult[Any],
        session.execute(
            update(CallbackRequest)
            .where(
                CallbackRequest.id == request_id,
                CallbackRequest.status == "pending",
                or_(
                    CallbackRequest.next_attempt_at.is_(None),
                    CallbackRequest.next_attempt_at <= now,
                ),
            )
            .values(status="in_progress", assigned_agent_id=agent_id)
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1


def close(
    session: Session, request: CallbackRequest, status: str, now: datetime, note: str = ""
) -> None:
    """Close an item (done, unreachable, cancelled) and its voicemail alike."""
    request.status = status
    request.closed_at = now
    if note:
        request.outcome_note = note
    if request.voicemail_id is not None:
        voicemail = session.get(Voicemail, request.voicemail_id)
        if voicemail is not None:
            voicemail.status = status
