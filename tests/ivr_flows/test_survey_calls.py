"""The satisfaction survey after the talk, end to end: IVR, queue, router, agent, survey.

Each call goes through the real 12348 flow into the queue (service 1, a key at the topic
question, group 1; the Harbin landline gives the region), the router offers it to the on-duty
agent, the agent takes it and hangs up first: the caller's Dial ends and the survey begins.
The clock is Friday 2026-11-27 15:00 in Shanghai, so a 回访 task is due Monday 15:00.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from hotline.models import ReturnVisit, Survey
from hotline.staff import create_user
from tests.console_support import PASSWORD, bearer
from tests.console_support import password_hash as staff_password_hash
from tests.harness.caller import CallerError, CallResult, Silence, Speech
from tests.ivr_flows.support import HARBIN_LANDLINE, twiml_problems
from tests.routing.helpers import add_agent, call_row, redirects

FRIDAY_AFTERNOON = datetime.fromisoformat("2026-11-27T15:00:00+08:00")
MONDAY_AFTERNOON = datetime.fromisoformat("2026-11-30T15:00:00+08:00")
IVR_TO_QUEUE = ["1", "1", "1"]  # consultation, a key instead of speech, group 1
SURVEY_PROMPT = "通话已结束，请您对刚才的服务进行评价。"
COMMENT = "律师没有听完我的问题就挂了电话"


@pytest.fixture
def agent(db_session, routing_clock):
    routing_clock.set(FRIDAY_AFTERNOON)
    return add_agent(db_session, "harbin1", "harbin", contact="+8613900000001", now=routing_clock())


def talk_then_survey(routing_caller, router, fake_twilio, inputs, **changes) -> CallResult:
    """A caller queued by the IVR, matched, talked to, and the agent hangs up first."""
    call = routing_caller.place_call(from_=HARBIN_LANDLINE, inputs=list(IVR_TO_QUEUE))
    assert call.ended == ("queue", "hotline-harbin"), call.last_twiml
    assert router.run_once().offered == 1
    routing_caller.agent_plans.append("accept")
    call.dial_status = ["completed"]
    for name, value in changes.items():
        setattr(call, name, value)
    try:
        call.redirect(redirects(fake_twilio, call.call_sid)[-1], inputs=inputs)
    except CallerError:
        if "max_steps" not in changes:
            raise
    return call


def survey_steps(db_session, call_sid: str) -> list[str]:
    call = call_row(db_session, call_sid)
    return [f"{e.data['node']}:{e.data['outcome']}" for e in call.events if e.kind == "ivr_survey"]


def surveys(db_session) -> list[Survey]:
    db_session.rollback()
    return list(db_session.scalars(select(Survey)))


def tasks(db_session) -> list[ReturnVisit]:
    db_session.rollback()
    return list(db_session.scalars(select(ReturnVisit)))


def input_request(call: CallResult, node: str) -> tuple[str, dict[str, str]]:
    """The survey input webhook of a node that carried the caller's answer."""
    return next(
        (path, params)
        for path, params in call.requests
        if path.startswith(f"/ivr/input?node={node}&flow=survey") and "noinput" not in path
    )


def test_a_low_rating_with_a_comment_opens_a_return_visit_due_next_working_day(
    db_session, client, fake_twilio, router, routing_caller, agent
):
    call = talk_then_survey(routing_caller, router, fake_twilio, ["2", Speech(COMMENT)])

    assert call.ended == ("hangup",)
    assert any(text.startswith(SURVEY_PROMPT) for text in call.heard)
    assert call.heard[-1] == "感谢您的评价，我们会认真改进。再见。"
    rating_gather, comment_gather = call.gathers[-2:]
    assert rating_gather["action"] == "http://localhost/ivr/input?node=rating&flow=survey"
    assert (rating_gather["input"], rating_gather["numDigits"]) == ("dtmf", "1")
    assert comment_gather["input"] == "speech dtmf"
    assert comment_gather["language"] == "cmn-Hans-CN"
    assert comment_gather["action"] == "http://localhost/ivr/input?node=comment&flow=survey"

    [survey] = surveys(db_session)
    assert (survey.channel, survey.rating, survey.comment) == ("ivr", 2, COMMENT)
    assert (survey.agent_id, survey.region, survey.raw_reply) == (agent.id, "harbin", "2")
    assert survey.rated_at == FRIDAY_AFTERNOON
    [task] = tasks(db_session)
    assert (task.status, task.rating, task.region, task.survey_id) == (
        "open", 2, "harbin", survey.id,
    )  # fmt: skip
    assert task.due_at == MONDAY_AFTERNOON
    assert call_row(db_session, call.call_sid).stage == "survey"
    assert survey_steps(db_session, call.call_sid) == [
        "rating:start", "rating:prompted", "rating:rated", "comment:prompted",
        "comment:commented", "thanks:hangup",
    ]  # fmt: skip

    call.hangup()
    stored = call_row(db_session, call.call_sid)
    assert (stored.stage, stored.outcome, stored.hangup_stage) == ("ended", "answered", "survey")

    create_user(db_session, "chen", "supervisor", PASSWORD, password_hash=staff_password_hash())
    db_session.commit()
    detail = client.get(f"/api/calls/{call.call_sid}", headers=bearer(client, "chen")).get_json()
    rated = [e for e in detail["events"] if e["kind"] == "survey"]
    assert [(e["label"], e["data"]) for e in rated] == [
        ("满意度评价", {"channel": "ivr", "rating": 2})
    ]
    steps = [e for e in detail["events"] if e["kind"] == "ivr_survey"]
    assert steps[2]["label"] == "语音满意度评价"
    assert steps[2]["data"]["rating"] == 2 and steps[2]["data"]["return_visit"] == task.id


