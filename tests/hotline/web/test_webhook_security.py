"""Every Twilio-facing endpoint verifies X-Twilio-Signature."""

from __future__ import annotations

import logging

import pytest

from hotline.web.app import create_app
from tests.conftest import AUTH_TOKEN, PUBLIC_URL
from tests.harness.signing import call_params, signed_post, twilio_signature

SMS_PARAMS = {
    "MessageSid": "SM" + "1" * 32,
    "AccountSid": "AC" + "0" * 32,
    "From": "+8613936000000",
    "To": "+8645112348",
    "Body": "5",
    "MessageStatus": "delivered",
}

ENDPOINTS = [
    ("/voice/incoming", call_params("CA" + "a" * 32)),
    ("/voice/status", call_params("CA" + "b" * 32, CallStatus="completed", CallDuration="30")),
    ("/voice/fallback", call_params("CA" + "c" * 32)),
    ("/sms/incoming", SMS_PARAMS),
    ("/sms/status", SMS_PARAMS),
]


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_signed_request_is_accepted(client, path, params):
    response = signed_post(client, path, params, AUTH_TOKEN)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.get_data(as_text=True).startswith('<?xml version="1.0" encoding="UTF-8"?>')


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_unsigned_request_is_refused(client, path, params, caplog):
    with caplog.at_level(logging.WARNING, logger="hotline.webhooks"):
        response = client.post(path, data=params)
    assert response.status_code == 403
    assert [r.getMessage() for r in caplog.records if "refused" in r.getMessage()] == [
        f"refused unsigned webhook {path} from 127.0.0.1: missing X-Twilio-Signature header"
    ]


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_wrong_token_is_refused(client, path, params):
    response = signed_post(client, path, params, "some-other-auth-token")
    assert response.status_code == 403


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_tampered_parameter_is_refused(client, path, params, caplog):
    url = PUBLIC_URL + path
    signature = twilio_signature(AUTH_TOKEN, url, params)
    tampered = dict(params, From="+8613800138000")
    with caplog.at_level(logging.WARNING, logger="hotline.webhooks"):
        response = client.post(path, data=tampered, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert any("signature does not match" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_signature_for_another_url_is_refused(client, path, params):
    response = signed_post(
        client, path, params, AUTH_TOKEN, signed_url="https://evil.example.com" + path
    )
    assert response.status_code == 403


def test_refused_request_writes_nothing(client, db_session):
    from sqlalchemy import func, select

    from hotline.models import Call

    client.post("/voice/incoming", data=call_params("CA" + "d" * 32))
    assert db_session.scalar(select(func.count()).select_from(Call)) == 0


def test_accepted_behind_proxy_with_public_url(runtime):
    """Twilio signs the public URL; the app sees an internal host and port."""
    settings = runtime.settings.with_overrides(
        public_url="https://12348.hlj.example.gov.cn/hotline"
    )
    runtime.settings = settings
    app = create_app(runtime=runtime)
    client = app.test_client()
    params = call_params("CA" + "e" * 32)
    response = signed_post(
        client,
        "/voice/incoming",
        params,
        AUTH_TOKEN,
        signed_url="https://12348.hlj.example.gov.cn/hotline/voice/incoming",
    )
    assert response.status_code == 200
    # The same request signed for the internal URL is refused: only the public URL counts.
    refused = signed_post(client, "/voice/incoming", params, AUTH_TOKEN)
    assert refused.status_code == 403


def test_accepted_behind_proxy_with_forwarded_headers(runtime):
    """Without HOTLINE_PUBLIC_URL, a trusted proxy's X-Forwarded-Proto/Host give the URL."""
    runtime.settings = runtime.settings.with_overrides(public_url=None, trusted_proxies=1)
    app = create_app(runtime=runtime)
    client = app.test_client()
    params = call_params("CA" + "f" * 32)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.gov.cn"}
    response = signed_post(
        client,
        "/voice/incoming",
        params,
        AUTH_TOKEN,
        signed_url="https://hotline.example.gov.cn/voice/incoming",
        headers=forwarded,
    )
    assert response.status_code == 200
    spoofed = signed_post(
        client,
        "/voice/incoming",
        params,
        AUTH_TOKEN,
        signed_url="https://hotline.example.gov.cn/voice/incoming",
    )
    assert spoofed.status_code == 403
