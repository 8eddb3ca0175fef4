"""Node kinds the 12348 flow does not use (transfer, survey, play, set), on a small test flow."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.models import CallbackRequest, Survey
from tests.conftest import AUTH_TOKEN
from tests.ivr_flows.support import (
    HARBIN_LANDLINE,
    call_row,
    caller_for,
    destination,
    ivr_steps,
    make_app,
)

KINDS_FLOW = """
name: kinds
start: intro
safe_default: operator
nodes:
  intro:
    kind: play
    url: https://media.example.cn/welcome.mp3
    next: pick
  pick:
    kind: menu
    prompt: after_hours_menu
    options:
      "1": emergency
      "2": rate
      "3": {next: tag, set: {vip: "yes"}}
      "4": call_me
      "#": bye
  emergency:
    kind: transfer
    number: "110"
    prompt: transfer_notice
    timeout: 20
    next: bye
  rate:
    kind: survey
    prompt: survey_prompt
    thanks_prompt: survey_thanks
    next: bye
  tag:
    kind: set
    set: {service: mediation, topic: 婚姻家庭}
    next: check
  check:
    kind: branch
    cases:
      - when: {vip: ["yes", "maybe"], service: mediation}
        next: operator
    default: bye
  call_me:
    kind: callback
    anonymous_next: bye
  operator:
    kind: enqueue
    region: province
    priority: 2
  bye:
    kind: hangup
"""


@pytest.fixture
def kinds_caller(runtime, tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "kinds.yaml").write_text(KINDS_FLOW, encoding="utf-8")
    return caller_for(make_app(runtime, flows_dir=flows, flow="kinds"), AUTH_TOKEN)


def test_play_then_transfer_to_110(kinds_caller, db_session):
    call = kinds_caller.place_call(from_=HARBIN_LANDLINE, inputs=["1"])

    assert call.heard[0] == "play:https://media.example.cn/welcome.mp3"
    assert (call.dials[0]["kind"], call.dials[0]["target"]) == ("Number", "110")
    assert call.dials[0]["attrs"]["timeout"] == "20"
    assert call.dials[0]["attrs"]["action"] == "http://localhost/ivr/dialed?node=emergency"
    assert call.ended == ("hangup",)
    assert call_row(db_session, call.call_sid).outcome == "transferred"
    assert ivr_steps(db_session, call.call_sid) == [
        "intro:played", "pick:prompted", "pick:chosen", "emergency:dialing", "emergency:dialed",
    ]  # fmt: skip


def test_unanswered_transfer_goes_on_in_the_flow(kinds_caller, db_session):
    call = kinds_caller.place_call(from_=HARBIN_LANDLINE, inputs=["1"], dial_status="no-answer")

    assert call.ended == ("hangup",)
    assert call.heard[-1] == "感谢您的来电，再见。"
    assert ivr_steps(db_session, call.call_sid)[-2:] == ["emergency:dialed", "bye:hangup"]


def test_survey_stores_the_rating(kinds_caller, db_session):
    call = kinds_caller.place_call(from_=HARBIN_LANDLINE, inputs=["2", "9", "4"])

    survey = db_session.scalars(select(Survey)).one()
    assert (survey.rating, survey.channel, survey.call_id) == (
        4, "ivr", call_row(db_session, call.call_sid).id,
    )  # fmt: skip
    assert "感谢您的评价。" in call.heard
    assert ivr_steps(db_session, call.call_sid)[3:] == [
        "rate:prompted", "rate:invalid", "rate:prompted", "rate:rated", "bye:hangup",
    ]  # fmt: skip


def test_survey_without_an_answer_goes_on_without_the_operator(kinds_caller, db_session):
    call = kinds_caller.place_call(from_=HARBIN_LANDLINE, inputs=["2"])

    assert call.ended == ("hangup",)
    assert db_session.scalars(select(Survey)).all() == []
    assert ivr_steps(db_session, call.call_sid)[-2:] == ["rate:failed", "bye:hangup"]


def test_set_and_branch_on_a_flow_variable(kinds_caller, db_session):
    call = kinds_caller.place_call(from_=HARBIN_LANDLINE, inputs=["3"])

    assert call.ended == ("queue", "hotline-province")
    row = call_row(db_session, call.call_sid)
    # Setting a topic sets its group; the node's own region and priority win.
    assert destination(row) == ("mediation", "1", "婚姻家庭", "province", 2, "queued")
    assert ivr_steps(db_session, call.call_sid)[2:] == [
        "pick:chosen", "tag:set", "check:branched", "operator:enqueued",
    ]  # fmt: skip


def test_call_back_request_from_the_ivr(kinds_caller, db_session):
    call = kinds_caller.place_call(from_=HARBIN_LANDLINE, inputs=["4"])

    assert call.ended == ("hangup",)
    request = db_session.scalars(select(CallbackRequest)).one()
    assert (request.source, request.phone, request.region, request.status) == (
        "ivr", HARBIN_LANDLINE, "harbin", "pending",
    )  # fmt: skip


def test_call_back_is_not_offered_to_an_anonymous_caller(kinds_caller, db_session):
    call = kinds_caller.place_call(from_="anonymous", inputs=["4"])

    assert call.ended == ("hangup",)
    assert db_session.scalars(select(CallbackRequest)).all() == []
    assert ivr_steps(db_session, call.call_sid)[-2:] == ["call_me:anonymous", "bye:hangup"]


def test_hash_is_a_menu_key_when_the_menu_offers_it(kinds_caller, db_session):
    call = kinds_caller.place_call(from_=HARBIN_LANDLINE, inputs=["#"])
    assert call.ended == ("hangup",)
    assert ivr_steps(db_session, call.call_sid)[-2:] == ["pick:chosen", "bye:hangup"]
