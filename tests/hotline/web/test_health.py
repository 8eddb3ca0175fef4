"""Load-balancer probes."""

from __future__ import annotations

import redis

from hotline.web.app import create_app


def test_healthz_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_database_and_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok"},
    }


def test_readyz_reports_unreachable_redis_with_503(runtime):
    from hotline.runtime import Runtime

    broken = Runtime(runtime.settings)
    broken.__dict__["engine"] = runtime.engine
    broken.__dict__["redis"] = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    client = create_app(runtime=broken).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "redis": "unreachable"}


def test_readyz_reports_unreachable_database_with_503(runtime, tmp_path):
    from hotline.db import create_db_engine
    from hotline.runtime import Runtime

    broken = Runtime(runtime.settings)
    broken.__dict__["engine"] = create_db_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    broken.__dict__["redis"] = runtime.redis
    client = create_app(runtime=broken).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "unreachable", "redis": "ok"}
