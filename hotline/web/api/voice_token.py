"""POST /api/voice/token: a Twilio Voice access token for agents who answer in the browser."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from flask import Blueprint
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from hotline import clock
from hotline.consultations import agent_of
from hotline.errors import Forbidden, NotConfigured
from hotline.models.vocabulary import AGENT_ROLES
from hotline.settings import Settings
from hotline.web.api.contract import api_route
from hotline.web.api.models.tokens import VoiceTokenOut
from hotline.web.api.security import current_user
from hotline.web.extensions import db, settings

bp = Blueprint("voice_token", __name__)

VOICE_TOKEN_LIFETIME = timedelta(hours=1)


def browser_identity(contact: str) -> str | None:
    """NAME for a client:NAME contact, None for a phone number."""
    return contact.removeprefix("client:") if contact.startswith("client:") else None


def voice_access_token(settings: Settings, identity: str, ttl: timedelta) -> str:
    """A signed Twilio access token letting `identity` receive calls and dial the TwiML app."""
    if not (
        settings.twilio_api_key_sid
        and settings.twilio_api_key_secret
        and settings.twilio_twiml_app_sid
    ):
        raise NotConfigured(
            "browser answering needs TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET and "
            "TWILIO_TWIML_APP_SID"
        )
    token = AccessToken(
        settings.twilio_account_sid,
        settings.twilio_api_key_sid,
        settings.twilio_api_key_secret,
        identity=identity,
        ttl=int(ttl.total_seconds()),
    )
    token.add_grant(
        VoiceGrant(outgoing_application_sid=settings.twilio_twiml_app_sid, incoming_allow=True)
    )
    return cast(str, token.to_jwt())  # twilio ships no types; a JWT is a string


@api_route(
    bp,
    "POST",
    "/voice/token",
    "A Twilio Voice access token for an agent whose contact is client:NAME (identity NAME)",
    response=VoiceTokenOut,
    status=201,
    roles=AGENT_ROLES,
    errors=(503,),
)
def voice_token() -> VoiceTokenOut:
    """Issue a short-lived Voice SDK token for browser answering."""
    agent = agent_of(db.session, current_user())
    identity = browser_identity(agent.contact) if agent else None
    if identity is None:
        raise Forbidden("your calls ring on your phone; browser answering needs a client: contact")
    now = clock.now()
    token = voice_access_token(settings(), identity, VOICE_TOKEN_LIFETIME)
    return VoiceTokenOut(token=token, identity=identity, expires_at=now + VOICE_TOKEN_LIFETIME)
