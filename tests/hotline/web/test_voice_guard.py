"""No exception of ours reaches Twilio as a 500; the caller hears an apology instead."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

from sqlalchemy import select

from hotline.models import Call
from hotline.web import voice
from tests.conftest import AUTH_TOKEN, PUBLIC_URL
from tests.harness.signing import call_params, signed_post


def _boom(*_args, **_kwargs):
    raise RuntimeError("database on fire")


def test_exception_in_incoming_answers_apology_twiml(client, monkeypatch, caplog):
    monkeypatch.setattr(voice, "get_or_create_call", _boom)
    call_sid = "CA" + "9" * 32
    with caplog.at_level(logging.ERROR, logger="hotline.voice"):
        response = signed_post(client, "/voice/incoming", call_params(call_sid), AUTH_TOKEN)

    assert response.status_code == 200
    root = ET.fromstring(response.get_data(as_text=True))
    assert [child.tag for child in root] == ["Say", "Redirect"]
    assert root[0].text == "对不起，系统出现故障，正在为您转接。"
    assert root[0].attrib == {"voice": "Polly.Zhiyu", "language": "cmn-CN"}
    assert root[1].text == f"{PUBLIC_URL}/voice/fallback"
    messages = [r.getMessage() for r in caplog.records]
    assert any(call_sid in m and "/voice/incoming" in m for m in messages)
    assert caplog.records[0].exc_info[1].args == ("database on fire",)


def test_exception_in_status_callback_is_not_a_500(client, monkeypatch):
    monkeypatch.setattr(voice, "apply_call_status", _boom)
    params = call_params("CA" + "8" * 32, CallStatus="completed")
    response = signed_post(client, "/voice/status", params, AUTH_TOKEN)
    assert response.status_code == 200
    assert "<Redirect" in response.get_data(as_text=True)


def test_failed_webhook_leaves_no_half_written_rows(client, monkeypatch, db_session):
    def fail_after_insert(session, *args, **kwargs):
        from hotline.calls import get_or_create_call

        get_or_create_call(session, *args, **kwargs)
        raise RuntimeError("after insert")

    monkeypatch.setattr(voice, "get_or_create_call", fail_after_insert)
    signed_post(client, "/voice/incoming", call_params("CA" + "7" * 32), AUTH_TOKEN)
    assert db_session.scalars(select(Call)).all() == []


def test_missing_call_sid_is_a_clear_400(client):
    params = call_params("")
    response = signed_post(client, "/voice/incoming", params, AUTH_TOKEN)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "bad_request",
        "message": "CallSid is missing or malformed",
    }


def test_huge_body_is_refused_with_413(client):
    params = call_params("CA" + "6" * 32, Junk="x" * 200_000)
    response = signed_post(client, "/voice/incoming", params, AUTH_TOKEN)
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"
