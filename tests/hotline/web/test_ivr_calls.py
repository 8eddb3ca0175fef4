"""End-to-end calls through the 12348 flow: one per path, each with its exact destination."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.models import Caller
from tests.conftest import AUTH_TOKEN
from tests.harness.caller import Silence, Speech
from tests.ivr_flows.support import (
    BEIJING_MOBILE,
    HARBIN_LANDLINE,
    UNKNOWN_MOBILE,
    StubClassifier,
    call_row,
    call_until,
    caller_for,
    destination,
    event_kinds,
    events,
    ivr_steps,
    make_app,
)

WELCOME = ["welcome:said", "hours_check:branched", "service_menu:prompted"]
BY_KEY = ["topic_speech:prompted", "topic_speech:keyed", "group_menu:prompted",
          "group_menu:chosen"]  # fmt: skip
TO_QUEUE = ["region:known", "queue:enqueued"]
NO_INPUT_3 = ["service_menu:no_input", "service_menu:prompted"] * 2 + [
    "service_menu:no_input",
    "service_menu:failed",
    "operator_queue:enqueued",
]


def queued_kinds(session, call_sid: str) -> list[str]:
    """The kinds of the events up to the IVR's hand-off, without the IVR steps themselves.

    (After the hand-off, routing adds its own events: overflow, offers and so on.)
    """
    found = events(session, call_sid)
    last = max(i for i, e in enumerate(found) if e.kind == "ivr")
    return [e.kind for e in found[: last + 1] if e.kind != "ivr"]


@pytest.mark.parametrize(
    ("keys", "service", "group", "topic", "steps"),
    [
        (["1", "1", "2"], "consultation", "2", "劳动纠纷", BY_KEY),
        (["2", "5", "1"], "legal_aid", "1", "婚姻家庭", BY_KEY),
        (["3", "0", "4"], "mediation", "4", "综合咨询", BY_KEY),
        (["4"], "notary_forensic", "9", "综合咨询", []),
        (["5"], "complaint", "9", "综合咨询", []),
    ],
)
def test_every_service_reaches_its_queue(caller, db_session, keys, service, group, topic, steps):
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=keys)

    assert call.ended == ("queue", "hotline-harbin")
    row = call_row(db_session, call.call_sid)
    assert destination(row) == (service, group, topic, "harbin", 0, "queued")
    assert ivr_steps(db_session, call.call_sid) == (
        WELCOME + ["service_menu:chosen"] + steps + TO_QUEUE
    )
    assert queued_kinds(db_session, call.call_sid) == ["incoming", "ivr_start", "enqueued"]
    assert call.queues[0]["waitUrl"] == "http://localhost/queue/wait"
    assert call.queues[0]["action"] == "http://localhost/queue/left"
    assert "正在为您转接值班人员，请稍候。" in call.heard


def test_operator_key_goes_to_the_operator_queue(caller, db_session):
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["0"])

    assert call.ended == ("queue", "hotline-harbin")
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("operator", "9", "综合咨询", "harbin", 0, "queued")
    assert ivr_steps(db_session, call.call_sid) == WELCOME + [
        "service_menu:chosen",
        "operator_queue:enqueued",
    ]


@pytest.mark.parametrize(
    ("digit", "topic"),
    [("1", "婚姻家庭"), ("2", "劳动纠纷"), ("3", "综合咨询"), ("4", "综合咨询"),
     ("5", "综合咨询"), ("6", "综合咨询"), ("7", "综合咨询"), ("9", "综合咨询")],
)  # fmt: skip
def test_every_group_of_the_group_menu(caller, db_session, digit, topic):
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["1", "#", digit])

    assert call.ended == ("queue", "hotline-harbin")
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("consultation", digit, topic, "harbin", 0, "queued")
    chosen = [e.data for e in events(db_session, call.call_sid) if e.kind == "ivr"][7]
    assert chosen == {"node": "group_menu", "node_kind": "menu", "outcome": "chosen",
                      "input": digit, "next": "region"}  # fmt: skip


def test_clear_speech_is_classified_with_the_real_classifier(caller, db_session):
    # "1" after the speech confirms the guess if the classifier asks; otherwise it is unused.
    call = caller.place_call(
        from_=HARBIN_LANDLINE, inputs=["2", Speech("老板拖欠我三个月工资不给"), "1"]
    )

    assert call.ended == ("queue", "hotline-harbin")
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("legal_aid", "2", "劳动纠纷", "harbin", 0, "queued")
    gather = call.gathers[1]
    assert (gather["input"], gather["language"]) == ("speech dtmf", "cmn-Hans-CN")
    assert "劳动纠纷" in gather["hints"].split(",")


def test_confident_speech_is_accepted_without_confirmation(app, caller, db_session):
    app.config["HOTLINE_CLASSIFIER"] = StubClassifier("交通事故", "5", 0.93)
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["1", Speech("我被车撞了")])

    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("consultation", "5", "交通事故", "harbin", 0, "queued")
    middle = [
        "service_menu:chosen",
        "topic_speech:prompted",
        "topic_speech:heard",
        "topic_classify:accepted",
    ]
    assert ivr_steps(db_session, call.call_sid) == WELCOME + middle + TO_QUEUE
    assert "好的，交通事故问题。" in call.heard
    heard = [e.data for e in events(db_session, call.call_sid) if e.kind == "ivr"][5]
    assert heard["input"] == "我被车撞了"


@pytest.mark.parametrize("answer", ["1", Speech("是的")])
def test_unsure_speech_is_confirmed(app, caller, db_session, answer):
    app.config["HOTLINE_CLASSIFIER"] = StubClassifier("房产纠纷", "4", 0.42)
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["3", Speech("房子的事"), answer])

    assert call.ended == ("queue", "hotline-harbin")
    assert "您咨询的是房产纠纷问题吗？确认请按1，重新选择请按2。" in call.heard
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("mediation", "4", "房产纠纷", "harbin", 0, "queued")
    middle = [
        "service_menu:chosen",
        "topic_speech:prompted",
        "topic_speech:heard",
        "topic_classify:confirm_asked",
        "topic_classify:confirmed",
    ]
    assert ivr_steps(db_session, call.call_sid) == WELCOME + middle + TO_QUEUE


@pytest.mark.parametrize("answer", ["2", Speech("不是")])
def test_misunderstood_speech_is_corrected_with_the_group_menu(app, caller, db_session, answer):
    app.config["HOTLINE_CLASSIFIER"] = StubClassifier("合同纠纷", "3", 0.35)
    call = caller.place_call(
        from_=HARBIN_LANDLINE, inputs=["1", Speech("我想问问那个事"), answer, "6"]
    )

    assert call.ended == ("queue", "hotline-harbin")
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("consultation", "6", "综合咨询", "harbin", 0, "queued")
    middle = [
        "service_menu:chosen",
        "topic_speech:prompted",
        "topic_speech:heard",
        "topic_classify:confirm_asked",
        "topic_classify:rejected",
        "group_menu:prompted",
        "group_menu:chosen",
    ]
    assert ivr_steps(db_session, call.call_sid) == WELCOME + middle + TO_QUEUE


def test_speech_not_understood_goes_to_the_group_menu(app, caller, db_session):
    app.config["HOTLINE_CLASSIFIER"] = StubClassifier("综合咨询", "9", 0.0)
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["1", Speech("嗯嗯啊"), "2"])

    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("consultation", "2", "劳动纠纷", "harbin", 0, "queued")
    assert "抱歉，没有听清您的问题。" in call.heard
    assert ivr_steps(db_session, call.call_sid)[5:8] == [
        "topic_speech:heard",
        "topic_classify:not_understood",
        "group_menu:prompted",
    ]


def test_silence_at_the_speech_prompt_moves_to_the_group_menu(caller, db_session):
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["1", Silence(), Silence(), "7"])

    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("consultation", "7", "综合咨询", "harbin", 0, "queued")
    assert ivr_steps(db_session, call.call_sid)[4:10] == [
        "topic_speech:prompted",
        "topic_speech:no_input",
        "topic_speech:prompted",
        "topic_speech:no_input",
        "topic_speech:failed",
        "group_menu:prompted",
    ]


def test_no_input_three_times_goes_to_the_operator_queue(caller, db_session):
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=[])

    assert call.ended == ("queue", "hotline-harbin")
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("operator", "9", "综合咨询", "harbin", 0, "queued")
    assert ivr_steps(db_session, call.call_sid) == WELCOME + NO_INPUT_3
    assert call.heard.count("没有听到您的选择。") == 2
    assert "我们将为您转接人工服务。" in call.heard
    noinput = [path for path, _ in call.requests if "noinput=1" in path]
    assert noinput == ["/ivr/input?node=service_menu&noinput=1"] * 3


def test_invalid_input_three_times_goes_to_the_operator_queue(caller, db_session):
    call = caller.place_call(from_=UNKNOWN_MOBILE, inputs=["7", "8", "#"])

    assert call.ended == ("queue", "hotline-province")
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("operator", "9", "综合咨询", "province", 0, "queued")
    assert ivr_steps(db_session, call.call_sid) == WELCOME + [
        "service_menu:invalid", "service_menu:prompted",
        "service_menu:invalid", "service_menu:prompted",
        "service_menu:invalid", "service_menu:failed",
        "operator_queue:enqueued",
    ]  # fmt: skip
    assert call.heard.count("您的输入有误。") == 2


def test_star_repeats_the_menu_without_counting_as_invalid(caller, db_session):
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["*", "8", "*", "8", "*", "5"])

    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("complaint", "9", "综合咨询", "harbin", 0, "queued")
    outcomes = [step.split(":")[1] for step in ivr_steps(db_session, call.call_sid)]
    assert outcomes.count("repeat") == 3 and outcomes.count("invalid") == 2
    assert "failed" not in outcomes


def test_unknown_region_is_asked_by_area_code(caller, db_session):
    call = caller.place_call(from_=UNKNOWN_MOBILE, inputs=["4", "0452"])

    assert call.ended == ("queue", "hotline-qiqihar")
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("notary_forensic", "9", "综合咨询", "qiqihar", 0, "queued")
    assert ivr_steps(db_session, call.call_sid) == WELCOME + [
        "service_menu:chosen", "region:prompted", "region:given", "queue:enqueued",
    ]  # fmt: skip
    assert "请输入您所在地的区号，例如哈尔滨请输入0451。不清楚请按0。" in call.heard
    region_gather = call.gathers[1]
    assert (region_gather["numDigits"], region_gather["finishOnKey"]) == ("4", "#")
    given = [e.data for e in events(db_session, call.call_sid) if e.kind == "ivr"][-2]
    assert (given["region"], given["how"], given["input"]) == ("qiqihar", "area_code", "0452")
    start = [e.data for e in events(db_session, call.call_sid) if e.kind == "ivr_start"][0]
    assert (start["region"], start["region_reason"]) == (None, "unknown")
    # The answer is kept: next time this number is not asked again.
    caller_row = db_session.scalars(select(Caller).where(Caller.phone == UNKNOWN_MOBILE)).one()
    assert caller_row.region == "qiqihar"
    again = caller.place_call(from_=UNKNOWN_MOBILE, inputs=["5"])
    assert again.ended == ("queue", "hotline-qiqihar")


@pytest.mark.parametrize("answer", ["0", Speech("我也不清楚")])
def test_dont_know_region_goes_to_the_province_pool(caller, db_session, answer):
    call = caller.place_call(from_=UNKNOWN_MOBILE, inputs=["5", answer])

    assert call.ended == ("queue", "hotline-province")
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("complaint", "9", "综合咨询", "province", 0, "queued")
    given = [e.data for e in events(db_session, call.call_sid) if e.kind == "ivr"][-2]
    assert (given["region"], given["how"]) == ("province", "dont_know")


def test_region_said_by_name(caller, db_session):
    call = caller.place_call(from_=UNKNOWN_MOBILE, inputs=["4", Speech("我在牡丹江")])
    assert call.ended == ("queue", "hotline-mudanjiang")


def test_invalid_area_codes_count_as_retries(caller, db_session):
    call = caller.place_call(from_=UNKNOWN_MOBILE, inputs=["4", "12", "0459"])

    assert call.ended == ("queue", "hotline-daqing")
    assert ivr_steps(db_session, call.call_sid)[-4:] == [
        "region:invalid", "region:prompted", "region:given", "queue:enqueued",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("area_code", "queue", "region", "how"),
    [("010", "hotline-province", "province", "other_province"),
     ("0451", "hotline-harbin", "harbin", "area_code")],
)  # fmt: skip
def test_out_of_province_number_is_asked_for_the_area_code(
    caller, db_session, area_code, queue, region, how
):
    call = caller.place_call(from_=BEIJING_MOBILE, inputs=["4", area_code])

    assert call.ended == ("queue", queue)
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("notary_forensic", "9", "综合咨询", region, 0, "queued")
    start = [e.data for e in events(db_session, call.call_sid) if e.kind == "ivr_start"][0]
    assert start["region_reason"] == "out_of_province"
    given = [e.data for e in events(db_session, call.call_sid) if e.kind == "ivr"][-2]
    assert given["how"] == how


@pytest.mark.parametrize("from_", ["anonymous", "+266696687", ""])
def test_anonymous_number_is_asked_for_the_area_code(caller, db_session, from_):
    call = caller.place_call(from_=from_, inputs=["1", "#", "1", "0459"])

    assert call.ended == ("queue", "hotline-daqing")
    row = call_row(db_session, call.call_sid)
    assert row.from_number == "anonymous"
    assert destination(row) == ("consultation", "1", "婚姻家庭", "daqing", 0, "queued")
    start = [e.data for e in events(db_session, call.call_sid) if e.kind == "ivr_start"][0]
    assert start["region_reason"] == "anonymous"
    # A withheld number is no one's: the area code is not remembered.
    assert (
        db_session.scalars(select(Caller).where(Caller.phone == "anonymous")).one().region is None
    )


def test_green_channel_key_raises_priority(caller, db_session):
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["9", "4"])

    assert call.ended == ("queue", "hotline-harbin")
    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("notary_forensic", "9", "综合咨询", "harbin", 1, "queued")
    assert ivr_steps(db_session, call.call_sid) == WELCOME + [
        "service_menu:chosen", "green_channel:said", "service_menu:prompted",
        "service_menu:chosen",
    ] + TO_QUEUE  # fmt: skip
    assert "已为您开通绿色通道，我们将优先为您接通。" in call.heard
    enqueued = [e.data for e in events(db_session, call.call_sid) if e.kind == "enqueued"]
    assert enqueued[0]["priority"] == 1


def test_green_channel_flag_in_the_database_raises_priority(caller, db_session):
    from datetime import UTC, datetime

    db_session.add(Caller(phone=HARBIN_LANDLINE, green_channel=True,
                          first_seen_at=datetime(2026, 1, 1, tzinfo=UTC)))  # fmt: skip
    db_session.commit()
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["2", "3", "3"])

    row = call_row(db_session, call.call_sid)
    assert destination(row) == ("legal_aid", "3", "综合咨询", "harbin", 1, "queued")
    start = [e.data for e in events(db_session, call.call_sid) if e.kind == "ivr_start"][0]
    assert (start["green_channel"], start["priority"]) == (True, 1)


def test_repeat_caller_is_noted_for_routing(caller, db_session):
    first = caller.place_call(from_=HARBIN_LANDLINE, inputs=["4"])
    second = caller.place_call(from_=HARBIN_LANDLINE, inputs=["4"])

    def noted(call_sid):
        found = events(db_session, call_sid)
        start = next(e.data for e in found if e.kind == "ivr_start")
        queued = next(e.data for e in found if e.kind == "ivr" and e.data["node"] == "queue")
        return start["repeat_caller"], queued["repeat_caller"]

    assert noted(first.call_sid) == (False, False)
    assert noted(second.call_sid) == (True, True)


def test_hang_up_in_the_ivr_is_recorded_with_its_stage(caller, db_session):
    call = call_until(caller, 2, HARBIN_LANDLINE, ["1"])
    assert [path for path, _ in call.requests] == [
        "/voice/incoming",
        "/ivr/input?node=service_menu",
    ]
    call.hangup(duration=14)

    row = call_row(db_session, call.call_sid)
    assert (row.stage, row.hangup_stage, row.outcome) == ("ended", "ivr", "ivr_hangup")
    assert row.service is None and row.queued_at is None
    assert event_kinds(db_session, call.call_sid)[-1] == "status"
    assert events(db_session, call.call_sid)[-1].data["stage"] == "ivr"
    assert ivr_steps(db_session, call.call_sid)[-2:] == [
        "service_menu:chosen",
        "topic_speech:prompted",
    ]


def test_every_prompt_is_spoken_in_mandarin_with_a_fallback_after_each_gather(caller):
    call = caller.place_call(from_=UNKNOWN_MOBILE, inputs=["1", Speech("工资"), "1", "0"])
    # The CheckingClient of the caller fixture asserts the TwiML rules on every answer;
    # here also the verbs of the last IVR answer before the queue.
    assert call.ended[0] == "queue"
    assert len(call.gathers) >= 3
    assert all(g["action"].startswith("http://localhost/ivr/input?node=") for g in call.gathers)


def test_ivr_urls_keep_the_public_url_path_prefix(runtime, db_session):
    runtime.settings = runtime.settings.with_overrides(
        public_url="https://12348.hlj.example.gov.cn/hotline"
    )
    app = make_app(runtime)
    caller = caller_for(app, AUTH_TOKEN)
    caller.public_url = "https://12348.hlj.example.gov.cn/hotline"
    call = caller.place_call(from_=HARBIN_LANDLINE, inputs=["5"], path="voice/incoming")

    assert call.ended == ("queue", "hotline-harbin")
    assert call.gathers[0]["action"] == (
        "https://12348.hlj.example.gov.cn/hotline/ivr/input?node=service_menu"
    )
    assert call.queues[0]["waitUrl"] == "https://12348.hlj.example.gov.cn/hotline/queue/wait"
