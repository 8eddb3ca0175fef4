"""The TwiML-following test caller against a tiny Flask app that checks Twilio signatures."""

from __future__ import annotations

import pytest
from flask import Flask, abort, request
from twilio.request_validator import RequestValidator

from tests.harness.caller import (
    BadTwimlError,
    CallerError,
    CallLoopError,
    Silence,
    Speech,
    TestCaller,
)

TOKEN = "test-auth-token"


def twiml(body: str):
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><Response>{body}</Response>",
        200,
        {"Content-Type": "text/xml; charset=utf-8"},
    )


def make_app() -> Flask:
    app = Flask("tiny_ivr")
    validator = RequestValidator(TOKEN)
    app.config["status_callbacks"] = []

    @app.before_request
    def check_signature():
        params = request.form if request.method == "POST" else {}
        if not validator.validate(
            request.url, params, request.headers.get("X-Twilio-Signature", "")
        ):
            abort(403)

    @app.post("/voice/incoming")
    def incoming():
        return twiml(
            "<Say>欢迎致电12348</Say>"
            '<Gather action="menu" input="dtmf speech" language="zh-CN" hints="离婚,工资"'
            ' timeout="5" numDigits="1"><Say>请按键或说出您的问题</Say></Gather>'
            "<Say>没有听到您的选择</Say><Hangup/>"
        )

    @app.post("/voice/menu")
    def menu():
        if "SpeechResult" in request.form:
            return twiml(f"<Say>您说的是{request.form['SpeechResult']}</Say><Hangup/>")
        pages = {
            "1": "<Say>婚姻家庭</Say><Redirect>queue</Redirect>",
            "2": '<Redirect method="GET">/voice/get-check?x=1</Redirect>',
            "3": '<Record action="/voice/recorded" maxLength="120"/>',
            "5": "<Redirect>/voice/broken</Redirect>",
            "6": "<Redirect>/voice/not-twiml</Redirect>",
            "9": "<Redirect>loop</Redirect>",
        }
        return twiml(pages.get(request.form.get("Digits", ""), "<Say>empty</Say>"))

    @app.post("/voice/queue")
    def queue():
        return twiml('<Enqueue waitUrl="wait" action="/voice/queue-exit">婚姻家庭</Enqueue>')

    @app.post("/voice/wait")
    def wait():
        position = request.form["QueuePosition"]
        return twiml(
            f"<Say>您前面还有{position}位</Say>"
            '<Gather action="wait-key" numDigits="1"><Play>https://cdn.example/hold.mp3</Play>'
            "</Gather>"
        )

    @app.post("/voice/wait-key")
    def wait_key():
        return twiml("<Leave/>" if request.form.get("Digits") == "1" else "<Say>请继续等待</Say>")

    @app.post("/voice/queue-exit")
    def queue_exit():
        return twiml(f"<Say>离开队列 {request.form['QueueResult']}</Say><Hangup/>")

    @app.post("/voice/connect")
    def connect():
        return twiml(
            '<Say>正在接通</Say><Dial action="/voice/dial-done" timeout="20">'
            '<Number url="/voice/whisper">+8613900000001</Number></Dial>'
        )

    @app.post("/voice/dial-done")
    def dial_done():
        status = request.form["DialCallStatus"]
        if status == "completed":
            return twiml("<Say>感谢来电</Say><Hangup/>")
        return twiml(f"<Say>{status}</Say><Redirect>/voice/connect</Redirect>")

    @app.post("/voice/recorded")
    def recorded():
        return twiml(f"<Say>留言已收到 {request.form['RecordingDuration']}</Say><Hangup/>")

    @app.get("/voice/get-check")
    def get_check():
        return twiml(f"<Say>get {request.args['x']} {request.args['CallStatus']}</Say>")

    @app.post("/voice/loop")
    def loop():
        return twiml("<Pause length='1'/><Redirect>/voice/loop</Redirect>")

    @app.post("/voice/broken")
    def broken():
        return "internal error", 500

    @app.post("/voice/not-twiml")
    def not_twiml():
        return twiml("<Say>ok</Say><Conference>room</Conference>")

    @app.post("/voice/survey")
    def survey():
        return twiml(
            '<Gather action="/voice/rated" actionOnEmptyResult="true"><Say>请评价</Say></Gather>'
        )

    @app.post("/voice/rated")
    def rated():
        return twiml(f"<Say>评分 {request.form.get('Digits', 'none')}</Say><Hangup/>")

    @app.post("/voice/status")
    def status():
        app.config["status_callbacks"].append(request.form.to_dict())
        return "", 204

    return app


@pytest.fixture
def app() -> Flask:
    return make_app()


@pytest.fixture
def caller(app: Flask) -> TestCaller:
    return TestCaller(app.test_client(), TOKEN)


def paths(call) -> list[str]:
    return [path for path, _params in call.requests]


def test_digits_follow_relative_actions_into_the_queue(caller):
    call = caller.place_call(inputs=["1"])

    assert paths(call) == ["/voice/incoming", "/voice/menu", "/voice/queue", "/voice/wait"]
    assert call.heard[:3] == ["欢迎致电12348", "请按键或说出您的问题", "婚姻家庭"]
    assert call.heard[3:] == ["您前面还有1位", "play:https://cdn.example/hold.mp3"]
    assert call.ended == ("queue", "婚姻家庭")
    assert call.queues[0]["waitUrl"] == "http://localhost/voice/wait"
    first, menu = call.requests[0][1], call.requests[1][1]
    assert first["CallStatus"] == "ringing" and menu["CallStatus"] == "in-progress"
    assert menu["Digits"] == "1" and menu["CallSid"] == call.call_sid
    assert call.call_sid.startswith("CA") and len(call.call_sid) == 34
    wait_params = call.requests[3][1]
    assert wait_params["QueuePosition"] == "1" and wait_params["QueueSid"].startswith("QU")


