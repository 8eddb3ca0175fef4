"""An agent calls a citizen back: the outbound call, the connection, attempts and unreachable."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from rq.job import Job
from sqlalchemy import select

from callbacks.sms.outbox import send_job_id
from callbacks.work_items.return_call_config import load_return_call_config
from hotline.config_files import ConfigFileError
from hotline.models import (
    Agent,
    Call,
    CallbackAttempt,
    CallbackRequest,
    CallEvent,
    Message,
    Voicemail,
)
from tests.callbacks.work_items import return_call_support as callback_support
from tests.callbacks.work_items.return_call_support import (
    AGENT_PHONE,
    HOTLINE,
    answer,
    start,
    status_callback,
)
from tests.callbacks.work_items.test_items import (
    HARBIN_LANDLINE,
    bearer,
    closed_line_app,
    fresh,
    item_for,
    leave_voicemail,
)
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import call_params, signed_post
from tests.routing.helpers import add_agent

fake_api = callback_support.fake_api  # the fixture


@pytest.fixture
def evening(runtime, tmp_path):
    """The closed line's app (on a settable clock, app.clock)."""
    return closed_line_app(runtime, tmp_path)


def says(response) -> str:
    return "".join(ET.fromstring(response.get_data(as_text=True)).itertext())


def test_voicemail_to_outbound_call_to_the_agent_connected_and_done(evening, db_session, fake_api):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", contact=AGENT_PHONE, now=now)
    leave_voicemail(evening)
    item = fresh(db_session).scalars(select(CallbackRequest)).one()

    started = start(evening, db_session, agent, item.id)

    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    attempt_id = body["attempt"]["id"]
    assert (body["attempt"]["number"], body["attempt"]["outcome"]) == (1, "dialing")
    assert body["item"]["phone"] == HARBIN_LANDLINE  # the agent working it sees the number
    assert body["item"]["status"] == "in_progress"
    (create,) = fake_api.requests_to("/Calls.json", "POST")
    assert (create.form["To"], create.form["From"]) == (HARBIN_LANDLINE, HOTLINE)
    assert create.form["Url"] == f"http://localhost/voice/callback/answer?attempt={attempt_id}"
    assert create.form["StatusCallback"] == (
        f"http://localhost/voice/callback/status?attempt={attempt_id}"
    )
    assert create.form["Timeout"] == "30"
    sid = next(iter(fake_api.calls))
    stored_agent = fresh(db_session).get(Agent, agent.id)
    assert stored_agent.status == "break"  # no inbound offers while calling back

    call = answer(evening, create.form["Url"], sid)

    assert "您之前给我们留言，正在为您接通律师" in call.heard_text
    (dial,) = call.dials
    assert (dial["kind"], dial["target"]) == ("Number", AGENT_PHONE)
    assert dial["attrs"]["action"] == f"http://localhost/voice/callback/dialed?attempt={attempt_id}"
    assert dial["attrs"]["timeLimit"] == "10800"  # max_talk_minutes: the stale sweep relies on it
    assert call.caller.whispers == ["12348回拨：留言，哈尔滨。按1接通。"]
    assert call.ended == ("hangup",) and "再见" in call.heard[-1]

    call.ended = ("dial",)  # the talk is over: the citizen hangs up, Twilio posts the status
    call.hangup(status_path=f"/voice/callback/status?attempt={attempt_id}")

    fresh(db_session)
    attempt = db_session.get(CallbackAttempt, attempt_id)
    assert (attempt.outcome, attempt.talk_seconds, attempt.call_sid) == ("connected", 30, sid)
    assert attempt.twilio_status == "completed" and attempt.ended_at is not None
    assert attempt.answered_at == now and attempt.agent_was_available
    item = db_session.get(CallbackRequest, item.id)
    assert (item.status, item.attempts, item.closed_at) == ("done", 0, now)
    assert db_session.get(Voicemail, item.voicemail_id).status == "done"
    outbound = db_session.scalars(select(Call).where(Call.call_sid == sid)).one()
    assert (outbound.direction, outbound.agent_id, outbound.region) == (
        "outbound",
        agent.id,
        "harbin",
    )
    assert (outbound.stage, outbound.to_number, outbound.outcome) == (
        "ended", HARBIN_LANDLINE, "answered",
    )  # fmt: skip
    assert db_session.get(Agent, agent.id).status == "available"  # back in inbound routing
    detail = evening.test_client().get(
        f"/api/work-items/{item.id}", headers=bearer(db_session, agent)
    )
    assert [a["outcome_label"] for a in detail.get_json()["attempt_list"]] == ["已接通"]


