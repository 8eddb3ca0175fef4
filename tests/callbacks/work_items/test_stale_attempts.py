"""A call-back whose final status never came is ended: the item is due again, the agent free."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from callbacks.work_items.items import claim
from hotline.models import (
    Agent,
    AuditEntry,
    CallbackAttempt,
    CallbackRequest,
    CallEvent,
    Message,
)
from tests.callbacks.work_items import return_call_support as callback_support
from tests.callbacks.work_items.return_call_support import (
    AGENT_PHONE,
    answer,
    start,
    status_callback,
    talking,
)
from tests.callbacks.work_items.test_items import (
    bearer,
    closed_line_app,
    fresh,
    ids,
    item_for,
    supervisor_headers,
)
from tests.routing.helpers import add_agent

fake_api = callback_support.fake_api  # the fixture
# config/callbacks.yaml: both ring timeouts + stale_margin_seconds; max_talk_minutes.
STALE_AFTER = timedelta(seconds=30 + 20 + 300)
TALK_LIMIT = timedelta(minutes=180)


@pytest.fixture
def evening(runtime, tmp_path):
    """The closed line's app (on a settable clock, app.clock)."""
    return closed_line_app(runtime, tmp_path)


def started(app, session, agent, item_id: int) -> tuple[int, str]:
    """The agent presses 回拨: the attempt's id and its call's CallSid."""
    response = start(app, session, agent, item_id)
    assert response.status_code == 201, response.get_json()
    attempt_id = response.get_json()["attempt"]["id"]
    call_sid = fresh(session).get(CallbackAttempt, attempt_id).call_sid
    session.rollback()  # no read transaction left open (SQLite: later writes would fail)
    return attempt_id, call_sid


def agent_list(app, session, agent) -> list[int]:
    """The agent's console lists its work items."""
    return ids(app.test_client().get("/api/work-items", headers=bearer(session, agent)))


def test_a_lost_status_callback_ends_the_attempt_later_and_frees_item_and_agent(
    evening, db_session, fake_api
):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", contact=AGENT_PHONE, now=now)
    item = item_for(db_session, now)
    other = item_for(db_session, now)
    attempt_id, sid = started(evening, db_session, agent, item.id)
    evening.clock.now = now + STALE_AFTER - timedelta(seconds=1)  # the status may still come

    assert agent_list(evening, db_session, agent) == [item.id, other.id]
    assert start(evening, db_session, agent, other.id).status_code == 409
    assert fresh(db_session).get(CallbackRequest, item.id).status == "in_progress"
    later = evening.clock.now = now + timedelta(minutes=30)  # it never came

    assert agent_list(evening, db_session, agent) == [item.id, other.id]

    fresh(db_session)
    attempt = db_session.get(CallbackAttempt, attempt_id)
    assert (attempt.outcome, attempt.ended_at, attempt.call_sid) == ("failed", later, sid)
    row = db_session.get(CallbackRequest, item.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, None)  # not counted
    assert db_session.get(Agent, agent.id).status == "available"  # back in inbound routing
    (event,) = db_session.scalars(
        select(CallEvent).where(CallEvent.kind == "callback_attempt_ended")
    )
    assert (event.data["reason"], event.data["outcome"], event.at) == ("stale", "failed", later)
    next_id, _ = started(evening, db_session, agent, other.id)  # a new 回拨 is accepted
    status_callback(evening, attempt_id, sid, "no-answer")  # the lost status, very late
    row = fresh(db_session).get(CallbackRequest, item.id)
    assert (row.status, row.attempts) == ("pending", 0)  # it changes nothing
    assert db_session.get(CallbackAttempt, attempt_id).outcome == "failed"
    assert db_session.get(CallbackAttempt, next_id).ended_at is None


def test_the_next_call_back_and_a_supervisors_list_end_stale_attempts_too(
    evening, db_session, fake_api
):
    now = evening.clock.now
    first = add_agent(db_session, "harbin1", "harbin", now=now)
    second = add_agent(db_session, "harbin2", "harbin", now=now)
    items = [item_for(db_session, now) for _ in range(3)]
    first_attempt, _ = started(evening, db_session, first, items[0].id)
    second_attempt, _ = started(evening, db_session, second, items[1].id)
    evening.clock.now = now + timedelta(minutes=30)

    again = start(evening, db_session, first, items[2].id)  # the review's scenario
    headers = supervisor_headers(db_session)
    listed = evening.test_client().get("/api/work-items", headers=headers)

    assert again.status_code == 201, again.get_json()
    assert sorted(ids(listed)) == sorted(item.id for item in items)
    fresh(db_session)
    statuses = [db_session.get(CallbackRequest, item.id).status for item in items]
    assert statuses == ["pending", "pending", "in_progress"]
    ended = [db_session.get(CallbackAttempt, i).outcome for i in (first_attempt, second_attempt)]
    assert ended == ["failed", "failed"]
    assert db_session.get(Agent, second.id).status == "available"
    assert db_session.get(Agent, first.id).status == "break"  # calling items[2] now


