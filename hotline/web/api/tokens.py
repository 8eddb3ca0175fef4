"""POST /api/token (log in) and DELETE /api/token (revoke the token in use)."""

from __future__ import annotations

from flask import Blueprint, request

from hotline import clock
from hotline.auth import issue_token, revoke_token
from hotline.errors import BadRequest
from hotline.web.api.contract import ANY_USER, api_route
from hotline.web.api.models.tokens import LoginIn, TokenOut
from hotline.web.api.security import current_token
from hotline.web.extensions import db, redis_store, settings
from hotline.web.login_throttle import throttled_authenticate

bp = Blueprint("tokens", __name__)


@api_route(
    bp,
    "POST",
    "/token",
    "Exchange username and password for a bearer token (expires after 12 hours)",
    request=LoginIn,
    response=TokenOut,
    status=201,
    errors=(401, 429),
    description="Failed logins are slowed down per username and address, and lock the account "
    "for 15 minutes after 5 in a row (429 with details.retry_after_seconds).",
)
def create_token(body: LoginIn) -> TokenOut:
    """Exchange username and password for a bearer token."""
    session = db.session
    now = clock.now()
    try:
        user = throttled_authenticate(
            session,
            redis_store.client,
            body.username,
            body.password,
            request.remote_addr,
            now,
            settings().login_slowdown_seconds,
        )
    finally:
        # Failed attempts are counted and audited even though the request fails.
        session.commit()
    issued = issue_token(session, user, now)
    session.commit()
    return TokenOut(token=issued.token, role=user.role, expires_at=issued.expires_at)


@api_route(
    bp,
    "DELETE",
    "/token",
    "Revoke the bearer token this request is made with",
    status=204,
    roles=ANY_USER,
)
def delete_token() -> None:
    """Revoke the token this request was made with."""
    token = current_token()
    if token is None:
        raise BadRequest("this request has no bearer token; pages log out with POST /logout")
    revoke_token(db.session, token, clock.now())
    db.session.commit()
