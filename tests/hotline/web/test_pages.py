"""The staff pages: login with CSRF and throttling, role checks, and what each page shows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.models import AuditEntry, User
from hotline.web.app import create_app
from tests.console_support import (
    CALLER_MASKED,
    PASSWORD,
    bearer,
    consultation_body,
    csrf_from,
    make_call,
    make_staff,
    page_login,
)


@pytest.fixture
def staff(db_session):
    return make_staff(db_session)


@pytest.fixture
def call(db_session, staff):
    return make_call(db_session, staff.agent(db_session, staff.wang))


def login_form(client, username="wang", password=PASSWORD, **extra):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, **extra},
    )


def test_login_page_is_chinese_and_protected(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "工作人员登录" in html
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"


def test_login_without_the_csrf_token_is_refused(client, staff, db_session):
    response = client.post("/login", data={"username": "wang", "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert db_session.scalars(select(AuditEntry)).all() == []


@pytest.mark.parametrize(("username", "home"), [("wang", "/console"), ("chen", "/calls")])
def test_login_lands_on_the_role_home_and_is_audited(client, staff, db_session, username, home):
    response = login_form(client, username)
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200
    assert db_session.scalars(select(AuditEntry.action)).all() == ["login"]


def test_wrong_password_shows_an_error(client, staff):
    response = login_form(client, password="wrong-password-1")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/console").status_code == 302


def test_the_page_login_locks_like_the_api(client, staff, db_session):
    for _ in range(5):
        assert login_form(client, password="wrong-password-1").status_code == 401
    locked = login_form(client)
    assert locked.status_code == 429
    assert "账户已锁定" in locked.get_data(as_text=True)


def test_failed_logins_are_slowed_down(runtime, staff):
    runtime.settings = runtime.settings.with_overrides(login_slowdown_seconds=30)
    client = create_app(runtime=runtime).test_client()
    assert login_form(client, password="wrong-password-1").status_code == 401
    slowed = login_form(client)  # even the right password waits
    assert slowed.status_code == 429
    assert "尝试过于频繁" in slowed.get_data(as_text=True)
    api = client.post("/api/token", json={"username": "wang", "password": PASSWORD})
    assert api.status_code == 429
    assert api.get_json()["error"] == "too_many_attempts"
    assert 1 <= api.get_json()["details"]["retry_after_seconds"] <= 30
    other_user = client.post("/api/token", json={"username": "li", "password": PASSWORD})
    assert other_user.status_code == 201


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_login_never_redirects_off_site(client, staff, target):
    response = login_form(client, next=target)
    assert response.headers["Location"] == "/console"


def test_login_returns_to_the_page_asked_for(client, staff, call):
    first = client.get(f"/calls/{call.call_sid}")
    assert first.status_code == 302
    assert first.headers["Location"].startswith("/login?next=")
    response = login_form(client, next=f"/calls/{call.call_sid}")
    assert response.headers["Location"] == f"/calls/{call.call_sid}"


def test_logout_ends_the_session_even_for_a_copied_cookie(client, staff, db_session):
    token = page_login(client, "wang")
    cookie = client.get_cookie("hotline_session").value
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/console").status_code == 302
    thief = create_app(runtime=client.application.extensions["hotline.runtime"]).test_client()
    thief.set_cookie("hotline_session", cookie)
    assert thief.get("/console").status_code == 302
    assert thief.get("/api/me").status_code == 401
    assert db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
        "login",
        "logout",
    ]


def test_a_disabled_account_loses_its_page_session(client, staff, db_session):
    page_login(client, "wang")
    db_session.get(User, staff.wang.id).is_active = False
    db_session.commit()
    assert client.get("/console").status_code == 302


def test_console_is_for_agents(client, staff):
    page_login(client, "wang")
    html = client.get("/console").get_data(as_text=True)
    for text in ("坐席工作台", "示闲接听", "小休", "离线", "来电信息", "咨询登记", "转法律援助"):
        assert text in html
    assert 'id="phone-panel"' in html  # contact client:wang answers in the browser
    assert "vendor/twilio-voice" in html
    assert "<script>" not in html  # no inline scripts: the CSP forbids them


def test_console_of_a_phone_agent_has_no_browser_phone(client, staff):
    page_login(client, "li")
    html = client.get("/console").get_data(as_text=True)
    assert 'id="phone-panel"' not in html and "twilio-voice" not in html


def test_supervisor_pages_refuse_agents(client, staff, call):
    page_login(client, "li")
    response = client.get("/calls")
    assert response.status_code == 403
    assert "没有查看此页面的权限" in response.get_data(as_text=True)
    assert client.get(f"/calls/{call.call_sid}").status_code == 403


def test_call_log_and_timeline_for_supervisors(client, staff, call):
    client.post("/api/consultations", json=consultation_body(call), headers=bearer(client, "wang"))
    page_login(client, "chen")
    listing = client.get("/calls").get_data(as_text=True)
    assert "通话日志" in listing and CALLER_MASKED in listing and "王律师" in listing
    assert "HL12348-" in listing
    detail = client.get(f"/calls/{call.call_sid}").get_data(as_text=True)
    for text in (
        "通话时间线",
        "来电接入",
        "进入排队",
        "咨询记录已保存",
        "查看完整号码",
        "转法律援助",
    ):
        assert text in detail
    assert client.get("/calls?date=not-a-day").status_code == 400
    assert client.get("/calls/CA" + "5" * 32).status_code == 404


def test_consultation_pages_follow_ownership(client, staff, call):
    case_number = client.post(
        "/api/consultations", json=consultation_body(call), headers=bearer(client, "wang")
    ).get_json()["case_number"]
    page_login(client, "wang")
    own = client.get(f"/consultations/{case_number}")
    assert own.status_code == 200
    assert "用人单位拖欠三个月工资" in own.get_data(as_text=True)
    assert case_number in client.get("/consultations").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(own.get_data(as_text=True))})

    page_login(client, "li")
    assert client.get(f"/consultations/{case_number}").status_code == 403
    assert case_number not in client.get("/consultations").get_data(as_text=True)
    assert client.get("/consultations/HL12348-20000101-000009").status_code == 404


def test_index_redirects(client, staff):
    assert client.get("/").headers["Location"] == "/login"
    page_login(client, "chen")
    assert client.get("/").headers["Location"] == "/calls"


def test_webhooks_are_not_subject_to_csrf(client):
    # Unsigned: refused by the signature check (403), not by CSRF (400).
    assert client.post("/voice/status", data={"CallSid": "CA1"}).status_code == 403
    assert client.post("/sms/status", data={"MessageSid": "SM1"}).status_code == 403


def test_the_session_cookie_is_http_only_and_same_site(client, staff):
    response = login_form(client)
    cookie = next(
        header
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith("hotline_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
