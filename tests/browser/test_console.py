"""The console in headless chromium: a routed call appears, the consultation gets a case number.

The call goes the real way: the IVR's hand-off (routing.handoff.enqueue), one router cycle (which
redirects the caller through the fake Twilio API), then the caller's connect request and the
agent's whisper with key 1, as Twilio would send them (signed).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from rq import Queue
from sqlalchemy import select

from callbacks.lifecycle import CallLifecycle
from callbacks.work_items.items import open_work_item
from hotline import clock
from hotline.calls import get_or_create_call
from hotline.consultations import ConsultationInput, save_consultation
from hotline.models import AuditEntry, Consultation
from hotline.staff import add_shift
from hotline.taxonomy import load_taxonomy
from hotline.telephony import Telephony
from routing.handoff import QueueRequest, enqueue
from routing.router import Router
from tests.browser.conftest import OutsideTraffic
from tests.console_support import (
    CALLER,
    CALLER_MASKED,
    PASSWORD,
    bearer,
    consultation_body,
    make_call,
    make_staff,
)
from tests.harness.signing import call_params, signed_post

CASE_NUMBER = re.compile(r"HL12348-\d{8}-\d{6}")
EARLIER_SUMMARY = "上次来电咨询工伤认定程序，已告知申请时限。"


@pytest.fixture
def fake_api(fake_twilio, settings):
    """The fake Twilio API, accepting the test settings' auth token for REST calls."""
    previous, fake_twilio.auth_token = fake_twilio.auth_token, settings.twilio_auth_token
    yield fake_twilio
    fake_twilio.auth_token = previous


@pytest.fixture
def staff(db_session):
    staff = make_staff(db_session)
    now = clock.now()
    for username in ("wang", "li"):
        add_shift(db_session, username, now - timedelta(hours=1), now + timedelta(hours=8))
    db_session.commit()
    return staff