def test_a_satisfied_caller_opens_no_task_and_the_hash_key_skips_the_comment(
    db_session, fake_twilio, router, routing_caller, agent
):
    call = talk_then_survey(routing_caller, router, fake_twilio, ["5", "#"])

    assert call.ended == ("hangup",)
    [survey] = surveys(db_session)
    assert (survey.rating, survey.comment) == (5, "")
    assert tasks(db_session) == []
    assert survey_steps(db_session, call.call_sid)[-2:] == ["comment:skipped", "thanks:hangup"]


def test_silence_at_the_comment_means_no_comment(
    db_session, fake_twilio, router, routing_caller, agent
):
    call = talk_then_survey(routing_caller, router, fake_twilio, ["4", Silence()])

    assert call.ended == ("hangup",)
    [survey] = surveys(db_session)
    assert (survey.rating, survey.comment) == (4, "")
    assert survey_steps(db_session, call.call_sid)[-2:] == ["comment:no_comment", "thanks:hangup"]


def test_a_junk_key_then_silence_gets_one_retry_then_a_goodbye_and_stores_nothing(
    db_session, fake_twilio, router, routing_caller, agent
):
    call = talk_then_survey(routing_caller, router, fake_twilio, ["7", Silence()])

    assert call.ended == ("hangup",)
    assert "请按1到5之间的数字键。" in call.heard
    assert sum(text.startswith(SURVEY_PROMPT) for text in call.heard) == 2
    assert call.heard[-1] == "感谢您的来电，再见。"
    assert surveys(db_session) == [] and tasks(db_session) == []
    assert survey_steps(db_session, call.call_sid) == [
        "rating:start", "rating:prompted", "rating:invalid", "rating:prompted",
        "rating:no_input", "rating:failed", "goodbye:hangup",
    ]  # fmt: skip


def test_the_same_rating_webhook_twice_stores_one_survey_and_one_task(
    db_session, fake_twilio, router, routing_caller, agent
):
    call = talk_then_survey(routing_caller, router, fake_twilio, ["1", Speech(COMMENT)])
    path, params = input_request(call, "rating")

    again = routing_caller.send(routing_caller.absolute(path), params)
    comment_path, comment_params = input_request(call, "comment")
    comment_again = routing_caller.send(routing_caller.absolute(comment_path), comment_params)

    assert again.status_code == comment_again.status_code == 200
    assert twiml_problems(again.get_data(as_text=True)) == []
    assert "node=comment&amp;flow=survey" in again.get_data(as_text=True)  # asked again
    [survey] = surveys(db_session)
    assert (survey.rating, survey.comment) == (1, COMMENT)
    assert len(tasks(db_session)) == 1
    steps = survey_steps(db_session, call.call_sid)
    assert steps.count("rating:rated") == 1 and steps.count("rating:already_rated") == 1
    assert steps.count("comment:commented") == 1


def test_a_repeated_dial_result_asks_again_until_the_caller_rated(
    db_session, fake_twilio, router, routing_caller, agent
):
    call = talk_then_survey(routing_caller, router, fake_twilio, [], max_steps=2)
    dial_path, dial_params = next(
        (p, params) for p, params in call.requests if p.startswith("/queue/dial-result")
    )

    repeated = routing_caller.send(routing_caller.absolute(dial_path), dial_params)
    assert SURVEY_PROMPT in repeated.get_data(as_text=True)

    routing_caller.send(
        routing_caller.absolute("/ivr/input?node=rating&flow=survey"),
        {**dial_params, "Digits": "3"},
    )
    after_rating = routing_caller.send(routing_caller.absolute(dial_path), dial_params)
    body = after_rating.get_data(as_text=True)
    assert SURVEY_PROMPT not in body and "<Hangup />" in body
    assert [s.rating for s in surveys(db_session)] == [3]


def test_a_caller_who_hangs_up_during_the_survey_leaves_no_rating(
    db_session, fake_twilio, router, routing_caller, agent
):
    call = talk_then_survey(routing_caller, router, fake_twilio, [], max_steps=2)
    assert any(text.startswith(SURVEY_PROMPT) for text in call.heard)

    call.hangup()

    assert surveys(db_session) == [] and tasks(db_session) == []
    stored = call_row(db_session, call.call_sid)
    assert (stored.stage, stored.outcome, stored.hangup_stage) == ("ended", "answered", "survey")


def test_no_survey_when_the_caller_hung_up_first(
    db_session, fake_twilio, router, routing_caller, agent
):
    call = talk_then_survey(
        routing_caller, router, fake_twilio, [], extra_params={"CallStatus": "completed"}
    )

    assert call.ended == ("hangup",)
    assert not any(text.startswith(SURVEY_PROMPT) for text in call.heard)
    assert call_row(db_session, call.call_sid).stage == "wrap_up"
    assert survey_steps(db_session, call.call_sid) == []
