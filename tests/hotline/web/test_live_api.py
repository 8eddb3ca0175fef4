"""GET /api/metrics/live, the supervisor actions, the /live page and its SSE stream."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hotline import clock
from hotline.auth import issue_token
from hotline.clock import ManualClock, set_clock, to_ms
from hotline.heartbeats import WORKERS, Heartbeat, process_key
from hotline.models import AuditEntry, CallEvent
from hotline.staff import create_user
from hotline.supervision.live_setup import load_live_setup
from hotline.web.api.models.metrics import LiveSnapshotOut
from hotline.web.pages.live import snapshot_events
from routing import keys
from routing.handoff import caller_from_call
from routing.state import RoutingState
from tests.console_support import page_login
from tests.console_support import password_hash as page_password_hash
from tests.hotline.supervision.live_support import NOW, at, build_day, make_call
from tests.routing.helpers import (
    add_agent,
    agent_row,
    call_row,
    follow_offer,
    queue_call,
    redirects,
    waiting_call,
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_of(session, username: str, role: str) -> str:
    extra = {"region": "harbin", "skills": ["consultation"], "contact": "+8613900000009"}
    user = create_user(
        session, username, role, "", password_hash=page_password_hash(),
        **(extra if role == "lawyer" else {}),
    )  # fmt: skip
    session.commit()
    issued = issue_token(session, user, clock.now())
    session.commit()
    return issued.token


@pytest.fixture
def boss(db_session):
    """A supervisor's bearer token (the user chen can also log in on the pages)."""
    return token_of(db_session, "chen", "supervisor")


@pytest.fixture
def lawyer(db_session):
    """A lawyer's bearer token (the user wang, no shift)."""
    return token_of(db_session, "wang", "lawyer")


@pytest.fixture
def at_ten(app):
    """The app's clock at the hand-built day's 10:00."""
    manual = ManualClock(NOW)
    set_clock(manual)
    return manual


@pytest.fixture
def day(db_session, runtime, at_ten):
    return build_day(db_session, runtime.redis)


def audit_entries(session, action):
    session.rollback()
    session.expire_all()
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


# ----- GET /api/metrics/live ------------------------------------------------------------------


def test_the_live_metrics_of_the_day(client, boss, day):
    response = client.get("/api/metrics/live", headers=bearer(boss))

    assert response.status_code == 200
    body = response.get_json()
    LiveSnapshotOut.model_validate_json(response.data)
    assert (body["today"]["offered"], body["today"]["service_level"]) == (11, 0.5)
    assert [w["call_sid"] for w in body["waiting_callers"]] == ["CA_W1", "CA_W2", "CA_W3"]
    harbin = next(r for r in body["regions"] if r["region"] == "harbin")
    assert (harbin["waiting"], harbin["today"]["answered"]) == (2, 3)
    assert {a["username"]: a["state"] for a in body["agents"]}["t_agent"] == "talking"
    assert [a["kind"] for a in body["alerts"]] == ["longest_wait", "longest_wait"]
    assert response.headers["Cache-Control"] == "no-store"


def test_the_live_metrics_count_the_processes_and_alert_when_none_runs(
    client, boss, runtime, at_ten
):
    Heartbeat(runtime.redis, WORKERS, key=process_key(WORKERS, "w1", 1)).beat()
    first = client.get("/api/metrics/live", headers=bearer(boss)).get_json()
    assert first["processes"] == {"routers": 0, "workers": 1}
    assert first["alerts"] == []  # no router yet, but only just noticed

    at_ten.advance(15)
    Heartbeat(runtime.redis, WORKERS, key=process_key(WORKERS, "w1", 1)).beat()
    later = client.get("/api/metrics/live", headers=bearer(boss)).get_json()
    assert [(a["kind"], a["message"]) for a in later["alerts"]] == [
        ("no_router", "路由进程已停止 15秒以上，来电无法分配")
    ]


def test_only_supervisors_read_the_live_metrics(client, lawyer):
    refused = client.get("/api/metrics/live", headers=bearer(lawyer))
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "forbidden"
    assert client.get("/api/metrics/live").status_code == 401