def log_in(page, base_url: str, username: str, screenshot=None) -> None:
    page.goto(f"{base_url}/login")
    if screenshot is not None:
        screenshot(page, "login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def earlier_consultation(db_session, staff, settings) -> None:
    """The caller consulted wang two days ago (so: a repeat caller with a history)."""
    agent = staff.agent(db_session, staff.wang)
    call = make_call(db_session, agent, stage="ended")
    call.started_at = clock.now() - timedelta(days=2)
    save_consultation(
        db_session,
        call,
        agent,
        ConsultationInput(topic="劳动纠纷", summary=EARLIER_SUMMARY, disposition="answered"),
        load_taxonomy(settings.config_dir),
        clock.now() - timedelta(days=2),
    )
    db_session.commit()


def queue_call(db_session, runtime) -> str:
    """The IVR hands a green-channel labour-dispute call from Harbin over to routing."""
    call, _ = get_or_create_call(db_session, "CA" + "1a" * 16, CALLER, "+8645112348")
    enqueue(
        db_session,
        runtime.redis,
        call,
        QueueRequest("consultation", "2", "劳动纠纷", "harbin", priority=1),
    )
    db_session.commit()
    return call.call_sid


def route_once(runtime, fake_api, call_sid: str) -> str:
    """One router cycle; returns the offer id of the caller's redirect."""
    report = Router(runtime, Telephony(runtime.settings), CallLifecycle(runtime)).run_once()
    assert report.offered == 1, report
    (redirect,) = fake_api.requests_to(f"/Calls/{call_sid}.json", "POST")
    return parse_qs(urlsplit(redirect.form["Url"]).query)["offer"][0]


def agent_presses_1(app, settings, call_sid: str, offer: str) -> None:
    """Twilio's side of the offer: the caller's connect, then the agent's whisper and key 1."""
    client = app.test_client()
    token = settings.twilio_auth_token
    connect = signed_post(
        client,
        f"/queue/connect?offer={offer}",
        call_params(call_sid, from_=CALLER, CallStatus="in-progress"),
        token,
    )
    assert connect.status_code == 200, connect.get_data(as_text=True)
    dial = ET.fromstring(connect.get_data(as_text=True)).find("Dial")
    assert dial is not None, connect.get_data(as_text=True)
    (target,) = list(dial)
    assert target.tag == "Client" and target.text.strip() == "wang"
    whisper_path = urlsplit(target.get("url")).path + "?" + urlsplit(target.get("url")).query
    agent_leg = call_params(
        "CA" + "2b" * 16, from_="+8645112348", ParentCallSid=call_sid, CallStatus="in-progress"
    )
    whisper = signed_post(client, whisper_path, agent_leg, token)
    gather = ET.fromstring(whisper.get_data(as_text=True)).find("Gather")
    assert gather is not None, whisper.get_data(as_text=True)
    action = urlsplit(gather.get("action"))
    pressed = signed_post(
        client, f"{action.path}?{action.query}", {**agent_leg, "Digits": "1"}, token
    )
    assert pressed.status_code == 200


def test_a_lawyer_takes_a_routed_call_and_records_it(
    app, live_server, new_page, staff, db_session, runtime, settings, fake_api, screenshot
):
    earlier_consultation(db_session, staff, settings)
    outside = OutsideTraffic()
    page = new_page(outside)
    log_in(page, live_server, "wang")
    expect(page).to_have_url(f"{live_server}/console")
    expect(page.locator("#status-pill")).to_have_attribute("data-status", "offline")
    expect(page.locator("#call-empty")).to_be_visible()

    page.click("[data-set-status=available]")
    expect(page.locator("#status-pill")).to_have_attribute("data-status", "available")
    expect(page.locator("#status-pill")).to_have_text("示闲")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    call_sid = queue_call(db_session, runtime)
    offer = route_once(runtime, fake_api, call_sid)

    card = page.locator("#call-details")
    expect(card).to_be_visible()
    expect(card.locator("[data-field=stage]")).to_have_text("振铃中")
    expect(card.locator("[data-field=caller]")).to_have_text(CALLER_MASKED)
    expect(card.locator("[data-field=service]")).to_have_text("法律咨询")
    expect(card.locator("[data-field=topic]")).to_have_text("劳动纠纷")
    expect(card.locator("[data-field=group]")).to_have_text("2 劳动纠纷")
    expect(card.locator("[data-field=region]")).to_have_text("哈尔滨")
    expect(card.locator("[data-field=call_sid]")).to_have_text(call_sid)
    expect(card.locator("[data-field=waiting]")).to_contain_text("秒")
    expect(page.locator("#flag-priority")).to_be_visible()
    expect(page.locator("#flag-repeat")).to_be_visible()
    expect(page.locator("#history")).to_contain_text(EARLIER_SUMMARY)
    expect(page.locator("#consultation-form")).to_be_hidden()
    screenshot(page, "console-ringing")

    agent_presses_1(app, settings, call_sid, offer)

    expect(card.locator("[data-field=stage]")).to_have_text("通话中")
    expect(card.locator("[data-field=caller]")).to_have_text(CALLER)  # the agent on the call
    form = page.locator("#consultation-form")
    expect(form).to_be_visible()
    expect(page.locator("#topic")).to_have_value("劳动纠纷")
    page.select_option("#topic", "劳动纠纷")
    page.fill(
        "#summary", "公司拖欠两个月工资并拒绝签订劳动合同，建议申请劳动仲裁，可申请法律援助。"
    )
    page.select_option("#disposition", "legal_aid")
    page.fill("#referral_office", "哈尔滨市法律援助中心")
    page.check("#follow_up_needed")
    screenshot(page, "console-talking")
    page.click("#save")

    expect(page.locator("#saved")).to_be_visible()
    case_number = page.locator("#case-number").inner_text()
    assert CASE_NUMBER.fullmatch(case_number)
    expect(page.locator("#recent")).to_contain_text(case_number)
    expect(form).to_be_hidden()
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "console-saved")

    db_session.rollback()
    saved = db_session.scalars(
        select(Consultation).where(Consultation.case_number == case_number)
    ).one()
    assert saved.disposition == "legal_aid" and saved.follow_up_needed
    assert saved.agent_id == staff.agent(db_session, staff.wang).id
    assert Queue("default", connection=runtime.redis).job_ids == [f"followup-{saved.id}"]
    assert outside.requests == [] and outside.websockets == []


