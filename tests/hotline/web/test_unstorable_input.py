"""NUL bytes and lone surrogates at every endpoint: a 400 from the API, dropped by webhooks.

The endpoints are enumerated from the app's url_map, so a new one is covered by itself.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select

from hotline.models import Call, Message
from hotline.twiml import TWILIO_PATH_PREFIXES
from hotline.web.api.contract import endpoint_spec
from hotline.web.storable import is_storable, storable, unstorable_in_json
from tests.conftest import AUTH_TOKEN, PUBLIC_URL
from tests.console_support import bearer, make_staff, page_login
from tests.harness.signing import call_params, signed_post

NUL = "\x00"
JSON = "application/json"
# Every query parameter a Twilio webhook of ours reads, each with a NUL in it.
WEBHOOK_ARGS = {
    name: f"{NUL}1"
    for name in ("offer", "attempt", "node", "flow", "stage", "mode", "noinput", "item")
}
# Fields Twilio posts to voice and messaging webhooks, each with a NUL in it.
WEBHOOK_FORM = {
    "MessageSid": "SM" + "1" * 16 + NUL + "1" * 16,
    "SmsSid": "SM" + "1" * 32,
    "Body": f"你好{NUL}，我想咨询",
    "Digits": f"1{NUL}",
    "SpeechResult": f"劳动{NUL}纠纷",
    "DialCallStatus": f"completed{NUL}",
    "QueueResult": f"hangup{NUL}",
    "MessageStatus": f"delivered{NUL}",
    "RecordingUrl": f"{PUBLIC_URL}/rec{NUL}",
    "ParentCallSid": "CA" + "2" * 32 + NUL,
}


_PART = re.compile(r"<(?:(\w+):)?(\w+)>")


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _rules(app, prefixes: tuple[str, ...]):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(prefixes)]


def _path(rule, text: str = "x") -> str:
    """The rule's path with its id parts 1 and its text parts `text`."""
    return _PART.sub(lambda m: "1" if m.group(1) == "int" else quote(text), rule.rule)


def _text_parts(rule) -> list[str]:
    return [m.group(2) for m in _PART.finditer(rule.rule) if m.group(1) != "int"]


def test_the_check_knows_what_a_column_cannot_store():
    assert not is_storable("a\x00b")
    assert not is_storable("a\ud800b")
    assert is_storable("婚姻家庭 \t\n\x01 ✓")
    assert storable("a\x00b\udfffc") == "abc"
    assert unstorable_in_json({"a": ["ok", {"b": "x\x00"}]}) == "a[1].b"
    assert unstorable_in_json({"ok": 1, "list": [True, None, 2.5]}) is None


def test_nul_bytes_at_every_webhook_are_dropped_and_answered_with_twiml(app, client, caplog):
    rules = _rules(app, TWILIO_PATH_PREFIXES)
    assert len(rules) >= 20  # voice, IVR, queue, return calls and SMS
    query = urlencode(WEBHOOK_ARGS)
    with caplog.at_level(logging.WARNING):
        for index, rule in enumerate(rules):
            path = f"{_path(rule)}?{query}"
            call_sid = "CA" + f"{index:032d}"[:16] + NUL + f"{index:032d}"[16:]
            params = call_params(call_sid, from_=f"+86139{NUL}36000000", **WEBHOOK_FORM)
            for method in _methods(rule):
                assert method == "POST", rule.rule
                response = signed_post(client, path, params, AUTH_TOKEN)
                assert response.status_code == 200, (rule.rule, response.status_code)
                root = ET.fromstring(response.get_data(as_text=True))
                assert root.tag == "Response", rule.rule
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []  # no view raised: the apology and fallback were never needed
    dropped = [r.getMessage() for r in caplog.records if "cannot store" in r.getMessage()]
    assert len(dropped) == len(rules)
    assert "CallSid" in dropped[0] and "Body" in dropped[0] and "offer" in dropped[0]


def test_an_sms_with_a_nul_byte_is_kept_without_it(client, db_session):
    params = {
        "MessageSid": "SM" + "3" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": "+8613936000000",
        "To": "+8645112348",
        "Body": f"我想{NUL}咨询离婚",
    }
    response = signed_post(client, "/sms/incoming", params, AUTH_TOKEN)
    assert response.status_code == 200
    message = db_session.scalars(select(Message).where(Message.direction == "inbound")).one()
    assert message.body == "我想咨询离婚"
    assert message.twilio_sid == "SM" + "3" * 32