def test_the_live_metrics_are_documented(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    live = paths["/api/metrics/live"]["get"]
    assert live["x-roles"] == ["supervisor", "admin"]
    assert (
        "waiting_callers"
        in live["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    )
    move = paths["/api/calls/{call_sid}/move"]["post"]
    assert set(move["responses"]) == {"200", "400", "401", "403", "404", "409", "503"}
    assert "post" in paths["/api/agents/{agent_id}/pause"]
    assert "post" in paths["/api/agents/{agent_id}/release"]


# ----- pause and release ----------------------------------------------------------------------


def test_a_supervisor_pauses_and_releases_an_agent_with_audit_entries(
    client, db_session, runtime, boss, day, at_ten
):
    agent_id = day.agents["h_free"].id
    state = RoutingState(runtime.redis)

    paused = client.post(f"/api/agents/{agent_id}/pause", headers=bearer(boss))

    assert paused.status_code == 200
    assert paused.get_json() == {
        "agent_id": agent_id, "status": "break", "paused": True, "since": NOW.isoformat(),
    }  # fmt: skip
    live = state.agent(agent_id)
    assert (live.status, live.paused, live.paused_at_ms) == ("break", True, to_ms(NOW))
    stored = agent_row(db_session, agent_id)
    assert (stored.status, stored.paused_at) == ("break", NOW)
    assert f"agent:{agent_id}".encode() in runtime.redis.lrange(keys.EVENTS, 0, -1)
    (entry,) = audit_entries(db_session, "agent_paused")
    chen = entry.user_id
    assert (entry.target_type, entry.target_id) == ("agent", str(agent_id))
    assert entry.detail == {
        "before": {"status": "available", "paused": False},
        "after": {"status": "break", "paused": True},
    }
    snapshot = client.get("/api/metrics/live", headers=bearer(boss)).get_json()
    assert {a["id"]: a["state"] for a in snapshot["agents"]}[agent_id] == "paused"
    again = client.post(f"/api/agents/{agent_id}/pause", headers=bearer(boss))
    assert again.status_code == 409

    at_ten.advance(30)
    released = client.post(f"/api/agents/{agent_id}/release", headers=bearer(boss))

    assert released.status_code == 200
    assert released.get_json()["status"] == "available"
    assert released.get_json()["paused"] is False
    live = state.agent(agent_id)
    assert (live.status, live.paused) == ("available", False)
    (entry,) = audit_entries(db_session, "agent_released")
    assert entry.user_id == chen and entry.target_id == str(agent_id)
    assert entry.detail == {
        "before": {"status": "break", "paused": True},
        "after": {"status": "available", "paused": False},
    }
    assert client.post(f"/api/agents/{agent_id}/release", headers=bearer(boss)).status_code == 409


def test_a_talking_agent_is_paused_after_the_call(client, runtime, boss, day):
    agent_id = day.agents["t_agent"].id

    assert client.post(f"/api/agents/{agent_id}/pause", headers=bearer(boss)).status_code == 200

    live = RoutingState(runtime.redis).agent(agent_id)
    assert (live.live, live.call_sid, live.status, live.paused) == (
        "talking",
        "CA_T",
        "break",
        True,
    )


def test_pause_and_release_refuse_unknown_and_offline_agents_and_agents(
    client, db_session, boss, lawyer, day
):
    assert client.post("/api/agents/999999/pause", headers=bearer(boss)).status_code == 404
    offline = day.agents["off_duty"].id
    response = client.post(f"/api/agents/{offline}/release", headers=bearer(boss))
    assert response.status_code == 409
    assert response.get_json()["message"] == "the agent is offline"
    other = day.agents["h_free"].id
    assert client.post(f"/api/agents/{other}/pause", headers=bearer(lawyer)).status_code == 403
    assert audit_entries(db_session, "agent_paused") == []


def test_the_page_session_needs_the_csrf_token_for_actions(client, db_session, boss, day):
    csrf = page_login(client, "chen")
    agent_id = day.agents["h_free"].id

    refused = client.post(f"/api/agents/{agent_id}/pause")
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "csrf_failed"
    accepted = client.post(f"/api/agents/{agent_id}/pause", headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200


# ----- moving a waiting call ------------------------------------------------------------------


def test_a_waiting_caller_moves_to_another_queue_keeping_their_place(
    client, db_session, runtime, boss, routing_clock, routing_caller, router, fake_twilio
):
    qiqihar = add_agent(db_session, "q1", "qiqihar", status="break", contact="+8613900000002")
    add_agent(db_session, "q2", "qiqihar", contact="+8613900000003")
    start = routing_clock()
    early = queue_call(db_session, runtime.redis, region="qiqihar", now=start)
    routing_clock.advance(10)
    moving = queue_call(db_session, runtime.redis, region="harbin", now=routing_clock())
    call = waiting_call(routing_caller, moving)  # the caller hears the queue's music
    routing_clock.advance(10)
    late = queue_call(db_session, runtime.redis, region="qiqihar", now=routing_clock())
    runtime.redis.delete(keys.EVENTS)

    response = client.post(
        f"/api/calls/{moving.call_sid}/move", json={"region": "0452"}, headers=bearer(boss)
    )

    assert response.status_code == 200
    assert response.get_json() == {
        "call_sid": moving.call_sid, "region": "qiqihar", "previous_region": "harbin",
    }  # fmt: skip
    state = RoutingState(runtime.redis)
    assert state.queue_order("qiqihar") == [early.call_sid, moving.call_sid, late.call_sid]
    assert state.queue_order("harbin") == []
    assert state.caller(moving.call_sid).region == "qiqihar"
    assert runtime.redis.lrange(keys.EVENTS, 0, -1) == [f"moved:{moving.call_sid}".encode()]
    stored = call_row(db_session, moving.call_sid)
    assert stored.region == "qiqihar"
    (event,) = db_session.scalars(
        select(CallEvent).where(CallEvent.call_id == stored.id, CallEvent.kind == "moved")
    ).all()
    assert (event.data["from"], event.data["to"], event.at) == (
        "harbin",
        "qiqihar",
        routing_clock(),
    )
    (entry,) = audit_entries(db_session, "call_moved")
    assert (entry.target_type, entry.target_id) == ("call", moving.call_sid)
    assert entry.detail == {"before": {"region": "harbin"}, "after": {"region": "qiqihar"}}

    # Two qiqihar agents (one released now) take the two callers who waited longest.
    released = client.post(f"/api/agents/{qiqihar.id}/release", headers=bearer(boss))
    assert released.status_code == 200
    assert router.run_once().offered == 2
    assert redirects(fake_twilio, moving.call_sid) and not redirects(fake_twilio, late.call_sid)
    follow_offer(call, fake_twilio, "accept")
    assert call.dials[0]["target"] in ("+8613900000002", "+8613900000003")


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"region": "beijing"}, 400, "unknown region 'beijing'"),
        ({"region": "0999"}, 400, "unknown region '0999'"),
        ({"region": 452}, 400, "字段 region 类型错误"),
        ({}, 400, "字段 region 不能为空"),
        ({"region": "harbin"}, 409, "already"),
    ],
)
def test_bad_moves_are_refused_clearly(
    client, db_session, runtime, boss, day, body, status, message
):
    response = client.post("/api/calls/CA_W1/move", json=body, headers=bearer(boss))

    assert response.status_code == status
    assert message in response.get_json()["message"]
    assert RoutingState(runtime.redis).queue_order("harbin") == ["CA_W1", "CA_W2"]
    assert audit_entries(db_session, "call_moved") == []


