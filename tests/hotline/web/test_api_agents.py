"""PUT /api/agents/me/status and GET /api/agents/me/current."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline import clock
from hotline.auth import issue_token
from hotline.models import AuditEntry
from hotline.staff import create_user
from routing import keys
from routing.state import RoutingState
from tests.routing.helpers import (
    add_agent,
    agent_row,
    password_hash,
    queue_call,
    redirects,
    start_talk,
    token_for,
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def agent(db_session):
    return add_agent(db_session, "wanglaw", "harbin", status="offline", contact="+8613900000001")


@pytest.fixture
def token(db_session, agent):
    return token_for(db_session, agent)


def test_setting_my_status_updates_database_live_state_and_wakes_the_routers(
    client, db_session, runtime, agent, token, routing_clock
):
    response = client.put(
        "/api/agents/me/status", json={"status": "available"}, headers=bearer(token)
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body == {"status": "available", "since": routing_clock().isoformat(), "paused": False}
    stored = agent_row(db_session, agent.id)
    assert (stored.status, stored.status_since) == ("available", routing_clock())
    live = RoutingState(runtime.redis).agent(agent.id)
    assert (live.status, live.live) == ("available", "idle")
    assert f"agent:{agent.id}".encode() in runtime.redis.lrange(keys.EVENTS, 0, -1)


def test_break_keeps_a_pause_and_available_ends_it(client, db_session, runtime, agent, token):
    stored = agent_row(db_session, agent.id)
    stored.paused_at = stored.status_since
    db_session.commit()

    on_break = client.put("/api/agents/me/status", json={"status": "break"}, headers=bearer(token))
    assert on_break.get_json()["paused"] is True
    back = client.put("/api/agents/me/status", json={"status": "available"}, headers=bearer(token))
    assert back.get_json()["paused"] is False
    assert agent_row(db_session, agent.id).paused_at is None
    assert not RoutingState(runtime.redis).agent(agent.id).paused


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "lunch"}, "字段 status 必须是 available、break、offline 之一"),
        ({"status": 1}, "字段 status 类型错误"),
        ({}, "字段 status 不能为空"),
        ({"status": "available", "why": "x"}, "未知字段 why"),
    ],
)
def test_bad_status_bodies_are_a_clear_400(client, token, body, message):
    response = client.put("/api/agents/me/status", json=body, headers=bearer(token))
    assert response.status_code == 400
    assert message in response.get_json()["message"]


def test_only_agents_have_a_status(client, db_session):
    supervisor = create_user(db_session, "boss", "supervisor", "", password_hash=password_hash())
    db_session.commit()
    issued = issue_token(db_session, supervisor, clock.now())
    db_session.commit()
    for method, path in (("put", "/api/agents/me/status"), ("get", "/api/agents/me/current")):
        response = getattr(client, method)(
            path, json={"status": "available"}, headers=bearer(issued.token)
        )
        assert response.status_code == 403
    assert client.get("/api/agents/me/current").status_code == 401


def test_my_current_call_is_null_then_offered_then_talking_with_the_full_number(
    client, db_session, runtime, agent, token, router, routing_clock, routing_caller, fake_twilio
):
    client.put("/api/agents/me/status", json={"status": "available"}, headers=bearer(token))
    assert client.get("/api/agents/me/current", headers=bearer(token)).get_json() is None
    row = queue_call(
        db_session, runtime.redis, from_="+8613812345678", priority=1, topic="婚姻家庭",
        now=routing_clock(),
    )  # fmt: skip
    routing_clock.advance(7)
    router.run_once()

    ringing = client.get("/api/agents/me/current", headers=bearer(token)).get_json()

    assert ringing == {
        "call_sid": row.call_sid, "stage": "ringing", "service": "consultation",
        "topic": "婚姻家庭", "group": "1", "region": "harbin", "priority": 1,
        "repeat_caller": False, "waiting_seconds": 7, "caller": "138****5678",
    }  # fmt: skip
    start_talk(routing_caller, row.call_sid, redirects(fake_twilio, row.call_sid)[0])
    for _ in range(2):
        talking = client.get("/api/agents/me/current", headers=bearer(token)).get_json()
        assert talking["stage"] == "talking"
        assert talking["caller_full"] == "+8613812345678"
    reveals = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "reveal_number")
    ).all()
    assert [(r.target_type, r.target_id, r.detail["call_sid"], r.user_id) for r in reveals] == [
        ("caller", str(row.caller_id), row.call_sid, agent.user_id)
    ]

    runtime.redis.flushdb()  # without live state the database still knows the talk
    fallback = client.get("/api/agents/me/current", headers=bearer(token)).get_json()
    assert fallback["stage"] == "talking" and fallback["call_sid"] == row.call_sid
