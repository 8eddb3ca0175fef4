"""/voice/fallback answers from static config: backup duty line, then voicemail."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hotline.runtime import Runtime
from hotline.web.app import create_app
from tests.conftest import AUTH_TOKEN, PUBLIC_URL
from tests.harness.caller import TestCaller
from tests.harness.signing import call_params, signed_post, twilio_signature


def _verbs(response) -> list[tuple[str, dict, str]]:
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return [(child.tag, child.attrib, (child.text or "").strip()) for child in root]


def test_fallback_dials_the_backup_duty_number(client):
    response = signed_post(client, "/voice/fallback", call_params("CA" + "1" * 32), AUTH_TOKEN)
    verbs = _verbs(response)
    assert [v[0] for v in verbs] == ["Say", "Dial"]
    assert verbs[0][2] == "对不起，系统暂时繁忙。正在为您转接值班人员，请稍候。"
    root = ET.fromstring(response.get_data(as_text=True))
    dial = root.find("Dial")
    assert dial.attrib["action"] == f"{PUBLIC_URL}/voice/fallback?stage=after_dial"
    assert dial.attrib["timeout"] == "25"
    assert dial.find("Number").text == "+8645112348"


def test_unanswered_backup_line_takes_a_voicemail_and_says_goodbye(client):
    caller = TestCaller(client, AUTH_TOKEN)
    call = caller.place_call(path="/voice/fallback", dial_status="no-answer")
    assert (call.dials[0]["kind"], call.dials[0]["target"]) == ("Number", "+8645112348")
    assert call.ended == ("record",)
    assert call.records[0]["maxLength"] == "120"
    assert "请在提示音后留言" in call.heard_text


def test_answered_backup_line_ends_the_call(client):
    caller = TestCaller(client, AUTH_TOKEN)
    call = caller.place_call(path="/voice/fallback", dial_status="completed")
    assert call.ended == ("hangup",)


def test_fallback_uses_neither_database_nor_redis(runtime):
    """With the database and Redis unusable, the fallback still answers."""
    broken = Runtime(runtime.settings)
    broken.__dict__["engine"] = None
    broken.__dict__["redis"] = None
    client = create_app(runtime=broken).test_client()
    response = signed_post(client, "/voice/fallback", call_params("CA" + "2" * 32), AUTH_TOKEN)
    assert response.status_code == 200
    assert [v[0] for v in _verbs(response)] == ["Say", "Dial"]


def test_recorded_voicemail_gets_a_goodbye(client):
    params = call_params("CA" + "3" * 32, RecordingUrl="https://example.invalid/r.wav")
    url = "http://localhost/voice/fallback?stage=recorded"
    response = client.post(
        "/voice/fallback?stage=recorded",
        data=params,
        headers={"X-Twilio-Signature": twilio_signature(AUTH_TOKEN, url, params)},
    )
    verbs = _verbs(response)
    assert [v[0] for v in verbs] == ["Say", "Hangup"]
    assert verbs[0][2] == "您的留言已收到，感谢您的来电，再见。"


def test_fallback_links_keep_the_public_url_path_prefix(app):
    """Behind a proxy under /hotline, every fallback link keeps the prefix."""
    from hotline.twiml import apology_to_fallback, fallback_answer

    voice_config = app.config["HOTLINE_VOICE"]
    fallback_config = app.config["HOTLINE_FALLBACK"]
    base = "https://gw.example.org/hotline"
    apology = ET.fromstring(apology_to_fallback(voice_config, fallback_config, base))
    assert apology.find("Redirect").text == f"{base}/voice/fallback"
    start = ET.fromstring(fallback_answer("start", "", voice_config, fallback_config, base))
    assert start.find("Dial").attrib["action"] == f"{base}/voice/fallback?stage=after_dial"
    after = ET.fromstring(
        fallback_answer("after_dial", "busy", voice_config, fallback_config, base)
    )
    assert after.find("Record").attrib["action"] == f"{base}/voice/fallback?stage=recorded"
