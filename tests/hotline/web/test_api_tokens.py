"""POST /api/token, DELETE /api/token and bearer-token checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline import clock
from hotline.auth import LOCKOUT, MAX_FAILED_LOGINS, token_hash
from hotline.models import ApiToken, AuditEntry, User
from hotline.passwords import hash_password
from hotline.staff import create_user

PASSWORD = "correct-horse-battery"


@pytest.fixture
def supervisor(db_session) -> User:
    user = create_user(
        db_session, "chen", "supervisor", PASSWORD, password_hash=hash_password(PASSWORD)
    )
    db_session.commit()
    return user


def login(client, username="chen", password=PASSWORD):
    return client.post("/api/token", json={"username": username, "password": password})


def test_login_gives_a_token_that_is_stored_only_as_a_hash(client, supervisor, db_session):
    response = login(client)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "role", "expires_at"}
    assert body["role"] == "supervisor"
    row = db_session.scalars(select(ApiToken)).one()
    assert row.token_hash == token_hash(body["token"]) != body["token"]
    lifetime = row.expires_at - row.created_at
    assert timedelta(hours=11, minutes=59) < lifetime <= timedelta(hours=12)
    actions = db_session.scalars(select(AuditEntry.action)).all()
    assert actions == ["login"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"data": "{not json", "content_type": "application/json"},
            "请求体必须是 JSON 对象",
        ),
        (
            {"data": "username=chen", "content_type": "application/x-www-form-urlencoded"},
            "请以 JSON 对象发送请求体（Content-Type: application/json）",
        ),
        ({"json": ["chen", PASSWORD]}, "请求体必须是 JSON 对象"),
        ({"json": {"username": "chen"}}, "字段 password 不能为空"),
        ({"json": {"username": 7, "password": PASSWORD}}, "字段 username 类型错误，应为字符串"),
        (
            {"json": {"username": "x" * 65, "password": PASSWORD}},
            "字段 username 不能超过 64 个字符",
        ),
        (
            {"json": {"username": "chen", "password": PASSWORD, "admin": True}},
            "未知字段 admin",
        ),
    ],
)
def test_malformed_login_is_a_clear_400_and_writes_nothing(
    client, supervisor, db_session, kwargs, message
):
    response = client.post("/api/token", **kwargs)
    assert response.status_code == 400
    assert response.get_json()["message"] == message
    assert db_session.scalars(select(ApiToken)).all() == []


def test_wrong_password_is_401_and_audited(client, supervisor, db_session):
    response = login(client, password="wrong-password-1")
    assert response.status_code == 401
    assert response.get_json() == {"error": "unauthorized", "message": "wrong username or password"}
    unknown = login(client, username="nobody")
    assert unknown.get_json() == response.get_json()
    actions = db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["login_failed", "login_failed"]


def test_repeated_failures_lock_the_account(client, supervisor, db_session):
    for _ in range(MAX_FAILED_LOGINS):
        assert login(client, password="wrong-password-1").status_code == 401
    locked = login(client)  # even the right password is refused while locked
    assert locked.status_code == 429
    assert locked.get_json()["error"] == "account_locked"
    retry_after = locked.get_json()["details"]["retry_after_seconds"]
    assert LOCKOUT.total_seconds() - 5 <= retry_after <= LOCKOUT.total_seconds() + 1

    db_session.rollback()
    user = db_session.get(User, supervisor.id)
    user.locked_until = clock.now() - timedelta(seconds=1)
    db_session.commit()
    assert login(client).status_code == 201


def test_token_can_be_revoked(client, supervisor):
    token = login(client).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/token", headers=headers).status_code == 204
    again = client.delete("/api/token", headers=headers)
    assert again.status_code == 401
    assert again.get_json()["message"] == "token revoked"


def test_expired_token_is_refused(client, supervisor, db_session):
    token = login(client).get_json()["token"]
    row = db_session.scalars(select(ApiToken)).one()
    row.expires_at = clock.now() - timedelta(seconds=1)
    db_session.commit()
    response = client.delete("/api/token", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "token expired"


@pytest.mark.parametrize("header", ["", "Bearer", "Basic abc", "Bearer not-a-token"])
def test_missing_or_unknown_token_is_401(client, header):
    response = client.delete("/api/token", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
