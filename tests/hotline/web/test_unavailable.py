"""A database or Redis that is down: the API answers 503 in its error shape, pages a 503 page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import redis

from hotline.db import create_db_engine, create_session_factory
from hotline.web.errors import UNAVAILABLE_MESSAGE
from tests.conftest import AUTH_TOKEN
from tests.console_support import PASSWORD, bearer, make_staff, page_login
from tests.harness.signing import call_params, signed_post

# Nothing listens there (the port kept free for tests that run their own redis-server).
DEAD_REDIS = "redis://127.0.0.1:6394/0"
DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"


@pytest.fixture
def database_down(runtime):
    """Make the test's runtime reach a database server that is not there."""

    def down() -> None:
        engine = create_db_engine(DEAD_DATABASE)
        runtime.__dict__["engine"] = engine
        runtime.__dict__["session_factory"] = create_session_factory(engine)

    return down


@pytest.fixture
def redis_down(runtime):
    """Make the test's runtime reach a Redis server that is not there."""

    def down() -> None:
        client = redis.Redis.from_url(DEAD_REDIS, socket_connect_timeout=1)
        runtime.__dict__["redis"] = client

    return down


def _unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json() == {"error": "unavailable", "message": UNAVAILABLE_MESSAGE}


def test_the_api_answers_503_when_the_database_is_down(client, db_session, database_down):
    make_staff(db_session)
    headers = bearer(client, "chen")
    database_down()
    _unavailable(client.get("/api/me", headers=headers))
    _unavailable(client.post("/api/token", json={"username": "chen", "password": PASSWORD}))


def test_the_api_answers_503_when_redis_is_down(client, db_session, redis_down):
    make_staff(db_session)
    headers = bearer(client, "chen")
    redis_down()
    _unavailable(client.get("/api/metrics/live", headers=headers))  # the live routing state
    # Logging in still works: the login throttle lets a login through without Redis.
    login = client.post("/api/token", json={"username": "chen", "password": PASSWORD})
    assert login.status_code == 201


def test_a_page_answers_a_chinese_503_page_when_the_database_is_down(
    client, db_session, database_down
):
    make_staff(db_session)
    page_login(client, "chen")
    database_down()
    response = client.get("/calls")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "服务暂时不可用" in page and UNAVAILABLE_MESSAGE in page


def test_a_voice_webhook_keeps_the_apology_and_fallback_when_redis_is_down(client, redis_down):
    redis_down()
    response = signed_post(client, "/queue/rejoin", call_params("CA" + "1" * 32), AUTH_TOKEN)
    assert response.status_code == 200
    root = ET.fromstring(response.get_data(as_text=True))
    assert [child.tag for child in root] == ["Say", "Redirect"]
    assert root[1].text.endswith("/voice/fallback")


def test_a_voice_webhook_keeps_the_apology_and_fallback_when_the_database_is_down(
    client, database_down
):
    database_down()
    response = signed_post(client, "/voice/incoming", call_params("CA" + "2" * 32), AUTH_TOKEN)
    assert response.status_code == 200
    root = ET.fromstring(response.get_data(as_text=True))
    assert [child.tag for child in root] == ["Say", "Redirect"]


def test_the_waiting_caller_holds_when_redis_is_down(client, redis_down):
    redis_down()
    response = signed_post(client, "/queue/wait", call_params("CA" + "3" * 32), AUTH_TOKEN)
    assert response.status_code == 200
    root = ET.fromstring(response.get_data(as_text=True))
    assert [child.tag for child in root] == ["Say", "Pause"]