def test_moving_an_unknown_or_no_longer_waiting_call(client, db_session, boss, lawyer, day):
    unknown = client.post(
        "/api/calls/CA_NOPE/move", json={"region": "qiqihar"}, headers=bearer(boss)
    )
    assert unknown.status_code == 404
    talking = client.post("/api/calls/CA_T/move", json={"region": "qiqihar"}, headers=bearer(boss))
    assert talking.status_code == 409
    assert talking.get_json()["details"] == {"state": "talking"}
    ended = client.post("/api/calls/CA_A/move", json={"region": "qiqihar"}, headers=bearer(boss))
    assert (ended.status_code, ended.get_json()["details"]) == (409, {"state": "missing"})
    refused = client.post(
        "/api/calls/CA_W1/move", json={"region": "qiqihar"}, headers=bearer(lawyer)
    )
    assert refused.status_code == 403
    malformed = client.post(
        "/api/calls/CA_W1/move", data="{", content_type="application/json", headers=bearer(boss)
    )
    assert malformed.status_code == 400
    assert audit_entries(db_session, "call_moved") == []


# ----- the page and the stream ----------------------------------------------------------------


def test_the_live_page_is_for_supervisors(client, db_session):
    assert client.get("/live").status_code == 302  # to the login page
    create_user(db_session, "chen", "supervisor", "", password_hash=page_password_hash())
    create_user(
        db_session, "wang", "lawyer", "", region="harbin", skills=["consultation"],
        contact="+8613900000001", password_hash=page_password_hash(),
    )  # fmt: skip
    db_session.commit()
    page_login(client, "wang")
    assert client.get("/live").status_code == 403
    assert client.get("/live/stream").status_code == 403

    other = client.application.test_client()
    page_login(other, "chen")
    page = other.get("/live")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>实时监控</h1>" in html and 'href="/live"' in html
    assert "/static/js/live.js" in html