def test_a_call_whose_webhook_had_a_nul_byte_goes_on(client, db_session):
    call_sid = "CA" + "4" * 32
    params = call_params(call_sid[:10] + NUL + call_sid[10:], from_=f"+861393600{NUL}0000")
    response = signed_post(client, "/voice/incoming", params, AUTH_TOKEN)
    assert response.status_code == 200
    assert "<Gather" in response.get_data(as_text=True)  # the IVR's first question
    call = db_session.scalars(select(Call)).one()
    assert call.call_sid == call_sid


def test_a_nul_byte_keeps_the_signature_check(client):
    params = call_params("CA" + "5" * 32, Body=f"x{NUL}")
    url = f"{PUBLIC_URL}/voice/incoming"
    forged = dict(params, Body="x")  # signed without the NUL that is then sent
    response = client.post(
        "/voice/incoming",
        data=params,
        headers={"X-Twilio-Signature": _signature(url, forged)},
    )
    assert response.status_code == 403


def _signature(url: str, params: dict[str, str]) -> str:
    from tests.harness.signing import twilio_signature

    return twilio_signature(AUTH_TOKEN, url, params)


@pytest.fixture
def supervisor(client, db_session) -> dict[str, str]:
    make_staff(db_session)
    return bearer(client, "chen")


def _api_requests(app):
    """(rule, method, spec) of every API endpoint."""
    for rule in _rules(app, ("/api/",)):
        for method in _methods(rule):
            yield rule, method, endpoint_spec(app, rule.endpoint)


def _refused(response, where: str) -> None:
    assert response.status_code == 400, (where, response.status_code, response.get_data())
    body = response.get_json()
    assert body["error"] == "bad_request", where
    assert "无法保存的字符" in body["message"], where


@pytest.mark.parametrize("bad", [NUL, "\ud800"], ids=["nul", "lone-surrogate"])
def test_every_api_endpoint_refuses_unstorable_body_fields_with_400(app, client, supervisor, bad):
    checked = 0
    for rule, method, spec in _api_requests(app):
        assert spec is not None, f"{rule.rule} is not declared with api_route"
        if spec.request is None:
            continue
        fields = {(f.alias or name): f"a{bad}b" for name, f in spec.request.model_fields.items()}
        # Escaped in the JSON text ("\\u0000", "\\ud800"), as a client would send them.
        body = json.dumps(fields)
        response = client.open(
            _path(rule), method=method, data=body, content_type=JSON, headers=supervisor
        )
        _refused(response, f"{method} {rule.rule}")
        assert response.get_json()["details"]["field"] in fields
        checked += 1
    assert checked >= 8


def test_every_api_endpoint_refuses_a_nul_byte_in_the_query_string_with_400(
    app, client, supervisor
):
    for rule, method, spec in _api_requests(app):
        names = [f.alias or n for n, f in spec.query.model_fields.items()] if spec.query else []
        query = urlencode({name: f"1{NUL}" for name in names or ["q"]})
        response = client.open(f"{_path(rule)}?{query}", method=method, headers=supervisor)
        _refused(response, f"{method} {rule.rule}")


def test_every_api_endpoint_refuses_a_nul_byte_in_its_path_with_400(app, client, supervisor):
    checked = 0
    for rule, method, _spec in _api_requests(app):
        if not _text_parts(rule):
            continue
        response = client.open(_path(rule, f"CA{NUL}1"), method=method, headers=supervisor)
        _refused(response, f"{method} {rule.rule}")
        checked += 1
    assert checked >= 3  # the calls' routes name a CallSid


def test_the_api_refuses_before_logging_in(client):
    response = client.post("/api/token", json={"username": f"chen{NUL}", "password": "x"})
    _refused(response, "/api/token")
    assert response.get_json()["details"] == {"field": "username"}


def test_no_page_answers_500_to_a_nul_byte(app, client, db_session):
    make_staff(db_session)
    csrf_token = page_login(client, "chen")
    prefixes = ("/api/", "/static/", *TWILIO_PATH_PREFIXES)
    pages = [r for r in app.url_map.iter_rules() if not r.rule.startswith(prefixes)]
    assert len(pages) >= 10
    for rule in pages:
        for method in _methods(rule):
            path = f"{_path(rule, f'x{NUL}')}?{urlencode({'q': NUL, 'date': NUL})}"
            data = {"username": f"chen{NUL}", "password": NUL, "note": NUL}
            response = client.open(path, method=method, data=dict(data, csrf_token=csrf_token))
            assert response.status_code == 400, (method, rule.rule, response.status_code)
            assert "无法保存的字符" in response.get_data(as_text=True)
