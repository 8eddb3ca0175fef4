"""Bearer-token (or page-session) authentication and role checks for API routes."""

from __future__ import annotations

from flask import g, request

from hotline import clock
from hotline.auth import user_for_token
from hotline.errors import Forbidden, Unauthorized
from hotline.models import ApiToken, User
from hotline.web.csrf import protect_session_request
from hotline.web.extensions import db
from hotline.web.login_session import session_user


def bearer_token() -> str:
    """The token of the Authorization: Bearer header; Unauthorized if there is none."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token> (POST /api/token gives one)")
    return token.strip()


def current_user() -> User:
    """The user of the current API request (after authenticate); Unauthorized before it."""
    user = g.get("api_user")
    if not isinstance(user, User):
        # Only a view declared without roles gets here: the route authenticates every other.
        raise Unauthorized("this request is not authenticated")
    return user


def current_token() -> ApiToken | None:
    """The bearer token of the current API request; None when the page session authenticated."""
    token = g.get("api_token")
    return token if isinstance(token, ApiToken) else None


def _authenticate() -> tuple[User, ApiToken | None]:
    """The bearer token's user; without an Authorization header, the page session's user.

    A page session must also carry the CSRF token on unsafe methods; a bearer token need not.
    """
    if "Authorization" not in request.headers:
        user = session_user(db.session)
        if user is not None:
            protect_session_request()
            return user, None
    return user_for_token(db.session, bearer_token(), clock.now())


def authenticate(roles: tuple[str, ...]) -> User:
    """Require a valid bearer token (or page session), and one of the roles when any are given."""
    user, token = _authenticate()
    if roles and user.role not in roles:
        raise Forbidden(f"this needs the role {' or '.join(roles)}")
    g.api_user = user
    g.api_token = token
    return user
