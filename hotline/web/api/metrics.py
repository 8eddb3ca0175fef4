"""GET /api/metrics/live and the supervisor actions on agents and waiting calls."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from hotline import clock
from hotline.models.vocabulary import SUPERVISOR_ROLES
from hotline.supervision.actions import Actor, move_call, pause_agent, release_agent
from hotline.supervision.live_setup import LiveSetup, load_live_setup
from hotline.supervision.live_view import live_snapshot
from hotline.web.api.contract import api_route
from hotline.web.api.models.metrics import AgentChangeOut, LiveSnapshotOut, MovedCallOut, MoveIn
from hotline.web.api.security import current_user
from hotline.web.extensions import db, redis_store, settings

bp = Blueprint("metrics", __name__)


def live_setup() -> LiveSetup:
    """The live view's config of this deployment."""
    return load_live_setup(settings().config_dir)


def _actor() -> Actor:
    return Actor(current_user().id, request.remote_addr)


@api_route(
    bp,
    "GET",
    "/metrics/live",
    "Queues, agents and today's KPIs per region and group, with alerts (supervisors)",
    response=LiveSnapshotOut,
    roles=SUPERVISOR_ROLES,
    description="Numbers are masked. Today is the Asia/Shanghai day; cached for about 2 s.",
)
def get_live_metrics() -> dict[str, Any]:
    """The live snapshot."""
    snapshot = live_snapshot(db.session, redis_store.client, live_setup(), clock.now())
    db.session.commit()  # keeps the token's last_used_at
    return snapshot


@api_route(
    bp,
    "POST",
    "/agents/<int:agent_id>/pause",
    "Pause an agent: no more calls until released (supervisors; audit-logged)",
    response=AgentChangeOut,
    roles=SUPERVISOR_ROLES,
    errors=(404, 409),
)
def post_pause_agent(agent_id: int) -> dict[str, Any]:
    """Pause an agent."""
    return pause_agent(redis_store.client, db.session, agent_id, _actor(), clock.now())


@api_route(
    bp,
    "POST",
    "/agents/<int:agent_id>/release",
    "Release a paused agent: available again (supervisors; audit-logged)",
    response=AgentChangeOut,
    roles=SUPERVISOR_ROLES,
    errors=(404, 409),
)
def post_release_agent(agent_id: int) -> dict[str, Any]:
    """Release an agent."""
    return release_agent(redis_store.client, db.session, agent_id, _actor(), clock.now())


@api_route(
    bp,
    "POST",
    "/calls/<call_sid>/move",
    "Move a waiting call to another region's queue, keeping its place by wait (audit-logged)",
    request=MoveIn,
    response=MovedCallOut,
    roles=SUPERVISOR_ROLES,
    errors=(404, 409),
    description='region: a region code (e.g. "qiqihar"), its area code ("0452") or "province".',
)
def post_move_call(call_sid: str, body: MoveIn) -> dict[str, Any]:
    """Move a waiting call."""
    return move_call(
        redis_store.client, db.session, live_setup(), call_sid, body.region, _actor(), clock.now()
    )
