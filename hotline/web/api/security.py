"""Bearer-token authentication and role checks for API routes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request

from hotline.auth import user_for_token
from hotline.db import utcnow
from hotline.errors import Forbidden, Unauthorized
from hotline.models import User
from hotline.web.extensions import db


def bearer_token() -> str:
    """The token of the Authorization: Bearer header; Unauthorized if there is none."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token> (POST /api/token gives one)")
    return token.strip()


def current_user() -> User:
    """The user of the current API request (after token_required)."""
    return g.api_user


def token_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a valid bearer token, and one of the roles when any are given."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user, token = user_for_token(db.session, bearer_token(), utcnow())
            if roles and user.role not in roles:
                raise Forbidden(f"this needs the role {' or '.join(roles)}")
            g.api_user = user
            g.api_token = token
            return view(*args, **kwargs)

        return wrapper

    return decorator
