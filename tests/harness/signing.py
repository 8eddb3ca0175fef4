"""Signing requests as Twilio does, for webhook tests."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

DEFAULT_PUBLIC_URL = "http://localhost"


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The X-Twilio-Signature Twilio would send for a POST of params to url."""
    return RequestValidator(auth_token).compute_signature(url, dict(params))


def signed_post(
    client,
    path: str,
    params: Mapping[str, str],
    auth_token: str,
    public_url: str = DEFAULT_PUBLIC_URL,
    signed_url: str | None = None,
    headers: Mapping[str, str] | None = None,
):
    """POST form params to path with a valid signature (for signed_url, default public_url+path)."""
    url = signed_url or public_url + path
    all_headers = {"X-Twilio-Signature": twilio_signature(auth_token, url, params)}
    all_headers.update(headers or {})
    return client.post(path, data=dict(params), headers=all_headers)


def call_params(call_sid: str, from_: str = "+8613936000000", **extra: str) -> dict[str, str]:
    """Form parameters of a Twilio voice webhook."""
    params = {
        "CallSid": call_sid,
        "AccountSid": "AC" + "0" * 32,
        "From": from_,
        "To": "+8645112348",
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params
