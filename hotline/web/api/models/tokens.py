"""Bearer tokens for the API and Voice SDK tokens for browser answering."""

from __future__ import annotations

from pydantic import Field

from hotline.web.api.models.common import InModel, OutModel, Timestamp


class LoginIn(InModel):
    """POST /api/token."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class TokenOut(OutModel):
    """A bearer token and when it expires."""

    token: str
    role: str
    expires_at: Timestamp


class VoiceTokenOut(OutModel):
    """A Twilio Voice access token for the browser phone."""

    token: str
    identity: str
    expires_at: Timestamp
