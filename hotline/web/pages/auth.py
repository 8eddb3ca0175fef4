"""Page login and logout (session cookie, CSRF-protected forms)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hotline import clock
from hotline.auth import AccountLocked, audit
from hotline.errors import Unauthorized
from hotline.web import login_session
from hotline.web.extensions import db, redis_store, settings
from hotline.web.login_throttle import TooManyAttempts, throttled_authenticate
from hotline.web.pages.access import home_for, page_user, safe_next

bp = Blueprint("auth", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Send visitors to their home page, or to the login page."""
    user = page_user()
    return redirect(home_for(user) if user else url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form; check the password, slowed and locked like the API login."""
    next_page = safe_next(request.values.get("next"))
    if request.method == "GET":
        user = page_user()
        if user is not None:
            return redirect(next_page or home_for(user))
        return render_template("login.html", next_page=next_page, error=None, username="")
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    if not username or not password:
        return _failed(next_page, username, "请输入用户名和密码。", 400)
    session = db.session
    try:
        user = throttled_authenticate(
            session,
            redis_store.client,
            username,
            password,
            request.remote_addr,
            clock.now(),
            settings().login_slowdown_seconds,
        )
    except AccountLocked as exc:
        session.commit()
        wait = exc.details.get("retry_after_seconds")  # whole seconds (hotline.auth)
        minutes = max(1, (wait if isinstance(wait, int) else 60) // 60)
        return _failed(
            next_page, username, f"登录失败次数过多，账户已锁定，请{minutes}分钟后再试。", 429
        )
    except TooManyAttempts as exc:
        seconds = exc.details.get("retry_after_seconds", 1)
        return _failed(next_page, username, f"尝试过于频繁，请{seconds}秒后再试。", 429)
    except Unauthorized:
        session.commit()  # the failure is counted and audited
        return _failed(next_page, username, "用户名或密码错误。", 401)
    session.commit()
    login_session.start(user)
    return redirect(next_page or home_for(user))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the page session."""
    user = page_user()
    if user is not None:
        audit(db.session, "logout", user.id, "user", str(user.id), request.remote_addr)
        db.session.commit()
    login_session.end()
    return redirect(url_for("auth.login"))


def _failed(next_page: str | None, username: str, error: str, status: int) -> tuple[str, int]:
    return (
        render_template("login.html", next_page=next_page, error=error, username=username),
        status,
    )
