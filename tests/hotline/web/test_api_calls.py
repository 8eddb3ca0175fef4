"""GET /api/calls, /api/calls/<CallSid>, its caller history and the audited number reveal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline import clock
from hotline.models import ApiToken, AuditEntry, Message, Survey
from tests.console_support import (
    CALLER,
    CALLER_MASKED,
    bearer,
    consultation_body,
    make_call,
    make_staff,
)

DESIGN_KEYS = {
    "call_sid",
    "service",
    "topic",
    "group",
    "region",
    "priority",
    "stage",
    "outcome",
    "agent",
    "wait_seconds",
    "talk_seconds",
    "events",
}


@pytest.fixture
def staff(db_session):
    return make_staff(db_session)


@pytest.fixture
def call(db_session, staff):
    return make_call(db_session, staff.agent(db_session, staff.wang), priority=1)


def audit_actions(db_session) -> list[str]:
    db_session.rollback()
    return db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def test_supervisor_reads_the_call_with_its_timeline(client, call, db_session):
    db_session.add(Survey(call_id=call.id, channel="ivr", rating=5))
    db_session.add(
        Message(
            direction="outbound",
            kind="followup",
            call_id=call.id,
            to_number=CALLER,
            from_number="+8645112348",
            body="...",
            status="delivered",
        )
    )
    db_session.commit()
    response = client.get(f"/api/calls/{call.call_sid}", headers=bearer(client, "chen"))
    assert response.status_code == 200
    body = response.get_json()
    assert DESIGN_KEYS <= set(body)
    assert body["call_sid"] == call.call_sid
    assert (body["service"], body["topic"], body["group"], body["region"]) == (
        "consultation",
        "劳动纠纷",
        "2",
        "harbin",
    )
    assert body["priority"] == 1 and body["stage"] == "talking" and body["agent"] == "wang"
    assert body["wait_seconds"] == 30
    assert body["caller"] == CALLER_MASKED
    kinds = [event["kind"] for event in body["events"]]
    assert kinds[:4] == ["incoming", "enqueued", "offered", "answered"]
    assert {"survey", "sms_outbound"} <= set(kinds)
    assert body["events"][0]["label"] == "来电接入"
    assert body["events"][0]["data"] == {"From": CALLER_MASKED}
    assert body["consultation"] is None


def test_the_timeline_shows_the_consultation_once_saved(client, call):
    wang = bearer(client, "wang")
    saved = client.post("/api/consultations", json=consultation_body(call), headers=wang)
    body = client.get(f"/api/calls/{call.call_sid}", headers=wang).get_json()
    assert body["consultation"]["case_number"] == saved.get_json()["case_number"]
    assert body["case_number"] == saved.get_json()["case_number"]
    assert body["events"][-1]["kind"] == "consultation_saved"


def test_only_supervisors_and_the_calls_agent_read_it(client, call):
    url = f"/api/calls/{call.call_sid}"
    assert client.get(url, headers=bearer(client, "wang")).status_code == 200
    for username in ("li", "zhao"):
        response = client.get(url, headers=bearer(client, username))
        assert response.status_code == 403
        assert response.get_json()["error"] == "forbidden"
        assert "events" not in response.get_json()
    assert client.get(url).status_code == 401
    unknown = client.get("/api/calls/CA" + "9" * 32, headers=bearer(client, "chen"))
    assert unknown.status_code == 404
    assert unknown.get_json()["error"] == "not_found"


@pytest.mark.parametrize("problem", ["expired", "revoked"])
def test_expired_or_revoked_tokens_are_refused(client, call, db_session, problem):
    headers = bearer(client, "chen")
    if problem == "expired":
        row = db_session.scalars(select(ApiToken)).one()
        row.expires_at = clock.now() - timedelta(seconds=1)
        db_session.commit()
    else:
        client.delete("/api/token", headers=headers)
    response = client.get(f"/api/calls/{call.call_sid}", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["message"] == f"token {problem}"


def test_the_call_list_is_for_supervisors(client, call, db_session, staff):
    make_call(db_session, None, stage="queued", region="qiqihar", phone="+8613600002222")
    chen = bearer(client, "chen")
    body = client.get("/api/calls", headers=chen).get_json()
    assert body["total"] == 2
    assert {row["caller"] for row in body["calls"]} == {CALLER_MASKED, "136****2222"}
    only = client.get("/api/calls?region=qiqihar", headers=chen).get_json()
    assert [row["region"] for row in only["calls"]] == ["qiqihar"]
    talking = client.get("/api/calls?stage=talking", headers=chen).get_json()
    assert [row["call_sid"] for row in talking["calls"]] == [call.call_sid]
    assert client.get("/api/calls?date=2001-01-01", headers=chen).get_json()["total"] == 0
    forbidden = client.get("/api/calls", headers=bearer(client, "wang"))
    assert forbidden.status_code == 403


@pytest.mark.parametrize(
    "query", ["date=yesterday", "date=2026-13-01", "stage=flying", "limit=0", "limit=x"]
)
def test_bad_call_list_parameters_are_400(client, staff, query):
    response = client.get(f"/api/calls?{query}", headers=bearer(client, "chen"))
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_caller_history_lists_earlier_consultations_and_is_audited(client, staff, db_session):
    agent = staff.agent(db_session, staff.wang)
    wang = bearer(client, "wang")
    earlier = make_call(db_session, agent, stage="ended")
    client.post(
        "/api/consultations",
        json=consultation_body(earlier, summary="上次咨询：工伤认定"),
        headers=wang,
    )
    now = make_call(db_session, agent, stage="ringing")
    assert now.repeat_caller
    response = client.get(f"/api/calls/{now.call_sid}/history", headers=wang)
    assert response.status_code == 200
    rows = response.get_json()["consultations"]
    assert [row["summary"] for row in rows] == ["上次咨询：工伤认定"]
    assert rows[0]["caller"] == CALLER_MASKED
    db_session.rollback()
    entry = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "view_caller_history")
    ).one()
    assert entry.user_id == staff.wang.id and entry.target_type == "caller"
    assert entry.detail["call_sid"] == now.call_sid

    refused = client.get(f"/api/calls/{now.call_sid}/history", headers=bearer(client, "li"))
    assert refused.status_code == 403
    assert audit_actions(db_session).count("view_caller_history") == 1


def test_withheld_numbers_have_no_shared_history(client, staff, db_session):
    agent = staff.agent(db_session, staff.wang)
    wang = bearer(client, "wang")
    first = make_call(db_session, agent, phone="anonymous", stage="ended")
    client.post("/api/consultations", json=consultation_body(first), headers=wang)
    second = make_call(db_session, agent, phone="anonymous")
    rows = client.get(f"/api/calls/{second.call_sid}/history", headers=wang).get_json()
    assert rows["consultations"] == []


def test_supervisor_reveal_gives_the_full_number_and_is_audited(client, call, db_session, staff):
    response = client.post(
        f"/api/calls/{call.call_sid}/reveal",
        json={"reason": "回访核实"},
        headers=bearer(client, "chen"),
    )
    assert response.status_code == 200
    assert response.get_json() == {"call_sid": call.call_sid, "caller_full": CALLER}
    db_session.rollback()
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "reveal_number")).one()
    assert entry.user_id == staff.chen.id
    assert entry.detail == {"call_sid": call.call_sid, "reason": "回访核实"}


@pytest.mark.parametrize(
    ("who", "kwargs", "status"),
    [
        ("li", {"json": {}}, 403),
        ("zhao", {"json": {}}, 403),
        ("chen", {"data": "{bad", "content_type": "application/json"}, 400),
        ("chen", {"json": {"reason": 5}}, 400),
        ("chen", {"json": {"reason": "理" * 201}}, 400),
        ("chen", {"json": {"why": "x"}}, 400),
        ("anonymous", {"json": {}}, 401),
    ],
)
def test_refused_reveals_write_no_audit_entry(client, call, db_session, who, kwargs, status):
    headers = {} if who == "anonymous" else bearer(client, who)
    before = db_session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.post(f"/api/calls/{call.call_sid}/reveal", headers=headers, **kwargs)
    assert response.status_code == status
    assert response.is_json and "caller_full" not in response.get_json()
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert "reveal_number" not in audit_actions(db_session)


def test_reveal_of_an_unknown_call_is_404(client, staff):
    response = client.post(
        "/api/calls/CA" + "7" * 32 + "/reveal", json={}, headers=bearer(client, "chen")
    )
    assert response.status_code == 404
