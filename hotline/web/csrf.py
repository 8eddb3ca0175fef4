"""CSRF protection for everything a browser session can do, and the pages' security headers.

Checked (X-CSRFToken header or csrf_token form field) on every unsafe request that a session
cookie could authenticate: page forms, and API calls made with the page session. Not checked on
Twilio webhooks (signed instead) and on API calls with a bearer token (no ambient credential).
A refusal is answered by hotline.web.errors: CsrfFailed on /api/, the error page elsewhere.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from hotline.errors import HotlineError
from hotline.twiml import TWILIO_PATH_PREFIXES
from hotline.web.extensions import app_settings
from hotline.web.login_session import SESSION_LIFETIME

csrf = CSRFProtect()

API_MESSAGE = "missing or expired CSRF token; reload the page and try again"
PAGE_MESSAGE = "页面已过期，请刷新后重试。"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Twilio-facing paths: authenticated by X-Twilio-Signature, never by a browser session.

# Pages load nothing from another host; the browser phone talks to Twilio's signalling and
# media servers only (connect-src / media from the Voice SDK itself, never scripts).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' wss://*.twilio.com https://*.twilio.com; media-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class CsrfFailed(HotlineError):
    """An unsafe request of a page session came without its CSRF token, or with an expired one."""

    status = 400
    code = "csrf_failed"


def protect_session_request() -> None:
    """Check the CSRF token of an unsafe request authenticated by the page session."""
    if request.method not in SAFE_METHODS:
        csrf.protect()


def init_app(app: Flask) -> None:
    """Install CSRF checks, session cookie settings and security headers on the app."""
    settings = app_settings(app)
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # The console stays open for a whole shift: the token lives as long as the session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # Flask has defaults for these, so they are set, not defaulted.
    app.config.update(
        SESSION_COOKIE_NAME="hotline_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    csrf.init_app(app)

    @app.before_request
    def _check_page_csrf() -> None:
        path = request.path
        if path.startswith("/api/") or path.startswith(TWILIO_PATH_PREFIXES):
            return None  # API: checked by authenticate() when the session authenticates
        protect_session_request()
        return None

    @app.after_request
    def _security_headers(response: Response) -> Response:
        if request.path.startswith(TWILIO_PATH_PREFIXES):
            return response
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Cache-Control", "no-store")
        elif request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