def test_another_lawyer_is_refused_and_the_supervisor_reads_it(
    live_server, new_page, client, staff, db_session, screenshot
):
    call = make_call(db_session, staff.agent(db_session, staff.wang))
    case_number = client.post(
        "/api/consultations", json=consultation_body(call), headers=bearer(client, "wang")
    ).get_json()["case_number"]

    li = new_page()
    log_in(li, live_server, "li", screenshot)
    response = li.goto(f"{live_server}/consultations/{case_number}")
    assert response.status == 403
    expect(li.locator("[data-testid=error-message]")).to_contain_text("其他坐席")
    api = li.request.get(f"{live_server}/api/consultations/{case_number}")
    assert api.status == 403 and api.json()["error"] == "forbidden"
    assert li.goto(f"{live_server}/calls/{call.call_sid}").status == 403

    chen = new_page()
    log_in(chen, live_server, "chen")
    expect(chen).to_have_url(f"{live_server}/calls")
    expect(chen.locator("#calls-table")).to_contain_text(CALLER_MASKED)
    expect(chen.locator("#calls-table")).to_contain_text(case_number)
    screenshot(chen, "calls")
    chen.goto(f"{live_server}/consultations/{case_number}")
    expect(chen.locator("[data-testid=summary]")).to_contain_text("用人单位拖欠三个月工资")
    screenshot(chen, "consultation")

    chen.goto(f"{live_server}/calls/{call.call_sid}")
    timeline = chen.locator("#timeline")
    for label in ("来电接入", "进入排队", "坐席接听", "咨询记录已保存"):
        expect(timeline).to_contain_text(label)
    expect(chen.locator("#caller-number")).to_have_text(CALLER_MASKED)
    screenshot(chen, "call-timeline")
    chen.click("#reveal")
    expect(chen.locator("#caller-number")).to_have_text(CALLER)
    api = chen.request.get(f"{live_server}/api/calls/{call.call_sid}")
    assert api.status == 200 and api.json()["consultation"]["case_number"] == case_number

    db_session.rollback()
    reveal = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "reveal_number")
    ).one()
    assert reveal.user_id == staff.chen.id and reveal.detail["call_sid"] == call.call_sid


def test_browser_answering_is_wired_to_the_voice_token(
    live_server, new_page, staff, db_session, screenshot
):
    outside = OutsideTraffic()
    page = new_page(outside)
    log_in(page, live_server, "wang")
    assert page.evaluate("typeof Twilio.Device") == "function"
    with page.expect_response(lambda r: r.url.endswith("/api/voice/token")) as answer:
        page.click("#phone-enable")
    token = answer.value
    assert token.status == 201 and token.json()["identity"] == "wang"
    page.wait_for_function("window.hotlinePhone && window.hotlinePhone.device !== null")
    assert page.evaluate("window.hotlinePhone.identity") == "wang"
    assert page.evaluate("window.hotlinePhone.tokenRequests") == 1
    # Registering tries Twilio's signalling WebSocket: stubbed here, so it fails harmlessly.
    expect(page.locator("#phone-state")).not_to_have_text("未启用")
    screenshot(page, "console-browser-phone")
    assert outside.requests == []  # sounds and scripts come from this site only


