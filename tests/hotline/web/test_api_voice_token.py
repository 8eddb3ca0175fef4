"""POST /api/voice/token: Twilio Voice access tokens for agents who answer in the browser."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from hotline import clock
from hotline.models import ApiToken
from hotline.settings import DEV_ACCOUNT_SID, DEV_API_KEY_SECRET, DEV_API_KEY_SID, DEV_TWIML_APP_SID
from hotline.web.app import create_app
from tests.console_support import bearer, make_staff, page_login


@pytest.fixture
def staff(db_session):
    return make_staff(db_session)


def test_browser_agent_gets_a_signed_voice_token(client, staff):
    response = client.post("/api/voice/token", headers=bearer(client, "wang"))
    assert response.status_code == 201
    body = response.get_json()
    assert body["identity"] == "wang"
    claims = jwt.decode(body["token"], DEV_API_KEY_SECRET, algorithms=["HS256"])
    assert claims["iss"] == DEV_API_KEY_SID
    assert claims["sub"] == DEV_ACCOUNT_SID
    assert claims["grants"]["identity"] == "wang"
    voice = claims["grants"]["voice"]
    assert voice["incoming"] == {"allow": True}
    assert voice["outgoing"]["application_sid"] == DEV_TWIML_APP_SID
    assert claims["exp"] - claims["nbf"] == 3600


def test_page_session_gets_a_token_with_csrf(client, staff):
    token = page_login(client, "zhao")
    assert client.post("/api/voice/token").get_json()["error"] == "csrf_failed"
    response = client.post("/api/voice/token", headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert response.get_json()["identity"] == "zhao"


def test_agent_answering_on_a_phone_is_refused(client, staff):
    response = client.post("/api/voice/token", headers=bearer(client, "li"))
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert "token" not in response.get_json()


def test_supervisor_is_refused(client, staff):
    response = client.post("/api/voice/token", headers=bearer(client, "chen"))
    assert response.status_code == 403


@pytest.mark.parametrize("problem", ["missing", "expired", "revoked"])
def test_bad_credentials_are_401(client, staff, db_session, problem):
    headers = bearer(client, "wang")
    if problem == "missing":
        headers = {}
    elif problem == "expired":
        row = db_session.scalars(select(ApiToken)).one()
        row.expires_at = clock.now() - timedelta(seconds=1)
        db_session.commit()
    else:
        client.delete("/api/token", headers=headers)
    assert client.post("/api/voice/token", headers=headers).status_code == 401


def test_unconfigured_deployment_answers_503(runtime, staff):
    runtime.settings = runtime.settings.with_overrides(
        twilio_api_key_sid=None, twilio_api_key_secret=None
    )
    client = create_app(runtime=runtime).test_client()
    response = client.post("/api/voice/token", headers=bearer(client, "wang"))
    assert response.status_code == 503
    assert response.get_json()["error"] == "not_configured"
