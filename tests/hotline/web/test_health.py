"""Load-balancer probes."""

from __future__ import annotations

import redis

from hotline import heartbeats
from hotline.heartbeats import ROUTERS, WORKERS, Heartbeat, process_key
from hotline.web.app import create_app


def test_healthz_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_database_and_redis_and_counts_no_process_alive(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok"},
        "processes": {"routers": 0, "workers": 0},
    }


def test_readyz_counts_the_routers_and_workers_alive(client, runtime):
    routers = [
        Heartbeat(runtime.redis, ROUTERS, key=process_key(ROUTERS, "web1", n)) for n in (1, 2)
    ]
    worker = Heartbeat(runtime.redis, WORKERS, key=process_key(WORKERS, "web1", 3))
    for beating in (*routers, worker):
        beating.beat()
    assert client.get("/readyz").get_json()["processes"] == {"routers": 2, "workers": 1}

    routers[0].stop()  # a clean stop
    runtime.redis.delete(worker.key)  # a worker killed: its key expired
    body = client.get("/readyz").get_json()
    assert body["processes"] == {"routers": 1, "workers": 0}
    assert body["status"] == "ready"  # the web's readiness is its own, not the processes'
    assert heartbeats.alive(runtime.redis) == {"routers": 1, "workers": 0}
    assert runtime.redis.smembers(heartbeats.index_key(WORKERS)) == set()  # forgotten


def test_readyz_reports_unreachable_redis_with_503(runtime):
    from hotline.runtime import Runtime

    broken = Runtime(runtime.settings)
    broken.__dict__["engine"] = runtime.engine
    broken.__dict__["redis"] = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    client = create_app(runtime=broken).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "redis": "unreachable"}
    assert response.get_json()["processes"] == {"routers": None, "workers": None}  # unknown


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