def test_speech_is_sent_with_confidence_and_gather_attributes_are_kept(caller):
    call = caller.place_call(inputs=[Speech("我要离婚", confidence=0.8)], from_="+8613700000000")

    menu = call.requests[1][1]
    assert (menu["SpeechResult"], menu["Confidence"]) == ("我要离婚", "0.8")
    assert menu["From"] == "+8613700000000" and "Digits" not in menu
    assert call.heard[-1] == "您说的是我要离婚"
    assert call.ended == ("hangup",)
    gather = call.gathers[0]
    assert (gather["input"], gather["language"], gather["hints"]) == (
        "dtmf speech",
        "zh-CN",
        "离婚,工资",
    )
    assert gather["timeout"] == "5"


@pytest.mark.parametrize("inputs", [[], [Silence()], [None]])
def test_silence_falls_through_to_the_verb_after_the_gather(caller, inputs):
    call = caller.place_call(inputs=inputs)

    assert paths(call) == ["/voice/incoming"]
    assert call.heard_text == "欢迎致电12348 请按键或说出您的问题 没有听到您的选择"
    assert call.ended == ("hangup",)


def test_action_on_empty_result_posts_without_digits(caller):
    call = caller.place_call(path="/voice/survey", inputs=[Silence()])
    assert paths(call) == ["/voice/survey", "/voice/rated"]
    assert "Digits" not in call.requests[1][1]
    assert call.heard[-1] == "评分 none"


def test_redirect_with_get_is_signed_over_the_query_string(caller):
    call = caller.place_call(inputs=["2"])
    assert paths(call)[-1] == "/voice/get-check?x=1"
    assert call.heard[-1] == "get 1 in-progress"
    assert call.ended == ("end",)


def test_queued_call_redirected_to_a_dial_posts_the_dial_action(caller):
    call = caller.place_call(inputs=["1"])
    call.redirect("/voice/connect")

    assert call.dials[0]["kind"] == "Number" and call.dials[0]["target"] == "+8613900000001"
    assert call.dials[0]["url"] == "/voice/whisper"
    assert call.dials[0]["attrs"]["timeout"] == "20"
    dial_done = call.requests[-1]
    assert dial_done[0] == "/voice/dial-done"
    assert dial_done[1]["DialCallStatus"] == "completed"
    assert call.heard[-2:] == ["正在接通", "感谢来电"]
    assert call.ended == ("hangup",)
    with pytest.raises(CallerError):
        call.redirect("/voice/connect")  # the call is over


def test_dial_statuses_are_used_one_dial_at_a_time(caller):
    call = caller.place_call(path="/voice/connect", dial_status=["no-answer", "busy"])
    statuses = [params["DialCallStatus"] for path, params in call.requests if "dial-done" in path]
    assert statuses == ["no-answer", "busy", "completed"]
    assert call.ended == ("hangup",)


def test_leaving_the_queue_from_the_wait_music_posts_the_enqueue_action(caller):
    call = caller.place_call(inputs=["1"])
    call.wait(inputs=["1"])

    assert paths(call)[-3:] == ["/voice/wait", "/voice/wait-key", "/voice/queue-exit"]
    assert call.requests[-1][1]["QueueResult"] == "leave"
    assert call.heard[-1] == "离开队列 leave"
    assert call.ended == ("hangup",)


def test_hangup_in_queue_posts_the_enqueue_action_and_status_callback(app, caller):
    call = caller.place_call(inputs=["1"])
    call.hangup(duration=42)

    assert paths(call)[-2:] == ["/voice/queue-exit", "/voice/status"]
    assert call.requests[-2][1]["QueueResult"] == "hangup"
    [status] = app.config["status_callbacks"]
    assert (status["CallStatus"], status["CallDuration"]) == ("completed", "42")
    assert call.ended == ("hangup",)


def test_record_posts_the_recording_to_its_action(caller):
    call = caller.place_call(inputs=["3"])

    assert call.records == [{"action": "/voice/recorded", "maxLength": "120"}]
    path, params = call.requests[-1]
    assert path == "/voice/recorded"
    assert params["RecordingSid"].startswith("RE") and params["Digits"] == "hangup"
    assert params["RecordingUrl"].startswith("https://")
    assert call.ended == ("record",)
    assert "留言已收到 12" in call.last_twiml


def test_an_endless_loop_raises_call_loop_error(caller):
    with pytest.raises(CallLoopError) as caught:
        caller.place_call(inputs=["9"], max_steps=10)
    assert "http://localhost/voice/loop x8" in str(caught.value)


def test_an_error_status_raises_bad_twiml_error(caller):
    with pytest.raises(BadTwimlError) as caught:
        caller.place_call(inputs=["5"])
    message = str(caught.value)
    assert "http://localhost/voice/broken" in message and "500" in message
    assert "internal error" in message


def test_unknown_verbs_raise_bad_twiml_error(caller):
    with pytest.raises(BadTwimlError, match="unknown verb <Conference>"):
        caller.place_call(inputs=["6"])


def test_a_wrong_token_is_refused_by_the_app(app):
    impostor = TestCaller(app.test_client(), "not-the-token")
    with pytest.raises(BadTwimlError, match="403"):
        impostor.place_call()


def test_signatures_follow_the_public_url(app):
    other_host = TestCaller(app.test_client(), TOKEN, public_url="https://hotline.example.cn")
    call = other_host.place_call(inputs=["1"])
    assert call.ended == ("queue", "婚姻家庭")
    assert call.queues[0]["waitUrl"] == "https://hotline.example.cn/voice/wait"
