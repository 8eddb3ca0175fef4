"""After a call-back connects, the agent's console shows the call and records its consultation."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from rq import Queue
from sqlalchemy import select

from callbacks.sms.jobs import followup_job_id
from hotline.clock import using_clock
from hotline.models import AuditEntry, Call, CallbackRequest, CallEvent, Consultation, Message
from tests.callbacks.sms.sms_support import work
from tests.callbacks.work_items import return_call_support as callback_support
from tests.callbacks.work_items import test_return_calls as call_backs
from tests.callbacks.work_items.test_items import (
    HARBIN_LANDLINE,
    HARBIN_MASKED,
    bearer,
    fresh,
    item_for,
    leave_voicemail,
)
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import call_params, signed_post
from tests.routing.helpers import add_agent

AGENT_PHONE, HOTLINE = call_backs.AGENT_PHONE, call_backs.HOTLINE
CASE_NUMBER = re.compile(r"HL12348-\d{8}-\d{6}")
WRAP_UP_SECONDS = 60  # config/routing.yaml
evening, fake_api = call_backs.evening, call_backs.fake_api  # the same fixtures


def current(app, session, agent):
    """GET /api/agents/me/current as the agent."""
    response = app.test_client().get("/api/agents/me/current", headers=bearer(session, agent))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def save(app, session, agent, call_sid: str):
    """The agent saves the consultation form: POST /api/consultations."""
    body = {
        "call_sid": call_sid,
        "topic": "劳动纠纷",
        "summary": "用人单位拖欠工资两个月，建议先申请劳动仲裁，并告知法律援助申请条件。",
        "disposition": "legal_aid",
        "referral_office": "哈尔滨市法律援助中心",
    }
    return app.test_client().post("/api/consultations", json=body, headers=bearer(session, agent))


def start(app, session, agent, item_id: int) -> int:
    """The agent presses 回拨; the attempt's id."""
    response = call_backs.start(app, session, agent, item_id)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["attempt"]["id"]


def twilio_post(app, path: str, params: dict[str, str]):
    """A signed webhook as Twilio sends it."""
    response = signed_post(app.test_client(), path, params, AUTH_TOKEN)
    assert response.status_code == 200, response.get_data(as_text=True)
    return ET.fromstring(response.get_data(as_text=True))


def test_a_connected_call_back_is_the_agents_current_call_and_gets_a_case_number(
    evening, db_session, fake_api, jobs_runtime
):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", contact=AGENT_PHONE, now=now)
    other = add_agent(db_session, "harbin2", "harbin", now=now)
    leave_voicemail(evening)
    item = fresh(db_session).scalars(select(CallbackRequest)).one()
    attempt_id = start(evening, db_session, agent, item.id)
    (create,) = fake_api.requests_to("/Calls.json", "POST")
    sid = next(iter(fake_api.calls))
    assert current(evening, db_session, agent) is None  # the citizen's phone rings

    call = callback_support.answer(evening, create.form["Url"], sid)  # the agent presses 1
    call.ended = ("dial",)
    call.hangup(status_path=f"/voice/callback/status?attempt={attempt_id}")

    (dial,) = call.dials
    assert dial["url"] == f"http://localhost/voice/callback/agent?attempt={attempt_id}"
    shown = current(evening, db_session, agent)
    assert (shown["call_sid"], shown["stage"], shown["direction"]) == (sid, "wrap_up", "outbound")
    assert (shown["caller"], shown["caller_full"]) == (HARBIN_MASKED, HARBIN_LANDLINE)
    assert (shown["callback_source"], shown["callback_source_label"]) == ("voicemail", "留言")
    assert (shown["region"], shown["waiting_seconds"]) == ("harbin", None)
    assert current(evening, db_session, other) is None

    refused = save(evening, db_session, other, sid)
    saved = save(evening, db_session, agent, sid)

    assert refused.status_code == 403, refused.get_json()
    assert saved.status_code == 201, saved.get_json()
    case_number = saved.get_json()["case_number"]
    assert CASE_NUMBER.fullmatch(case_number)
    assert saved.get_json()["caller"] == HARBIN_MASKED  # the citizen, not the hotline number
    fresh(db_session)
    outbound = db_session.scalars(select(Call).where(Call.call_sid == sid)).one()
    consultation = db_session.scalars(select(Consultation)).one()
    assert (consultation.call_id, consultation.agent_id, consultation.caller_id) == (
        outbound.id, agent.id, outbound.caller_id,
    )  # fmt: skip
    reveal = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "reveal_number"))
    assert [entry.detail["call_sid"] for entry in reveal] == [sid]  # audited once

    queued = Queue("default", connection=jobs_runtime.redis).job_ids
    assert followup_job_id(consultation.id) in queued  # queued after the commit
    with using_clock(evening.clock):
        work(jobs_runtime.redis)
    sms = fresh(db_session).scalars(select(Message).where(Message.kind == "followup")).one()
    assert (sms.to_number, sms.status, sms.consultation_id) == (
        HARBIN_LANDLINE, "queued", consultation.id,
    )  # fmt: skip
    (sent,) = fake_api.requests_to("/Messages.json", "POST")  # handed to Twilio
    assert sent.form["To"] == HARBIN_LANDLINE and case_number in sent.form["Body"]

    evening.clock.now = now + timedelta(seconds=WRAP_UP_SECONDS + 1)
    assert current(evening, db_session, agent) is None  # the wrap-up time is over