def test_three_failed_attempts_spaced_out_close_the_item_as_unreachable(
    evening, db_session, fake_api, runtime
):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", contact="client:harbin1", now=now)
    item = item_for(db_session, now, service="consultation", group="2")
    outcomes = []

    for number, (status, wait) in enumerate([("no-answer", 10), ("busy", 30), ("failed", None)]):
        started = start(evening, db_session, agent, item.id)
        assert started.status_code == 201, started.get_json()
        attempt_id = started.get_json()["attempt"]["id"]
        sid = fake_api.requests_to("/Calls.json", "POST")  # one more each time
        assert len(sid) == number + 1
        call_sid = list(fake_api.calls)[-1]
        status_callback(evening, attempt_id, call_sid, status)
        row = fresh(db_session).get(CallbackRequest, item.id)
        outcomes.append(db_session.get(CallbackAttempt, attempt_id).outcome)
        assert row.attempts == number + 1
        assert db_session.get(Agent, agent.id).status == "available"
        if wait is None:
            break
        assert (row.status, row.next_attempt_at) == ("pending", now + timedelta(minutes=wait))
        too_soon = start(evening, db_session, agent, item.id)
        assert too_soon.status_code == 409, too_soon.get_json()
        listed = evening.test_client().get("/api/work-items", headers=bearer(db_session, agent))
        assert listed.get_json()["items"] == []  # not due: not in the agent's list
        now = evening.clock.now = now + timedelta(minutes=wait)

    assert outcomes == ["no_answer", "busy", "failed"]
    row = fresh(db_session).get(CallbackRequest, item.id)
    assert (row.status, row.attempts, row.closed_at) == ("unreachable", 3, now)
    fourth = start(evening, db_session, agent, item.id)
    assert fourth.status_code == 409
    assert len(fake_api.requests_to("/Calls.json", "POST")) == 3
    notice = db_session.scalars(select(Message).where(Message.kind == "callback_notice")).one()
    assert (notice.to_number, notice.idempotency_key) == (
        HARBIN_LANDLINE,
        f"callback_notice:{item.id}",
    )
    assert "未能接通" in notice.body
    job = Job.fetch(send_job_id(notice.id), connection=runtime.redis)  # queued after commit
    assert job.func_name == "callbacks.sms.jobs.send_message"


# The agent's phone rings out, or a voicemail box answers it (no key), or they press another
# key: the agent leg hangs up in the whisper and Twilio ends the Dial "completed", unbridged.
@pytest.mark.parametrize(
    ("plan", "dial_status"), [("no_answer", "no-answer"), ("no_key", "completed"),
                              ("decline", "completed")],
)  # fmt: skip
def test_the_agent_not_taking_the_call_back_does_not_count_against_the_citizen(
    evening, db_session, fake_api, plan, dial_status
):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", contact=AGENT_PHONE, now=now)
    item = item_for(db_session, now)
    attempt_id = start(evening, db_session, agent, item.id).get_json()["attempt"]["id"]
    (create,) = fake_api.requests_to("/Calls.json", "POST")
    sid = next(iter(fake_api.calls))

    call = answer(evening, create.form["Url"], sid, plan=plan)
    status_callback(evening, attempt_id, sid, "completed")

    whisper = [] if plan == "no_answer" else ["12348回拨：预约回电，哈尔滨。按1接通。"]
    assert call.caller.whispers == whisper
    assert call.requests[-1][1]["DialCallStatus"] == dial_status
    assert "您之前预约了回电" in call.heard_text and "稍后会再给您回电" in call.heard_text
    assert "感谢您致电" not in call.heard_text
    fresh(db_session)
    attempt = db_session.get(CallbackAttempt, attempt_id)
    assert (attempt.outcome, attempt.talk_seconds) == ("agent_unreachable", None)
    row = db_session.get(CallbackRequest, item.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, None)
    assert db_session.get(Agent, agent.id).status == "available"
    outbound = db_session.scalars(select(Call).where(Call.call_sid == sid)).one()
    assert outbound.outcome == "agent_unreachable"


