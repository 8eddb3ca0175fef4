"""Voicemails and call-back requests become work items for on-duty agents of region and skill."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from callbacks.work_items.items import Need, open_work_item
from hotline import clock
from hotline.auth import issue_token
from hotline.calls import get_or_create_call
from hotline.models import AuditEntry, CallbackRequest, Voicemail
from hotline.staff import create_user
from tests.callbacks.work_items import return_call_support as callback_support
from tests.callbacks.work_items.return_call_support import start, status_callback
from tests.conftest import AUTH_TOKEN
from tests.harness.fake_twilio import FakeTwilio
from tests.ivr_flows.support import (
    HARBIN_LANDLINE,
    OFFICE_HOURS,
    Clock,
    caller_for,
    copy_config,
    make_app,
)
from tests.routing.helpers import add_agent, password_hash, token_for, unique_sid

fake_api = callback_support.fake_api  # the fixture
# A Wednesday evening: the line keeps office hours, so callers reach voicemail or a call-back.
EVENING = "2026-03-11T20:00:00+08:00"
HARBIN_MASKED = "045*****6666"


def closed_line_app(runtime, tmp_path):
    """An app whose line is closed now (office hours only), on a settable clock (app.clock)."""
    hours = {"weekly": OFFICE_HOURS, "holidays_close": True}
    clock = Clock(EVENING)
    app = make_app(runtime, clock=clock, config_dir=copy_config(tmp_path, hours=hours))
    app.clock = clock
    return app


@contextmanager
def accepting(fake_twilio, settings) -> Iterator[FakeTwilio]:
    """The fake Twilio API, accepting the test settings' auth token for REST calls."""
    previous, fake_twilio.auth_token = fake_twilio.auth_token, settings.twilio_auth_token
    try:
        yield fake_twilio
    finally:
        fake_twilio.auth_token = previous


@pytest.fixture
def evening(runtime, tmp_path):
    """The closed line's app."""
    return closed_line_app(runtime, tmp_path)


def fresh(session):
    """End the test session's snapshot: see what the app committed."""
    session.rollback()
    session.expire_all()
    return session


def bearer(session, agent) -> dict[str, str]:
    """Authorization headers of an agent."""
    return {"Authorization": f"Bearer {token_for(session, agent)}"}


def supervisor_headers(session) -> dict[str, str]:
    """Authorization headers of a new supervisor."""
    user = create_user(session, "chief", "supervisor", "", password_hash=password_hash())
    session.flush()
    issued = issue_token(session, user, clock.now())
    session.commit()
    return {"Authorization": f"Bearer {issued.token}"}


def leave_voicemail(app, from_: str = HARBIN_LANDLINE):
    """A caller reaches the closed line through the real IVR and leaves a message (key 1)."""
    call = caller_for(app, AUTH_TOKEN).place_call(from_=from_, inputs=["1"])
    assert call.ended == ("record",), call.heard
    return call


def item_for(session, now, *, service=None, group=None, region="harbin", priority=0,
             phone=HARBIN_LANDLINE, age_minutes=0) -> CallbackRequest:  # fmt: skip
    """A call-back request made the way the queue makes one."""
    call, _ = get_or_create_call(session, unique_sid(), phone, "+8645112348", now=now)
    call.region, call.service, call.group, call.priority = region, service, group, priority
    created = now - timedelta(minutes=age_minutes)
    request = open_work_item(session, call, "queue", now, created_at=created)
    session.commit()
    return request


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_a_voicemail_becomes_a_work_item_for_on_duty_agents_of_its_region_only(evening, db_session):
    now = evening.clock.now
    harbin = add_agent(db_session, "harbin1", "harbin", now=now)
    qiqihar = add_agent(db_session, "qiqihar1", "qiqihar", now=now)
    off_duty = add_agent(db_session, "harbin2", "harbin", on_duty=False, now=now)

    call = leave_voicemail(evening)

    voicemail = fresh(db_session).scalars(select(Voicemail)).one()
    item = db_session.scalars(select(CallbackRequest)).one()
    assert (item.source, item.voicemail_id, item.phone) == (
        "voicemail",
        voicemail.id,
        HARBIN_LANDLINE,
    )
    assert (item.region, item.status, item.attempts, item.next_attempt_at) == (
        "harbin", "pending", 0, None,
    )  # fmt: skip
    assert item.created_at == now
    client = evening.test_client()
    listed = client.get("/api/work-items", headers=bearer(db_session, harbin)).get_json()
    (shown,) = listed["items"]
    assert (shown["id"], shown["caller"], shown["source_label"]) == (item.id, HARBIN_MASKED, "留言")
    assert shown["voicemail"]["recording_url"] == call.requests[-1][1]["RecordingUrl"]
    assert HARBIN_LANDLINE not in str(listed)
    assert shown["next_attempt_local"] == "现在" and shown["max_attempts"] == 3
    assert ids(client.get("/api/work-items", headers=bearer(db_session, qiqihar))) == []
    assert ids(client.get("/api/work-items", headers=bearer(db_session, off_duty))) == []


