"""Consultations: recorded by the agent of a call, read by their author and by supervisors."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import func, select

from callbacks.sms.jobs import enqueue_followup
from hotline import clock
from hotline.after_commit import after_commit
from hotline.calls import find_call
from hotline.consultations import (
    DISPOSITIONS,
    REFERRAL_MAX,
    SUMMARY_MAX,
    ConsultationInput,
    agent_of,
    is_supervisor,
    may_read_consultation,
    save_consultation,
)
from hotline.errors import Forbidden, NotFound
from hotline.models import Call, Consultation
from hotline.web.api import bp
from hotline.web.api.docs import QueryParam, api_doc, documented_body, query_int, query_text
from hotline.web.api.json_input import Field
from hotline.web.api.schemas import AGENT_ROLES, ANY_USER, CONSULTATION, CONSULTATION_LIST
from hotline.web.api.security import current_user, token_required
from hotline.web.extensions import db, redis_store
from hotline.web.presenters import consultations_json, taxonomy

CONSULTATION_FIELDS = [
    Field("call_sid", str, max_length=64),
    Field("topic", str, max_length=32),
    Field("summary", str, max_length=SUMMARY_MAX),
    Field("disposition", str, choices=tuple(DISPOSITIONS)),
    Field("referral_office", str, required=False, max_length=REFERRAL_MAX),
    Field("follow_up_needed", bool, required=False),
]
LIMIT = QueryParam("limit", int, "at most this many (newest first)", minimum=1, maximum=100)
OFFSET = QueryParam("offset", int, "skip this many", minimum=0, maximum=100_000)
CALL_SID = QueryParam("call_sid", str, "only the consultation of this call")


def one_json(consultation: Consultation) -> dict[str, Any]:
    """The API shape of one consultation."""
    return consultations_json(db.session, [consultation])[0]


@bp.post("/consultations")
@api_doc(
    "Record the consultation of a call (the agent who took it); gives the case number",
    request=CONSULTATION_FIELDS,
    response=CONSULTATION,
    status=201,
    roles=AGENT_ROLES,
    errors=(404, 409),
    description=(
        "topic is one of the configured topics; one consultation per call: saving a second "
        "time answers 409 with details.case_number of the first. The follow-up SMS job is "
        "queued once the consultation is committed."
    ),
)
@token_required(*AGENT_ROLES)
def create_consultation():  # type: ignore[no-untyped-def]
    """Record a consultation and queue its follow-up SMS after the commit."""
    body = documented_body()
    session = db.session
    agent = agent_of(session, current_user())
    if agent is None:
        raise Forbidden("only agents record consultations")
    call = find_call(session, body["call_sid"])
    if call is None:
        raise NotFound(f"no call {body['call_sid']}")
    consultation = save_consultation(
        session,
        call,
        agent,
        ConsultationInput(
            topic=body["topic"],
            summary=body["summary"],
            disposition=body["disposition"],
            referral_office=body.get("referral_office"),
            follow_up_needed=body.get("follow_up_needed", False),
        ),
        taxonomy(),
        clock.now(),
    )
    after_commit(session, enqueue_followup, redis_store.client, consultation.id)
    session.commit()
    response = jsonify(one_json(consultation))
    response.headers["Location"] = f"/api/consultations/{consultation.case_number}"
    return response, 201


@bp.get("/consultations")
@api_doc(
    "Consultations, newest first: an agent's own, or all for supervisors",
    response=CONSULTATION_LIST,
    roles=ANY_USER,
    query=(LIMIT, OFFSET, CALL_SID),
)
@token_required()
def list_consultations():  # type: ignore[no-untyped-def]
    """List the consultations the user may read."""
    session = db.session
    user = current_user()
    query = select(Consultation)
    if not is_supervisor(user):
        agent = agent_of(session, user)
        query = query.where(Consultation.agent_id == (agent.id if agent else -1))
    call_sid = query_text(CALL_SID, 64)
    if call_sid:
        query = query.join(Call, Call.id == Consultation.call_id).where(Call.call_sid == call_sid)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(Consultation.created_at.desc(), Consultation.id.desc())
        .limit(query_int(LIMIT, 20))
        .offset(query_int(OFFSET, 0))
    ).all()
    return jsonify({"consultations": consultations_json(session, list(rows)), "total": total})


@bp.get("/consultations/<case_number>")
@api_doc(
    "One consultation by case number (its author or a supervisor)",
    response=CONSULTATION,
    roles=ANY_USER,
    errors=(404,),
)
@token_required()
def get_consultation(case_number: str):  # type: ignore[no-untyped-def]
    """Read one consultation."""
    session = db.session
    consultation = session.scalars(
        select(Consultation).where(Consultation.case_number == case_number[:32])
    ).one_or_none()
    if consultation is None:
        raise NotFound(f"no consultation {case_number[:32]}")
    if not may_read_consultation(session, current_user(), consultation):
        raise Forbidden("this consultation was recorded by another agent")
    return jsonify(one_json(consultation))