def test_an_attempt_that_died_before_its_call_was_placed_is_ended(evening, db_session):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", status="break", now=now)
    item = item_for(db_session, now)
    assert claim(db_session, item.id, agent.id, now)  # then the process died: no call, no sid
    db_session.add(CallbackAttempt(request_id=item.id, agent_id=agent.id, started_at=now,
                                   agent_was_available=True))  # fmt: skip
    db_session.commit()
    evening.clock.now = now + STALE_AFTER

    assert agent_list(evening, db_session, agent) == [item.id]

    (attempt,) = fresh(db_session).scalars(select(CallbackAttempt)).all()
    assert (attempt.outcome, attempt.ended_at, attempt.call_sid) == ("failed", now + STALE_AFTER,
                                                                     None)  # fmt: skip
    assert db_session.get(CallbackRequest, item.id).status == "pending"
    assert db_session.get(Agent, agent.id).status == "available"


def test_a_talk_is_not_cut_short_by_the_sweep_until_the_talk_limit(evening, db_session, fake_api):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", contact=AGENT_PHONE, now=now)
    item = item_for(db_session, now)
    attempt_id, sid = started(evening, db_session, agent, item.id)
    talking(evening, attempt_id, sid)  # the agent pressed 1 at `now`
    client = evening.test_client()

    for minutes in (30, 180 + 4):
        evening.clock.now = now + timedelta(minutes=minutes)
        detail = client.get(f"/api/work-items/{item.id}", headers=bearer(db_session, agent))
        assert detail.get_json()["status"] == "in_progress", minutes
        assert fresh(db_session).get(Agent, agent.id).status == "break"
    evening.clock.now = now + TALK_LIMIT + timedelta(minutes=5)  # the Dial's timeLimit + margin

    detail = client.get(f"/api/work-items/{item.id}", headers=bearer(db_session, agent))

    assert detail.get_json()["status"] == "pending"
    assert detail.get_json()["attempt_list"][0]["outcome"] == "failed"
    assert fresh(db_session).get(Agent, agent.id).status == "available"


def test_an_attempt_the_dial_reported_connected_is_ended_as_connected(
    evening, db_session, fake_api
):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", contact=AGENT_PHONE, now=now)
    item = item_for(db_session, now)
    attempt_id, sid = started(evening, db_session, agent, item.id)
    url = fake_api.requests_to("/Calls.json", "POST")[0].form["Url"]
    answer(evening, url, sid)  # a talk, then the Dial's action: connected; the status is lost
    evening.clock.now = now + timedelta(minutes=10)

    listed = evening.test_client().get("/api/work-items", headers=supervisor_headers(db_session))

    assert ids(listed) == []
    fresh(db_session)
    assert db_session.get(CallbackAttempt, attempt_id).outcome == "connected"
    assert db_session.get(CallbackRequest, item.id).status == "done"
    assert db_session.get(Agent, agent.id).status == "available"


def test_a_supervisor_cancels_an_item_while_it_is_called_back(evening, db_session, fake_api):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", now=now)
    item = item_for(db_session, now)
    other = item_for(db_session, now)
    attempt_id, sid = started(evening, db_session, agent, item.id)
    headers = supervisor_headers(db_session)

    cancelled = evening.test_client().post(
        f"/api/work-items/{item.id}/close", json={"outcome_note": "来电人已到窗口办理"},
        headers=headers,
    )  # fmt: skip

    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled"
    fresh(db_session)
    attempt = db_session.get(CallbackAttempt, attempt_id)
    assert (attempt.outcome, attempt.ended_at) == ("failed", now)
    assert db_session.get(Agent, agent.id).status == "available"
    (entry,) = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "close_work_item"))
    assert (entry.target_type, entry.target_id) == ("work_item", str(item.id))
    assert entry.detail["status_before"] == "in_progress"
    assert entry.detail["status_after"] == "cancelled"
    assert entry.detail["note"] == "来电人已到窗口办理"
    status_callback(evening, attempt_id, sid, "busy")  # the call's end, after the cancel
    row = fresh(db_session).get(CallbackRequest, item.id)
    assert (row.status, row.attempts, row.outcome_note) == ("cancelled", 0, "来电人已到窗口办理")
    assert db_session.scalars(select(Message)).all() == []  # no "unreachable" notice
    started(evening, db_session, agent, other.id)  # the agent is free for the next one