def test_a_call_back_chosen_after_hours_is_a_work_item_too(evening, db_session):
    harbin = add_agent(db_session, "harbin1", "harbin", now=evening.clock.now)

    call = caller_for(evening, AUTH_TOKEN).place_call(from_=HARBIN_LANDLINE, inputs=["2"])

    assert call.ended == ("hangup",)
    item = fresh(db_session).scalars(select(CallbackRequest)).one()
    assert (item.source, item.voicemail_id, item.region) == ("after_hours", None, "harbin")
    listed = evening.test_client().get("/api/work-items", headers=bearer(db_session, harbin))
    assert ids(listed) == [item.id]
    assert listed.get_json()["items"][0]["source_label"] == "预约回电"


def test_an_anonymous_voicemail_is_kept_and_shown_but_nobody_can_call_back(evening, db_session):
    harbin = add_agent(db_session, "harbin1", "harbin", now=evening.clock.now)

    leave_voicemail(evening, from_="anonymous")

    voicemail = fresh(db_session).scalars(select(Voicemail)).one()
    assert db_session.scalars(select(CallbackRequest)).all() == []
    listed = evening.test_client().get("/api/work-items", headers=bearer(db_session, harbin))
    assert listed.get_json()["items"] == []
    (shown,) = listed.get_json()["voicemails"]
    assert (shown["id"], shown["recording_url"]) == (voicemail.id, voicemail.recording_url)


def test_items_are_filtered_by_skill_and_sorted_priority_first_then_oldest(evening, db_session):
    now = evening.clock.now
    labour = add_agent(db_session, "labour", "harbin", skills=("consultation", "2"), now=now)
    family = add_agent(db_session, "family", "harbin", skills=("mediation", "1"), now=now)
    old = item_for(db_session, now, service="consultation", group="2", age_minutes=30)
    urgent = item_for(db_session, now, service="consultation", group="2", priority=1)
    pool = item_for(db_session, now, service="consultation", group="2", region="province",
                    age_minutes=10)  # fmt: skip
    unknown = item_for(db_session, now, age_minutes=5)  # after hours: no service asked yet
    item_for(db_session, now, service="legal_aid", group="2", age_minutes=60)
    item_for(db_session, now, service="consultation", group="2", region="qiqihar")
    later = item_for(db_session, now, service="consultation", group="2", age_minutes=90)
    later.next_attempt_at = now + timedelta(minutes=5)  # tried already, due again soon
    db_session.commit()
    client = evening.test_client()

    mine = ids(client.get("/api/work-items", headers=bearer(db_session, labour)))
    theirs = ids(client.get("/api/work-items", headers=bearer(db_session, family)))

    assert mine == [urgent.id, old.id, pool.id, unknown.id]
    assert theirs == [unknown.id]


def test_supervisors_see_every_open_item_filter_by_region_and_cancel(evening, db_session):
    now = evening.clock.now
    harbin = item_for(db_session, now)
    qiqihar = item_for(db_session, now, region="qiqihar")
    client = evening.test_client()
    headers = supervisor_headers(db_session)

    assert sorted(ids(client.get("/api/work-items", headers=headers))) == [harbin.id, qiqihar.id]
    assert ids(client.get("/api/work-items?region=qiqihar", headers=headers)) == [qiqihar.id]
    assert client.get("/api/work-items?status=lost", headers=headers).status_code == 400

    cancelled = client.post(
        f"/api/work-items/{qiqihar.id}/close", json={"outcome_note": "来电人已到窗口办理"},
        headers=headers,
    )  # fmt: skip

    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled"
    assert ids(client.get("/api/work-items", headers=headers)) == [harbin.id]
    row = fresh(db_session).get(CallbackRequest, qiqihar.id)
    assert (row.status, row.outcome_note, row.closed_at) == ("cancelled", "来电人已到窗口办理", now)
    again = client.post(f"/api/work-items/{qiqihar.id}/close", json={}, headers=headers)
    assert again.status_code == 409