def test_the_stream_sends_the_current_snapshot_first(app, client, boss, day):
    page_login(client, "chen")

    response = client.get("/live/stream", buffered=False)

    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    assert next(chunks) == b"retry: 3000\n\n"
    event = next(chunks).decode()
    response.close()
    head, data = event.rstrip("\n").split("\n")
    assert head == "event: snapshot"
    snapshot = json.loads(data.removeprefix("data: "))
    LiveSnapshotOut.model_validate_json(data.removeprefix("data: "))
    assert snapshot["today"]["offered"] == 11
    assert [w["call_sid"] for w in snapshot["waiting_callers"]] == ["CA_W1", "CA_W2", "CA_W3"]


def test_streams_beyond_the_cap_are_refused_until_one_ends(app, client, boss, day):
    """Each stream holds a worker thread: past the cap the page is told to poll instead."""
    app.config["HOTLINE_LIVE_MAX_STREAMS"] = 1
    page_login(client, "chen")

    first = client.get("/live/stream", buffered=False)
    assert first.status_code == 200
    assert next(iter(first.response)) == b"retry: 3000\n\n"
    refused = client.get("/live/stream", buffered=False)
    assert (refused.status_code, refused.headers["Retry-After"]) == (503, "30")
    first.close()  # the browser went away: its slot is free again
    again = client.get("/live/stream", buffered=False)
    assert again.status_code == 200
    again.close()


def test_the_stream_ends_after_its_lifetime(app, client, boss, day):
    app.config["HOTLINE_LIVE_STREAM_SECONDS"] = 0.2
    page_login(client, "chen")

    text = client.get("/live/stream").get_data(as_text=True)

    assert text.startswith("retry: 3000\n\n")
    assert text.count("event: snapshot") >= 1
    assert text.endswith('event: bye\ndata: {"reconnect_ms": 3000}\n\n')


def test_the_stream_pushes_on_routing_changes_and_every_two_seconds(
    db_session, runtime, settings, day
):
    class Time:
        now = 0.0

    def sleep(seconds):
        Time.now += seconds
        if Time.now == 0.5:  # a caller joins while the stream sleeps
            call = make_call(db_session, "CA_JOIN", "harbin", "1", at(9, 59, 59), stage="queued")
            db_session.commit()
            RoutingState(runtime.redis).enqueue(caller_from_call(call))

    set_clock(lambda: NOW)
    stream = snapshot_events(
        runtime, load_live_setup(settings.config_dir), 3.0, sleep, lambda: Time.now
    )
    pushes = []
    for chunk in stream:
        if chunk.startswith("event: snapshot"):
            data = json.loads(chunk.split("data: ", 1)[1])
            pushes.append((Time.now, data["queue"]["waiting"]))

    assert pushes == [(0.0, 3), (0.5, 4), (2.5, 4)]
