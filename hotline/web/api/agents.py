"""PUT /api/agents/me/status and GET /api/agents/me/current: an agent's own routing state.

The current call is routing's (an inbound call offered, talked or wrapped up), else the
agent's call-back call (work_items.return_call_talk), so its consultation is recorded alike.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from sqlalchemy import select

from callbacks.work_items.return_call_talk import agent_return_call
from hotline import clock
from hotline.auth import audit
from hotline.errors import Forbidden
from hotline.models import Agent, AuditEntry, Call
from hotline.models.vocabulary import AGENT_ROLES
from hotline.web.api.contract import api_route
from hotline.web.api.models.agents import CurrentCallOut, StatusChangeOut, StatusIn
from hotline.web.api.security import current_user
from hotline.web.extensions import db, redis_store, settings
from hotline.web.labels import work_item_source_label
from routing.agent_status import current_call, describe, set_status
from routing.config import load_routing_config

bp = Blueprint("agents", __name__)


def _my_agent() -> Agent:
    agent = current_user().agent
    if agent is None:
        raise Forbidden("this account has no agent profile")
    return agent


@api_route(
    bp,
    "PUT",
    "/agents/me/status",
    "Set the calling agent's status",
    request=StatusIn,
    response=StatusChangeOut,
    roles=AGENT_ROLES,
)
def put_my_status(body: StatusIn) -> StatusChangeOut:
    """Set my status: available (also ends a pause after a missed call), break or offline."""
    change = set_status(redis_store.client, db.session, _my_agent(), body.status, clock.now())
    return StatusChangeOut(status=change.status, since=change.since, paused=change.paused)


@api_route(
    bp,
    "GET",
    "/agents/me/current",
    "The call now offered to or talking with the calling agent, or null",
    response=CurrentCallOut | None,
    roles=AGENT_ROLES,
    writes=True,  # the token's use, the reveal's audit entry
)
def get_my_current_call() -> dict[str, Any] | None:
    """The call now offered to, talking with or wrapped up by me, or null."""
    session = db.session
    user = current_user()
    now = clock.now()
    agent = _my_agent()
    found = current_call(redis_store.client, session, agent, now)
    source = None
    if found is None:
        wrap_up = load_routing_config(settings().config_dir)
        callback = agent_return_call(session, agent.id, now, wrap_up.wrap_up_seconds)
        if callback is not None:
            found, source = (callback.stage, callback.call), callback.request.source
    if found is None:
        session.commit()  # keeps the token's last_used_at
        return None
    stage, call = found
    body = describe(stage, call, now)
    if source is not None:
        body["direction"] = call.direction
        body["callback_source"] = source
        body["callback_source_label"] = work_item_source_label(source)
    if "caller_full" in body and not _revealed(user.id, call):
        # The same shape as a supervisor's reveal (/api/calls/<sid>/reveal): the caller is
        # the target, the call is named in the detail.
        audit(
            session, "reveal_number", user.id, "caller", str(call.caller_id),
            request.remote_addr, call_sid=call.call_sid, reason="agent on the call",
            stage=stage,
        )  # fmt: skip
    session.commit()
    return body


def _revealed(user_id: int, call: Call) -> bool:
    """Whether this user's sight of the full number on this call is audited already."""
    entries = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.user_id == user_id,
            AuditEntry.action == "reveal_number",
            AuditEntry.target_type == "caller",
            AuditEntry.target_id == str(call.caller_id),
        )
    )
    return any((entry.detail or {}).get("call_sid") == call.call_sid for entry in entries)