def test_an_agent_closes_only_an_item_they_called_back_and_every_close_is_audited(
    evening, db_session, fake_api
):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", now=now)
    outsider = add_agent(db_session, "qiqihar1", "qiqihar", now=now)
    item = item_for(db_session, now)
    client = evening.test_client()
    headers = bearer(db_session, agent)
    path = f"/api/work-items/{item.id}/close"

    assert client.post("/api/work-items/999999/close", json={}, headers=headers).status_code == 404
    junk = client.post(path, data="{not json", headers=headers, content_type="application/json")
    assert junk.status_code == 400
    assert client.post(path, json={"x": 1}, headers=headers).status_code == 400
    foreign = client.post(path, json={}, headers=bearer(db_session, outsider))
    assert foreign.status_code == 403
    uncalled = client.post(path, json={"outcome_note": "无需回拨"}, headers=headers)
    assert uncalled.status_code == 403
    assert "回拨过" in uncalled.get_json()["message"]
    assert fresh(db_session).get(CallbackRequest, item.id).status == "pending"  # nothing lost
    assert db_session.scalars(select(AuditEntry)).all() == []
    attempt_id = start(evening, db_session, agent, item.id).get_json()["attempt"]["id"]
    status_callback(evening, attempt_id, next(iter(fake_api.calls)), "no-answer")

    done = client.post(path, json={"outcome_note": "来电人已另行咨询"}, headers=headers)

    assert done.status_code == 200 and done.get_json()["status"] == "done"
    row = fresh(db_session).get(CallbackRequest, item.id)
    assert (row.status, row.assigned_agent_id, row.outcome_note) == (
        "done",
        agent.id,
        "来电人已另行咨询",
    )
    (entry,) = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "close_work_item"))
    assert (entry.user_id, entry.target_type, entry.target_id) == (
        agent.user_id, "work_item", str(item.id),
    )  # fmt: skip
    assert (entry.detail["status_before"], entry.detail["status_after"]) == ("pending", "done")
    assert entry.detail["note"] == "来电人已另行咨询"


def test_the_full_number_only_while_the_agents_attempt_is_live(evening, db_session, fake_api):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", now=now)
    colleague = add_agent(db_session, "harbin2", "harbin", now=now)
    item = item_for(db_session, now)
    client = evening.test_client()

    def phone(who) -> str:
        detail = client.get(f"/api/work-items/{item.id}", headers=bearer(db_session, who))
        assert detail.status_code == 200, detail.get_json()
        return detail.get_json()["phone"]

    assert phone(agent) == HARBIN_MASKED
    started = start(evening, db_session, agent, item.id)
    assert started.get_json()["item"]["phone"] == HARBIN_LANDLINE
    assert (phone(agent), phone(colleague)) == (HARBIN_LANDLINE, HARBIN_MASKED)
    (reveal,) = fresh(db_session).scalars(
        select(AuditEntry).where(AuditEntry.action == "reveal_number")
    )
    attempt_id = started.get_json()["attempt"]["id"]
    assert (reveal.user_id, reveal.detail["attempt_id"]) == (agent.user_id, attempt_id)
    status_callback(evening, attempt_id, next(iter(fake_api.calls)), "no-answer")

    assert fresh(db_session).get(CallbackRequest, item.id).status == "pending"
    assert phone(agent) == HARBIN_MASKED  # the attempt is over
    evening.clock.now = now + timedelta(minutes=10)  # due again; the agent calls once more
    attempt_id = start(evening, db_session, agent, item.id).get_json()["attempt"]["id"]
    status_callback(evening, attempt_id, list(fake_api.calls)[-1], "busy")
    closed = client.post(f"/api/work-items/{item.id}/close", json={},
                         headers=bearer(db_session, agent))  # fmt: skip
    assert closed.get_json()["status"] == "done"
    assert phone(agent) == HARBIN_MASKED
    evening.clock.now = now + timedelta(hours=9)  # the shift is over
    assert phone(agent) == HARBIN_MASKED
    assert len(fresh(db_session).scalars(select(AuditEntry).where(
        AuditEntry.action == "reveal_number")).all()) == 2  # fmt: skip


def test_one_call_per_call_and_voicemail_links_to_the_existing_request(evening, db_session):
    now = evening.clock.now
    call, _ = get_or_create_call(db_session, unique_sid(), HARBIN_LANDLINE, "+8645112348", now=now)
    first = open_work_item(db_session, call, "ivr", now, Need(region="harbin", topic="劳动纠纷"))
    voicemail = Voicemail(call_id=call.id, caller_id=call.caller_id, region="harbin",
                          recording_url="https://api.twilio.com/fake/RE1")  # fmt: skip
    db_session.add(voicemail)
    db_session.flush()

    again = open_work_item(db_session, call, "voicemail", now, voicemail=voicemail)

    assert again is first and first.voicemail_id == voicemail.id
    assert (first.source, first.topic) == ("ivr", "劳动纠纷")
    assert db_session.scalars(select(CallbackRequest)).all() == [first]
