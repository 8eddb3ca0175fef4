"""Consultations: the agent's record of a call, its case number, and who may read what."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.calls import add_event
from hotline.errors import BadRequest, Conflict, Forbidden
from hotline.models import Agent, Call, Caller, CaseNumberCounter, Consultation, User
from hotline.models.vocabulary import SUPERVISOR_ROLES
from hotline.phones import ANONYMOUS
from hotline.taxonomy import Taxonomy
from hotline.times import to_local

CASE_PREFIX = "HL12348"
SUMMARY_MAX = 2000
REFERRAL_MAX = 200

# What became of the consultation, and the label staff see: the codes of Disposition, in its order
# (tests/hotline/test_vocabularies.py checks that the two agree).
Disposition = Literal[
    "answered",
    "legal_aid",
    "mediation",
    "notary_forensic",
    "court_arbitration",
    "callback",
    "complaint_forwarded",
]
DISPOSITIONS: dict[str, str] = {
    "answered": "当场解答",
    "legal_aid": "转法律援助",
    "mediation": "转人民调解",
    "notary_forensic": "转公证/司法鉴定",
    "court_arbitration": "引导诉讼/仲裁",
    "callback": "需回拨",
    "complaint_forwarded": "投诉已转办",
}


@dataclass(frozen=True)
class ConsultationInput:
    """What the agent fills in at wrap-up."""

    topic: str
    summary: str
    disposition: str
    referral_office: str | None = None
    follow_up_needed: bool = False


def format_case_number(day: datetime, value: int) -> str:
    """HL12348-YYYYMMDD-NNNNNN for the Asia/Shanghai day of `day`."""
    return f"{CASE_PREFIX}-{to_local(day):%Y%m%d}-{value:06d}"


def next_case_number(session: Session, now: datetime) -> str:
    """Take the next case number of the Asia/Shanghai day; atomic under concurrent writers.

    One upsert increments the day's counter and returns the new value; the row stays locked
    until the caller's transaction ends, so two transactions never get the same number.
    """
    day = to_local(now).date()
    # Declarative types __table__ as any FromClause; this model is mapped to a Table.
    table = cast(Table, CaseNumberCounter.__table__)
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(table)
            .values(day=day, last_value=1)
            .on_conflict_do_update(
                index_elements=[table.c.day], set_={"last_value": table.c.last_value + 1}
            )
            .returning(table.c.last_value)
        )
        value = session.execute(statement).scalar_one()
    else:  # pragma: no cover - other backends are not supported, but stay correct
        counter = session.get(CaseNumberCounter, day, with_for_update=True)
        if counter is None:
            counter = CaseNumberCounter(day=day, last_value=0)
            session.add(counter)
        counter.last_value += 1
        session.flush()
        value = counter.last_value
    return format_case_number(now, value)


def is_supervisor(user: User) -> bool:
    """Supervisors and admins read every call and consultation."""
    return user.role in SUPERVISOR_ROLES


def agent_of(session: Session, user: User) -> Agent | None:
    """The Agent row of a user (None for supervisors and admins)."""
    return session.scalars(select(Agent).where(Agent.user_id == user.id)).one_or_none()


def may_read_consultation(session: Session, user: User, consultation: Consultation) -> bool:
    """Supervisors read all; an agent reads only the consultations they recorded."""
    if is_supervisor(user):
        return True
    agent = agent_of(session, user)
    return agent is not None and consultation.agent_id == agent.id


def may_read_call(session: Session, user: User, call: Call) -> bool:
    """Supervisors read every call; an agent reads the calls they took."""
    if is_supervisor(user):
        return True
    agent = agent_of(session, user)
    return agent is not None and call.agent_id == agent.id


def check_input(data: ConsultationInput, taxonomy: Taxonomy) -> ConsultationInput:
    """Validate and tidy the agent's input; BadRequest names the first problem."""
    if data.topic not in taxonomy.topics():
        raise BadRequest(f"topic must be one of {', '.join(taxonomy.topics())}")
    if data.disposition not in DISPOSITIONS:
        raise BadRequest(f"disposition must be one of {', '.join(DISPOSITIONS)}")
    summary = data.summary.strip()
    if not summary:
        raise BadRequest("summary must not be empty")
    if len(summary) > SUMMARY_MAX:
        raise BadRequest(f"summary is longer than {SUMMARY_MAX}")
    referral = (data.referral_office or "").strip() or None
    if referral is not None and len(referral) > REFERRAL_MAX:
        raise BadRequest(f"referral_office is longer than {REFERRAL_MAX}")
    return ConsultationInput(
        topic=data.topic,
        summary=summary,
        disposition=data.disposition,
        referral_office=referral,
        follow_up_needed=bool(data.follow_up_needed),
    )


def consultation_for_call(session: Session, call: Call) -> Consultation | None:
    """The consultation recorded for a call, if any."""
    return session.scalars(select(Consultation).where(Consultation.call_id == call.id)).first()


def case_numbers_by_call(session: Session, call_ids: Iterable[int | None]) -> dict[int, str]:
    """The case number of each of these calls that has a consultation."""
    ids = {call_id for call_id in call_ids if call_id}
    if not ids:
        return {}
    rows = session.execute(
        select(Consultation.call_id, Consultation.case_number).where(Consultation.call_id.in_(ids))
    )
    return {call_id: case_number for call_id, case_number in rows}


def save_consultation(
    session: Session,
    call: Call,
    agent: Agent,
    data: ConsultationInput,
    taxonomy: Taxonomy,
    now: datetime,
) -> Consultation:
    """Record the consultation of a call by its agent and give it a case number.

    One consultation per call: a second save is a Conflict naming the existing case number.
    """
    if call.agent_id != agent.id:
        raise Forbidden("only the agent who took this call may record its consultation")
    data = check_input(data, taxonomy)
    existing = consultation_for_call(session, call)
    if existing is not None:
        raise Conflict("this call has a consultation already", case_number=existing.case_number)
    consultation = Consultation(
        case_number=next_case_number(session, now),
        call_id=call.id,
        caller_id=call.caller_id,
        agent_id=agent.id,
        service=call.service,
        topic=data.topic,
        summary=data.summary,
        disposition=data.disposition,
        referral_office=data.referral_office,
        follow_up_needed=data.follow_up_needed,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(consultation)
    except IntegrityError:
        # The same call saved twice at once: the other request won.
        existing = consultation_for_call(session, call)
        raise Conflict(
            "this call has a consultation already",
            case_number=existing.case_number if existing else None,
        ) from None
    add_event(
        session,
        call,
        "consultation_saved",
        case_number=consultation.case_number,
        topic=data.topic,
        disposition=data.disposition,
        agent_id=agent.id,
    )
    return consultation


def caller_history(session: Session, call: Call, limit: int = 10) -> list[Consultation]:
    """The caller's earlier consultations (newest first), not counting this call's."""
    if call.caller_id is None:
        return []
    caller = session.get(Caller, call.caller_id)
    if caller is None or caller.phone == ANONYMOUS:
        # Every withheld number shares one Caller row: their histories are not one person's.
        return []
    query = (
        select(Consultation)
        .where(Consultation.caller_id == call.caller_id)
        .where((Consultation.call_id != call.id) | Consultation.call_id.is_(None))
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
