"""Call-back and voicemail work items of agents, and starting their outbound calls."""

from __future__ import annotations

from flask import current_app, jsonify, request

from callbacks.work_items import items as work_items
from callbacks.work_items import return_calls as attempts
from callbacks.work_items.closing import close_work_item
from callbacks.work_items.stale_attempts import end_stale_attempts
from hotline import clock
from hotline.auth import audit
from hotline.consultations import agent_of
from hotline.errors import BadRequest, Forbidden, NotFound
from hotline.models import Agent, CallbackRequest
from hotline.models.vocabulary import WORK_ITEM_STATUSES
from hotline.settings import Settings
from hotline.telephony import Telephony
from hotline.web.api import bp
from hotline.web.api.docs import QueryParam, api_doc, documented_body, query_int, query_text
from hotline.web.api.json_input import Field
from hotline.web.api.schemas import AGENT_ROLES, SUPERVISORS
from hotline.web.api.security import current_user, token_required
from hotline.web.api.work_item_json import (
    ITEM,
    ITEM_DETAIL,
    ITEM_LIST,
    STARTED,
    attempt_json,
    item_detail,
    items_json,
    voicemails_json,
)
from hotline.web.extensions import db, redis_store
from hotline.web.presenters import agent_names
from hotline.web.return_calls import config as callback_config
from hotline.web.voice_guard import public_base_url

WORKERS = AGENT_ROLES + SUPERVISORS
REGION = QueryParam("region", str, "supervisors: only items of this region code")
STATUS = QueryParam("status", str, "supervisors: only this status (default: the open ones)")
LIMIT = QueryParam("limit", int, "supervisors: at most this many", minimum=1, maximum=200)
OFFSET = QueryParam("offset", int, "supervisors: skip this many", minimum=0, maximum=100_000)
CLOSE_FIELDS = [Field("outcome_note", str, required=False, max_length=2000)]


def _agent() -> Agent | None:
    user = current_user()
    return agent_of(db.session, user) if user.role in AGENT_ROLES else None


def _end_stale(item_id: int | None = None) -> None:
    """End the call-back attempts (of one item, or all) whose final status never came."""
    end_stale_attempts(db.session, redis_store.client, callback_config(), clock.now(), item_id)


def _readable_item(item_id: int) -> tuple[CallbackRequest, Agent | None]:
    """The item, if this user may see it: supervisors, its agent, or an agent who may work it."""
    session = db.session
    item = session.get(CallbackRequest, item_id)
    if item is None:
        raise NotFound(f"no work item {item_id}")
    agent = _agent()
    if current_user().role in SUPERVISORS:
        return item, agent
    if agent is None:
        raise Forbidden("only agents and supervisors work call-backs")
    if item.assigned_agent_id != agent.id and not work_items.may_work(
        session, agent, item, clock.now()
    ):
        raise Forbidden("这条回拨任务不属于您的值班地区或业务范围")
    return item, agent


@bp.get("/work-items")
@api_doc(
    "Call-back and voicemail work items: an agent's due ones, or all open ones (supervisors)",
    response=ITEM_LIST,
    roles=WORKERS,
    query=(REGION, STATUS, LIMIT, OFFSET),
    description="Agents see pending items that are due, of their on-duty region (province "
    "items: any region) and skills, priority first then oldest; numbers are masked. Attempts "
    "whose final status never came are ended first (config/callbacks.yaml): their items are "
    "due again.",
)
@token_required(*WORKERS)
def list_items():  # type: ignore[no-untyped-def]
    """List work items."""
    _end_stale()
    session = db.session
    moment = clock.now()
    if current_user().role in SUPERVISORS:
        status = query_text(STATUS, 16)
        if status and status not in WORK_ITEM_STATUSES:
            choices = ", ".join(WORK_ITEM_STATUSES)
            raise BadRequest(f"query parameter 'status' must be one of {choices}")
        rows, total = work_items.supervisor_items(
            session, query_text(REGION, 32), status, query_int(LIMIT, 100), query_int(OFFSET, 0)
        )
        voicemails = work_items.anonymous_voicemails(session, None, moment)
    else:
        agent = _agent()
        if agent is None:
            raise Forbidden("this account has no agent profile")
        rows = work_items.agent_items(session, agent, moment)
        total = len(rows)
        voicemails = work_items.anonymous_voicemails(session, agent, moment)
    body = {"items": items_json(rows), "voicemails": voicemails_json(voicemails), "total": total}
    session.commit()
    return jsonify(body)


