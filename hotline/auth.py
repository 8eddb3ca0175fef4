"""Authenticating staff: password logins with lockout, and bearer tokens for the API."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import HotlineError, Unauthorized
from hotline.models import ApiToken, AuditEntry, User
from hotline.passwords import hash_password, verify_password

TOKEN_LIFETIME = timedelta(hours=12)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LAST_USED_RESOLUTION = timedelta(minutes=1)


class AccountLocked(HotlineError):
    """Too many failed logins: the account is locked for a while."""

    status = 429
    code = "account_locked"


@dataclass(frozen=True)
class IssuedToken:
    """A new bearer token (shown once) and its expiry."""

    token: str
    user: User
    expires_at: datetime


def token_hash(token: str) -> str:
    """The stored form of a token: its SHA-256, so a database leak reveals no tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def audit(
    session: Session,
    action: str,
    user_id: int | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    remote_addr: str | None = None,
    **detail: object,
) -> None:
    """Append an entry to the audit log."""
    session.add(
        AuditEntry(
            action=action,
            user_id=user_id,
            target_type=target_type,
            target_id=target_id,
            remote_addr=remote_addr,
            detail=detail,
        )
    )


def authenticate(
    session: Session, username: str, password: str, remote_addr: str | None, now: datetime
) -> User:
    """Check a password login; count failures and lock the account after too many."""
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.is_active:
        # Hash anyway so an unknown username takes as long as a wrong password.
        verify_password(_dummy_hash(), password)
        # The typed name is not logged: people type passwords into the username box.
        audit(session, "login_failed", None, "user", None, remote_addr, reason="unknown_user")
        raise Unauthorized("wrong username or password")
    if user.locked_until is not None and user.locked_until > now:
        audit(session, "login_refused_locked", user.id, "user", str(user.id), remote_addr)
        raise AccountLocked(
            "too many failed logins; try again later",
            retry_after_seconds=int((user.locked_until - now).total_seconds()) + 1,
        )
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        audit(session, "login_failed", user.id, "user", str(user.id), remote_addr)
        raise Unauthorized("wrong username or password")
    user.failed_logins = 0
    user.locked_until = None
    audit(session, "login", user.id, "user", str(user.id), remote_addr)
    return user


def issue_token(session: Session, user: User, now: datetime) -> IssuedToken:
    """Create a bearer token for a user."""
    token = secrets.token_urlsafe(32)
    expires_at = now + TOKEN_LIFETIME
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), expires_at=expires_at))
    return IssuedToken(token=token, user=user, expires_at=expires_at)


def user_for_token(session: Session, token: str, now: datetime) -> tuple[User, ApiToken]:
    """The user a bearer token belongs to; Unauthorized if unknown, expired or revoked."""
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token))
    ).one_or_none()
    if row is None:
        raise Unauthorized("unknown token")
    if row.revoked_at is not None:
        raise Unauthorized("token revoked")
    if row.expires_at <= now:
        raise Unauthorized("token expired")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("account disabled")
    # Console pages poll every few seconds: a write per minute is enough for this field.
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    return user, row


def revoke_token(session: Session, row: ApiToken, now: datetime) -> None:
    """Revoke a token so it is refused from now on."""
    row.revoked_at = now


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password-" + secrets.token_hex(8))