def test_the_agent_leg_hears_a_whisper_and_only_key_1_bridges(evening, db_session, fake_api):
    now = evening.clock.now
    agent = add_agent(db_session, "qiqihar1", "qiqihar", contact=AGENT_PHONE, now=now)
    item = item_for(db_session, now, region="qiqihar")
    attempt_id = start(evening, db_session, agent, item.id).get_json()["attempt"]["id"]
    sid = next(iter(fake_api.calls))
    leg = call_params("CA" + "5d" * 16, from_=HOTLINE, To=AGENT_PHONE, ParentCallSid=sid,
                      Direction="outbound-dial", CallStatus="in-progress")  # fmt: skip
    path = f"/voice/callback/agent?attempt={attempt_id}"

    whisper = signed_post(evening.test_client(), path, leg, AUTH_TOKEN)

    root = ET.fromstring(whisper.get_data(as_text=True))
    assert [verb.tag for verb in root] == ["Gather", "Say", "Hangup"]
    gather = root.find("Gather")
    assert (gather.get("numDigits"), gather.get("timeout")) == ("1", "8")
    assert gather.get("action") == f"http://localhost{path}"
    assert says(whisper).startswith("12348回拨：预约回电，齐齐哈尔。按1接通。")
    assert "未收到按键" in root.find("Say").text
    wrong = signed_post(evening.test_client(), path, {**leg, "Digits": "*"}, AUTH_TOKEN)
    assert [verb.tag for verb in ET.fromstring(wrong.get_data(as_text=True))] == ["Say", "Hangup"]
    kinds = fresh(db_session).scalars(select(CallEvent.kind)).all()
    assert "callback_agent_answered" not in kinds  # neither the whisper nor a wrong key
    accepted = signed_post(evening.test_client(), path, {**leg, "Digits": "1"}, AUTH_TOKEN)
    assert list(ET.fromstring(accepted.get_data(as_text=True))) == []  # the bridge
    answered = fresh(db_session).scalars(
        select(CallEvent).where(CallEvent.kind == "callback_agent_answered")
    )
    assert [event.at for event in answered] == [now]


def test_only_one_agent_calls_an_item_and_busy_agents_are_refused(evening, db_session, fake_api):
    now = evening.clock.now
    first = add_agent(db_session, "harbin1", "harbin", now=now)
    second = add_agent(db_session, "harbin2", "harbin", now=now)
    outsider = add_agent(db_session, "qiqihar1", "qiqihar", now=now)
    item = item_for(db_session, now)
    other = item_for(db_session, now)

    assert start(evening, db_session, outsider, item.id).status_code == 403
    assert start(evening, db_session, first, item.id).status_code == 201
    taken = start(evening, db_session, second, item.id)
    busy = start(evening, db_session, first, other.id)
    unknown = start(evening, db_session, first, 999999)

    assert taken.status_code == 409 and busy.status_code == 409 and unknown.status_code == 404
    closing = evening.test_client().post(
        f"/api/work-items/{item.id}/close", json={}, headers=bearer(db_session, first)
    )
    assert closing.status_code == 409  # the call is under way
    assert len(fake_api.requests_to("/Calls.json", "POST")) == 1
    assert fresh(db_session).get(CallbackRequest, other.id).status == "pending"


def test_twilio_refusing_the_call_keeps_the_item_due_and_frees_the_agent(
    evening, db_session, fake_api
):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", now=now)
    item = item_for(db_session, now)
    fake_api.fail_next(status=400, code=21211, message="Invalid 'To' Phone Number")

    refused = start(evening, db_session, agent, item.id)

    assert refused.status_code == 502, refused.get_json()
    assert refused.get_json()["error"] == "telephony_failed"
    fresh(db_session)
    (attempt,) = db_session.scalars(select(CallbackAttempt)).all()
    assert (attempt.outcome, attempt.call_sid) == ("failed", None)
    row = db_session.get(CallbackRequest, item.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, None)
    assert db_session.get(Agent, agent.id).status == "available"


@pytest.mark.parametrize("path", ["answer", "agent", "dialed", "status"])
def test_unsigned_callback_webhooks_are_refused(evening, path):
    response = evening.test_client().post(
        f"/voice/callback/{path}?attempt=1", data=call_params("CA" + "0" * 32)
    )
    assert response.status_code == 403


@pytest.mark.parametrize("attempt", ["999999", "abc", ""])
def test_an_unknown_attempt_gets_a_polite_goodbye_not_an_error(evening, attempt):
    client = evening.test_client()
    params = call_params("CA" + "1" * 32, Direction="outbound-api", CallStatus="in-progress")

    for path in ("answer", "dialed"):
        response = signed_post(
            client, f"/voice/callback/{path}?attempt={attempt}", params, AUTH_TOKEN
        )
        assert response.status_code == 200 and response.mimetype == "text/xml"
        assert "本次回电已结束" in says(response)
        assert ET.fromstring(response.get_data(as_text=True)).find("Hangup") is not None
    status = signed_post(
        client, f"/voice/callback/status?attempt={attempt}", {**params, "CallStatus": "busy"},
        AUTH_TOKEN,
    )  # fmt: skip
    assert status.status_code == 200


def test_the_whisper_may_only_name_the_source_and_the_region(tmp_path, settings):
    text = (settings.config_dir / "callbacks.yaml").read_text(encoding="utf-8")
    (tmp_path / "callbacks.yaml").write_text(
        text.replace("12348回拨：{source}", "12348回拨：{agent}"), encoding="utf-8"
    )
    with pytest.raises(ConfigFileError) as caught:
        load_return_call_config(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'callbacks.yaml'}: "
        "'prompts.agent_whisper' may only use {source} and {region}: 'agent'"
    )