def test_the_agent_sees_ringing_then_talking_and_saves_during_the_talk(
    evening, db_session, fake_api
):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", contact="client:harbin1", now=now)
    item = item_for(db_session, now, service="consultation", group="2")
    attempt_id = start(evening, db_session, agent, item.id)
    sid = next(iter(fake_api.calls))
    citizen = call_params(sid, from_=HOTLINE, To=HARBIN_LANDLINE, Direction="outbound-api",
                          CallStatus="in-progress")  # fmt: skip

    answer = twilio_post(evening, f"/voice/callback/answer?attempt={attempt_id}", citizen)
    (client,) = answer.find("Dial")
    assert (client.tag, client.text.strip()) == ("Client", "harbin1")
    agent_url = client.get("url")
    assert agent_url == f"http://localhost/voice/callback/agent?attempt={attempt_id}"
    ringing = current(evening, db_session, agent)
    assert (ringing["stage"], ringing["caller"]) == ("ringing", HARBIN_MASKED)
    assert "caller_full" not in ringing and ringing["callback_source_label"] == "预约回电"

    leg = call_params("CA" + "7e" * 16, from_=HOTLINE, To="client:harbin1", ParentCallSid=sid,
                      Direction="outbound-dial", CallStatus="in-progress")  # fmt: skip
    path = agent_url.removeprefix("http://localhost")
    stranger = twilio_post(evening, path, {**leg, "ParentCallSid": "CA" + "0" * 32})
    assert [verb.tag for verb in stranger] == ["Hangup"]
    whisper = twilio_post(evening, path, leg)
    assert [verb.tag for verb in whisper] == ["Gather", "Say", "Hangup"]
    assert current(evening, db_session, agent)["stage"] == "ringing"  # until the agent presses 1
    bridged = twilio_post(evening, path, {**leg, "Digits": "1"})
    again = twilio_post(evening, path, {**leg, "Digits": "1"})  # a retried webhook

    assert list(bridged) == [] and list(again) == []  # nothing to say: the bridge follows
    talking = current(evening, db_session, agent)
    assert (talking["stage"], talking["caller_full"]) == ("talking", HARBIN_LANDLINE)
    answered = fresh(db_session).scalars(
        select(CallEvent).where(CallEvent.kind == "callback_agent_answered")
    )
    assert [event.at for event in answered] == [now]  # recorded once
    saved = save(evening, db_session, agent, sid)
    assert saved.status_code == 201, saved.get_json()
    twice = save(evening, db_session, agent, sid)
    assert twice.status_code == 409
    assert twice.get_json()["details"]["case_number"] == saved.get_json()["case_number"]


def test_an_agent_leg_of_an_ended_attempt_is_hung_up(evening, db_session, fake_api):
    now = evening.clock.now
    agent = add_agent(db_session, "harbin1", "harbin", contact=AGENT_PHONE, now=now)
    item = item_for(db_session, now)
    attempt_id = start(evening, db_session, agent, item.id)
    sid = next(iter(fake_api.calls))
    ended = call_params(sid, from_=HOTLINE, To=HARBIN_LANDLINE, Direction="outbound-api",
                        CallStatus="no-answer")  # fmt: skip
    twilio_post(evening, f"/voice/callback/status?attempt={attempt_id}", ended)
    leg = call_params("CA" + "7f" * 16, ParentCallSid=sid, CallStatus="in-progress")

    late = twilio_post(evening, f"/voice/callback/agent?attempt={attempt_id}", leg)

    assert [verb.tag for verb in late] == ["Hangup"]
    assert current(evening, db_session, agent) is None
