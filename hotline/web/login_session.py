"""Page logins: a signed session cookie naming a server-side session kept in Redis.

The cookie alone is not enough: logging out deletes the Redis entry, so a copied cookie stops
working at once, and every page session expires after SESSION_LIFETIME.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import cast

from flask import session as cookie
from sqlalchemy.orm import Session

from hotline.models import User
from hotline.web.extensions import redis_store

SESSION_LIFETIME = timedelta(hours=12)


def _key(nonce: str) -> str:
    return f"hotline:web_session:{nonce}"


def start(user: User) -> None:
    """Log the user in on this browser (a fresh session, so no fixation)."""
    nonce = secrets.token_urlsafe(24)
    redis_store.client.set(_key(nonce), str(user.id), ex=int(SESSION_LIFETIME.total_seconds()))
    cookie.clear()
    cookie.permanent = True
    cookie["uid"] = user.id
    cookie["sid"] = nonce


def session_user(db_session: Session) -> User | None:
    """The logged-in user of this browser, or None (no cookie, logged out, expired, disabled)."""
    uid, nonce = cookie.get("uid"), cookie.get("sid")
    if not isinstance(uid, int) or not isinstance(nonce, str):
        return None
    # The sync client's replies are typed Awaitable | value (redis-py#2399).
    stored = cast(bytes | None, redis_store.client.get(_key(nonce)))
    if stored is None or stored.decode() != str(uid):
        return None
    user = db_session.get(User, uid)
    if user is None or not user.is_active:
        return None
    return user


def end() -> None:
    """Log this browser out."""
    nonce = cookie.get("sid")
    if isinstance(nonce, str):
        redis_store.client.delete(_key(nonce))
    cookie.clear()