def test_the_call_back_panel_lists_an_item_and_the_button_starts_the_call(
    app, live_server, new_page, staff, db_session, runtime, settings, fake_api, screenshot
):
    call = make_call(db_session, None, stage="ended")
    item = open_work_item(db_session, call, "queue", clock.now())
    db_session.commit()
    outside = OutsideTraffic()
    page = new_page(outside)
    log_in(page, live_server, "li")  # a lawyer answering on the phone, on duty in Harbin

    row = page.locator(f"#callback-items tr[data-item='{item.id}']")
    expect(row).to_contain_text(CALLER_MASKED)
    expect(row).to_contain_text("预约回电")
    expect(row).to_contain_text("哈尔滨")
    expect(row).to_contain_text("法律咨询 / 劳动纠纷")
    expect(row).to_contain_text("0 / 3")
    assert CALLER not in page.locator("#callback-panel").inner_text()
    screenshot(page, "console-callbacks")
    row.locator("[data-call-item]").click()

    expect(page.locator("#callback-progress")).to_have_attribute("data-status", "in_progress")
    expect(page.locator("#callback-progress-text")).to_contain_text("第1次回拨：呼叫中")
    expect(page.locator("#callback-phone")).to_have_text(CALLER)  # the agent working it
    (create,) = fake_api.requests_to("/Calls.json", "POST")
    assert create.form["To"] == CALLER
    assert "/voice/callback/answer?attempt=" in create.form["Url"]
    screenshot(page, "console-callback-dialing")
    expect(page.locator("#call-empty")).to_be_visible()  # the citizen's phone rings

    call_sid = next(iter(fake_api.calls))
    leg_url = citizen_answers(app, settings, call_sid, create.form["Url"])
    expect(page.locator("#call-details [data-field=stage]")).to_have_text("振铃中")
    expect(page.locator("#consultation-form")).to_be_hidden()
    whisper_action = agent_answers(app, settings, call_sid, leg_url)
    expect(page.locator("#call-details [data-field=stage]")).to_have_text("振铃中")  # no key yet
    bridge = agent_presses(app, settings, call_sid, whisper_action, "1")
    assert list(ET.fromstring(bridge)) == []  # nothing more to say: the two are connected

    card = page.locator("#call-details")
    expect(card.locator("[data-field=stage]")).to_have_text("通话中")
    expect(page.locator("#flag-callback")).to_have_text("回拨 · 预约回电")
    expect(card.locator("[data-field=caller]")).to_have_text(CALLER)  # the agent on the call
    expect(card.locator("[data-field=call_sid]")).to_have_text(call_sid)
    expect(page.locator("#consultation-form")).to_be_visible()
    expect(page.locator("#topic")).to_have_value("劳动纠纷")
    page.fill("#summary", "回拨来电人：公司拖欠工资，已告知劳动仲裁的申请时限和所需材料。")
    page.select_option("#disposition", "court_arbitration")
    screenshot(page, "console-callback-talking")
    page.click("#save")

    expect(page.locator("#saved")).to_be_visible()
    case_number = page.locator("#case-number").inner_text()
    assert CASE_NUMBER.fullmatch(case_number)
    expect(page.locator("#recent")).to_contain_text(case_number)
    talk_ends(app, settings, call_sid, create.form["Url"])
    expect(page.locator("#callback-progress")).to_have_attribute("data-status", "done")
    expect(page.locator("#callback-progress-text")).to_contain_text("回拨已接通")
    screenshot(page, "console-callback-saved")
    db_session.rollback()
    saved = db_session.scalars(
        select(Consultation).where(Consultation.case_number == case_number)
    ).one()
    assert (saved.disposition, saved.agent_id) == (
        "court_arbitration", staff.agent(db_session, staff.li).id,
    )  # fmt: skip
    assert f"followup-{saved.id}" in Queue("default", connection=runtime.redis).job_ids
    assert outside.requests == []


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def citizen_answers(app, settings, call_sid: str, answer_url: str) -> str:
    """Twilio's side of the call-back: the citizen picks up; the agent leg's url is returned."""
    params = call_params(call_sid, from_="+8645112348", To=CALLER, Direction="outbound-api",
                         CallStatus="in-progress")  # fmt: skip
    answer = signed_post(app.test_client(), _path(answer_url), params, settings.twilio_auth_token)
    dial = ET.fromstring(answer.get_data(as_text=True)).find("Dial")
    assert dial is not None, answer.get_data(as_text=True)
    (number,) = list(dial)
    assert number.tag == "Number" and number.text.strip() == "+8613900001111"
    return number.get("url")


def agent_answers(app, settings, call_sid: str, agent_leg_url: str) -> str:
    """The lawyer's phone is answered: Twilio runs the noun's url on that leg (the whisper).

    Returns the whisper's Gather action, where the lawyer's key goes.
    """
    answered = signed_post(app.test_client(), _path(agent_leg_url), agent_leg(call_sid),
                           settings.twilio_auth_token)  # fmt: skip
    gather = ET.fromstring(answered.get_data(as_text=True)).find("Gather")
    assert gather is not None, answered.get_data(as_text=True)
    assert "".join(gather.itertext()).strip() == "12348回拨：预约回电，哈尔滨。按1接通。"
    return gather.get("action")


def agent_presses(app, settings, call_sid: str, action: str, digits: str) -> str:
    """The lawyer presses a key in the whisper; the TwiML of their leg."""
    leg = {**agent_leg(call_sid), "Digits": digits}
    pressed = signed_post(app.test_client(), _path(action), leg, settings.twilio_auth_token)
    assert pressed.status_code == 200, pressed.get_data(as_text=True)
    return pressed.get_data(as_text=True)


def agent_leg(call_sid: str) -> dict[str, str]:
    """The webhook parameters of the lawyer's leg of the call-back."""
    return call_params("CA" + "3c" * 16, from_="+8645112348", To="+8613900001111",
                       ParentCallSid=call_sid, Direction="outbound-dial",
                       CallStatus="in-progress")  # fmt: skip


def talk_ends(app, settings, call_sid: str, answer_url: str) -> None:
    """The talk is over: the <Dial> action, then the call's final status."""
    client, token = app.test_client(), settings.twilio_auth_token
    attempt = parse_qs(urlsplit(answer_url).query)["attempt"][0]
    params = call_params(call_sid, from_="+8645112348", To=CALLER, Direction="outbound-api",
                         CallStatus="in-progress")  # fmt: skip
    dialed = {**params, "DialCallStatus": "completed", "DialCallDuration": "240"}
    done = {**params, "CallStatus": "completed", "CallDuration": "260"}
    for path, form in ((f"/voice/callback/dialed?attempt={attempt}", dialed),
                       (f"/voice/callback/status?attempt={attempt}", done)):  # fmt: skip
        assert signed_post(client, path, form, token).status_code == 200
