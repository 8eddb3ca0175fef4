"""Who may see a page: the logged-in user from the page session, and role checks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec
from urllib.parse import urlsplit

from flask import g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hotline.errors import Unauthorized
from hotline.models import User
from hotline.models.vocabulary import AGENT_ROLES, SUPERVISOR_ROLES
from hotline.web.extensions import db
from hotline.web.login_session import session_user

P = ParamSpec("P")


def page_user() -> User | None:
    """The user logged in on this browser (cached for the request)."""
    if "page_user" not in g:
        g.page_user = session_user(db.session)
    user = g.page_user
    return user if isinstance(user, User) else None


def logged_in_user() -> User:
    """The page user of a view behind login_required; Unauthorized if there is none."""
    user = page_user()
    if user is None:
        # login_required has sent anonymous visitors to /login before the view runs.
        raise Unauthorized("log in first")
    return user


def home_for(user: User) -> str:
    """Where a user lands after logging in."""
    return url_for("console.console") if user.role in AGENT_ROLES else url_for("call_log.calls")


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after login, or None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return None
    return target


def forbidden_page(message: str) -> tuple[str, int]:
    """The 403 page."""
    return render_template("error.html", status=403, message=message), 403


def login_required(
    *roles: str,
) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, ResponseReturnValue]]:
    """Send anonymous visitors to /login; show 403 to users without one of the roles."""

    def decorator(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            user = page_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles:
                return forbidden_page("您的账户没有查看此页面的权限。")
            return view(*args, **kwargs)

        return wrapper

    return decorator


AGENTS = AGENT_ROLES
SUPERVISORS = SUPERVISOR_ROLES