@bp.get("/work-items/<int:item_id>")
@api_doc(
    "One work item with its attempts; the full number only during the reader's live attempt",
    response=ITEM_DETAIL,
    roles=WORKERS,
    errors=(403, 404),
    description="`phone` is the full number only for the agent whose call-back attempt of the "
    "item is under way (its start is audit-logged); otherwise masked.",
)
@token_required(*WORKERS)
def get_item(item_id: int):  # type: ignore[no-untyped-def]
    """Read one work item (the console polls it while the call-back is under way)."""
    _end_stale(item_id)
    item, agent = _readable_item(item_id)
    body = item_detail(item, agent)
    db.session.commit()
    return jsonify(body)


@bp.post("/work-items/<int:item_id>/call")
@api_doc(
    "Start a call-back: ring the citizen, who is then connected to the calling agent",
    response=STARTED,
    status=201,
    roles=AGENT_ROLES,
    errors=(403, 404, 409, 502),
    description="409 when the item is not due, closed, or being called by someone else, or "
    "the agent's own call-back is under way; the agent is taken out of inbound routing until "
    "the attempt ends. The agent's sight of the full number is audit-logged.",
)
@token_required(*AGENT_ROLES)
def start_call(item_id: int):  # type: ignore[no-untyped-def]
    """Claim the item and place the outbound call."""
    session = db.session
    agent = _agent()
    if agent is None:
        raise Forbidden("this account has no agent profile")
    _end_stale()
    settings: Settings = current_app.config["HOTLINE_SETTINGS"]
    dialer = attempts.Dialer(Telephony.from_settings(settings), settings, public_base_url())
    attempt = attempts.start_attempt(
        session, redis_store.client, dialer, callback_config(), agent, item_id, clock.now()
    )
    item = session.get(CallbackRequest, attempt.request_id)
    audit(
        session, "reveal_number", current_user().id, "caller", str(item.caller_id),
        request.remote_addr, call_sid=attempt.call_sid, reason="agent calling back",
        work_item_id=item.id, attempt_id=attempt.id,
    )  # fmt: skip
    names = agent_names(session, [agent.id])
    body = {"attempt": attempt_json(attempt, names), "item": item_detail(item, agent)}
    session.commit()
    return jsonify(body), 201


@bp.post("/work-items/<int:item_id>/close")
@api_doc(
    "Close a work item with a note: done (an agent who called it), or cancelled (a supervisor)",
    request=CLOSE_FIELDS,
    response=ITEM,
    roles=WORKERS,
    errors=(400, 403, 404, 409),
    description="An agent closes an item they called back (403 otherwise; 409 while their call "
    "is under way), or adds the note to an item their call-back already closed; a supervisor "
    "cancels an open item, ending a call-back attempt of it that is still open. Every close is "
    "audit-logged.",
)
@token_required(*WORKERS)
def close_item(item_id: int):  # type: ignore[no-untyped-def]
    """Close an item as the user may."""
    body = documented_body()
    note = (body.get("outcome_note") or "").strip()
    session = db.session
    _end_stale(item_id)
    item, agent = _readable_item(item_id)
    user = current_user()
    close_work_item(
        session, redis_store.client, callback_config(), item, user, agent, note, clock.now(),
        request.remote_addr, supervisor=user.role in SUPERVISORS,
    )  # fmt: skip
    answer = items_json([item])[0]
    session.commit()
    return jsonify(answer)
