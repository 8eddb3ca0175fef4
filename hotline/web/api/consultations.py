"""Consultations: recorded by the agent of a call, read by their author and by supervisors."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callbacks.sms.jobs import enqueue_followup
from hotline import clock
from hotline.after_commit import after_commit
from hotline.calls import find_call
from hotline.consultations import (
    DISPOSITIONS,
    ConsultationInput,
    agent_of,
    is_supervisor,
    may_read_consultation,
    save_consultation,
)
from hotline.errors import Forbidden, NotFound
from hotline.models import Call, Consultation
from hotline.models.vocabulary import AGENT_ROLES
from hotline.phones import mask
from hotline.times import format_local
from hotline.web.api.contract import ANY_USER, api_route
from hotline.web.api.models.consultations import (
    ConsultationIn,
    ConsultationListOut,
    ConsultationOut,
    ConsultationsQuery,
)
from hotline.web.api.security import current_user
from hotline.web.extensions import db, redis_store
from hotline.web.labels import taxonomy
from hotline.web.lookups import agent_names, caller_phones, rows_by_id

bp = Blueprint("consultations", __name__)


def consultation_outs(session: Session, rows: list[Consultation]) -> list[ConsultationOut]:
    """The records of these consultations (the callers' numbers masked), in four queries."""
    calls = rows_by_id(session, Call, (c.call_id for c in rows))
    agents = agent_names(session, (c.agent_id for c in rows))
    phones = caller_phones(session, (c.caller_id for c in rows))
    tax = taxonomy()
    result = []
    for row in rows:
        call = calls.get(row.call_id) if row.call_id else None
        agent = agents.get(row.agent_id) if row.agent_id else None
        group = tax.group_of(row.topic)
        result.append(
            ConsultationOut(
                case_number=row.case_number,
                call_sid=call.call_sid if call else None,
                service=row.service,
                topic=row.topic,
                group=group.digit if group else None,
                summary=row.summary,
                disposition=row.disposition,
                disposition_label=DISPOSITIONS.get(row.disposition, row.disposition),
                referral_office=row.referral_office,
                follow_up_needed=row.follow_up_needed,
                agent=agent.username if agent else None,
                agent_name=(agent.display_name or agent.username) if agent else None,
                caller=mask(phones.get(row.caller_id) if row.caller_id else None),
                created_at=row.created_at,
                created_at_local=format_local(row.created_at),
            )
        )
    return result


@api_route(
    bp,
    "POST",
    "/consultations",
    "Record the consultation of a call (the agent who took it); gives the case number",
    request=ConsultationIn,
    response=ConsultationOut,
    status=201,
    roles=AGENT_ROLES,
    errors=(404, 409),
    description=(
        "topic is one of the configured topics; one consultation per call: saving a second "
        "time answers 409 with details.case_number of the first. The follow-up SMS job is "
        "queued once the consultation is committed."
    ),
)
def create_consultation(body: ConsultationIn) -> tuple[ConsultationOut, dict[str, str]]:
    """Record a consultation and queue its follow-up SMS after the commit."""
    session = db.session
    agent = agent_of(session, current_user())
    if agent is None:
        raise Forbidden("only agents record consultations")
    call = find_call(session, body.call_sid)
    if call is None:
        raise NotFound(f"no call {body.call_sid}")
    consultation = save_consultation(
        session,
        call,
        agent,
        ConsultationInput(
            topic=body.topic,
            summary=body.summary,
            disposition=body.disposition,
            referral_office=body.referral_office,
            follow_up_needed=body.follow_up_needed,
        ),
        taxonomy(),
        clock.now(),
    )
    after_commit(session, enqueue_followup, redis_store.client, consultation.id)
    session.commit()
    location = f"/api/consultations/{consultation.case_number}"
    return consultation_outs(session, [consultation])[0], {"Location": location}


@api_route(
    bp,
    "GET",
    "/consultations",
    "Consultations, newest first: an agent's own, or all for supervisors",
    response=ConsultationListOut,
    query=ConsultationsQuery,
    roles=ANY_USER,
)
def list_consultations(query: ConsultationsQuery) -> ConsultationListOut:
    """List the consultations the user may read."""
    session = db.session
    user = current_user()
    rows = select(Consultation)
    if not is_supervisor(user):
        agent = agent_of(session, user)
        rows = rows.where(Consultation.agent_id == (agent.id if agent else -1))
    if query.call_sid:
        rows = rows.join(Call, Call.id == Consultation.call_id).where(
            Call.call_sid == query.call_sid
        )
    total = session.scalar(select(func.count()).select_from(rows.subquery())) or 0
    page = session.scalars(
        rows.order_by(Consultation.created_at.desc(), Consultation.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    return ConsultationListOut(consultations=consultation_outs(session, list(page)), total=total)


@api_route(
    bp,
    "GET",
    "/consultations/<case_number>",
    "One consultation by case number (its author or a supervisor)",
    response=ConsultationOut,
    roles=ANY_USER,
    errors=(403, 404),
)
def get_consultation(case_number: str) -> ConsultationOut:
    """Read one consultation."""
    session = db.session
    consultation = session.scalars(
        select(Consultation).where(Consultation.case_number == case_number[:32])
    ).one_or_none()
    if consultation is None:
        raise NotFound(f"no consultation {case_number[:32]}")
    if not may_read_consultation(session, current_user(), consultation):
        raise Forbidden("this consultation was recorded by another agent")
    return consultation_outs(session, [consultation])[0]
