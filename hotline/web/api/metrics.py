"""GET /api/metrics/live and the supervisor actions on agents and waiting calls."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from hotline import clock
from hotline.supervision.actions import Actor, move_call, pause_agent, release_agent
from hotline.supervision.live_setup import LiveSetup, load_live_setup
from hotline.supervision.live_view import AGENT_STATES, live_snapshot
from hotline.web.api import bp
from hotline.web.api.docs import api_doc, documented_body
from hotline.web.api.json_input import Field
from hotline.web.api.schemas import (
    BOOLEAN,
    INTEGER,
    MASKED,
    STRING,
    SUPERVISORS,
    TIME,
    nullable,
    obj,
)
from hotline.web.api.security import current_user, token_required
from hotline.web.extensions import db, redis_store

RATE = nullable("number", minimum=0, maximum=1)
SECONDS = nullable("number", minimum=0)
KPIS = obj(
    {
        "offered": INTEGER, "answered": INTEGER, "abandoned": INTEGER,
        "short_abandons": INTEGER, "callbacks": INTEGER, "voicemails": INTEGER,
        "answered_rate": RATE, "abandon_rate": RATE, "service_level": RATE,
        "asa_seconds": SECONDS, "aht_seconds": SECONDS, "max_wait_seconds": SECONDS,
        "csat": RATE, "ratings": INTEGER, "callbacks_pending": INTEGER,
    }
)  # fmt: skip
QUEUE = {"waiting": INTEGER, "longest_wait_seconds": nullable("integer")}
GROUP = obj(
    {"group": STRING, "label": STRING, **QUEUE, "today": {"oneOf": [KPIS, {"type": "null"}]}}
)
REGION = obj(
    {
        "region": STRING, "label": STRING, **QUEUE,
        "groups": {"type": "array", "items": GROUP},
        "agents": obj({state: INTEGER for state in AGENT_STATES}),
        "today": KPIS,
    }
)  # fmt: skip
LIVE_CALL = obj(
    {
        "call_sid": STRING, "caller": MASKED, "region": nullable("string"),
        "region_label": STRING, "group": nullable("string"), "group_label": STRING,
        "service_label": STRING,
    }
)  # fmt: skip
AGENT = obj(
    {
        "id": INTEGER, "username": STRING, "name": STRING, "region": STRING,
        "region_label": STRING, "on_duty": BOOLEAN,
        "state": {"type": "string", "enum": list(AGENT_STATES)}, "state_label": STRING,
        "paused": BOOLEAN, "state_since": TIME, "seconds_in_state": INTEGER,
        "call": {"oneOf": [LIVE_CALL, {"type": "null"}]},
    }
)  # fmt: skip
WAITING = obj(
    {
        "call_sid": STRING, "caller": MASKED, "region": STRING, "region_label": STRING,
        "group": STRING, "group_label": STRING, "service": STRING, "service_label": STRING,
        "topic": STRING, "priority": INTEGER, "repeat_caller": BOOLEAN, "enqueued_at": TIME,
        "waited_seconds": INTEGER, "position": INTEGER,
    }
)  # fmt: skip
ALERT = obj(
    {
        "kind": {"type": "string", "enum": ["service_level", "longest_wait"]},
        "scope": {"type": "string", "enum": ["centre", "region"]},
        "region": nullable("string"), "value": {"type": "number"},
        "threshold": {"type": "number"}, "message": STRING,
    }
)  # fmt: skip
LIVE_SNAPSHOT = obj(
    {
        "generated_at": TIME, "generated_at_local": STRING, "served_at": TIME,
        "service_level_seconds": {"type": "number"}, "queue": obj(QUEUE), "today": KPIS,
        "regions": {"type": "array", "items": REGION},
        "groups": {"type": "array", "items": GROUP},
        "agents": {"type": "array", "items": AGENT},
        "waiting_callers": {"type": "array", "items": WAITING},
        "alerts": {"type": "array", "items": ALERT},
    }
)  # fmt: skip
AGENT_CHANGE = obj({"agent_id": INTEGER, "status": STRING, "paused": BOOLEAN, "since": TIME})
MOVED = obj({"call_sid": STRING, "region": STRING, "previous_region": STRING})
MOVE_FIELDS = [Field("region", str, max_length=32)]


def live_setup() -> LiveSetup:
    """The live view's config of this deployment."""
    return load_live_setup(current_app.config["HOTLINE_SETTINGS"].config_dir)


def _actor() -> Actor:
    return Actor(current_user().id, request.remote_addr)


@bp.get("/metrics/live")
@api_doc(
    "Queues, agents and today's KPIs per region and group, with alerts (supervisors)",
    response=LIVE_SNAPSHOT,
    roles=SUPERVISORS,
    description="Numbers are masked. Today is the Asia/Shanghai day; cached for about 2 s.",
)
@token_required(*SUPERVISORS)
def get_live_metrics():  # type: ignore[no-untyped-def]
    """The live snapshot."""
    snapshot: dict[str, Any] = live_snapshot(
        db.session, redis_store.client, live_setup(), clock.now()
    )
    db.session.commit()  # keeps the token's last_used_at
    return jsonify(snapshot)


@bp.post("/agents/<int:agent_id>/pause")
@api_doc(
    "Pause an agent: no more calls until released (supervisors; audit-logged)",
    response=AGENT_CHANGE,
    roles=SUPERVISORS,
    errors=(404, 409),
)
@token_required(*SUPERVISORS)
def post_pause_agent(agent_id: int):  # type: ignore[no-untyped-def]
    """Pause an agent."""
    return jsonify(pause_agent(redis_store.client, db.session, agent_id, _actor(), clock.now()))


@bp.post("/agents/<int:agent_id>/release")
@api_doc(
    "Release a paused agent: available again (supervisors; audit-logged)",
    response=AGENT_CHANGE,
    roles=SUPERVISORS,
    errors=(404, 409),
)
@token_required(*SUPERVISORS)
def post_release_agent(agent_id: int):  # type: ignore[no-untyped-def]
    """Release an agent."""
    return jsonify(release_agent(redis_store.client, db.session, agent_id, _actor(), clock.now()))


@bp.post("/calls/<call_sid>/move")
@api_doc(
    "Move a waiting call to another region's queue, keeping its place by wait (audit-logged)",
    request=MOVE_FIELDS,
    response=MOVED,
    roles=SUPERVISORS,
    errors=(404, 409),
    description='region: a region code (e.g. "qiqihar"), its area code ("0452") or "province".',
)
@token_required(*SUPERVISORS)
def post_move_call(call_sid: str):  # type: ignore[no-untyped-def]
    """Move a waiting call."""
    body = documented_body()
    moved = move_call(
        redis_store.client,
        db.session,
        live_setup(),
        call_sid,
        body["region"],
        _actor(),
        clock.now(),
    )
    return jsonify(moved)
