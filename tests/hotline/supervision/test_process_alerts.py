"""The live view's alerts when no router or no worker has been alive for 15 seconds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.clock import ManualClock, using_clock
from hotline.heartbeats import ROUTERS, WORKERS, Heartbeat, Liveness, process_key
from hotline.supervision.alerts import AlertThresholds, process_alerts
from hotline.supervision.live_setup import load_live_setup
from hotline.supervision.live_view import build_snapshot
from hotline.web.api.models.metrics import LiveSnapshotOut
from tests.hotline.supervision.live_support import NOW

NO_ROUTER = "路由进程已停止 15秒以上，来电无法分配"
NO_WORKER = "后台任务进程已停止 15秒以上，短信等后台任务无法执行"


@pytest.fixture
def setup(settings):
    return load_live_setup(settings.config_dir)


def beating(runtime, kind, n: int, at=NOW) -> Heartbeat:
    """A process of `kind` (host "live", pid n) that beat at `at`."""
    heartbeat = Heartbeat(runtime.redis, kind, key=process_key(kind, "live", n))
    with using_clock(ManualClock(at)):
        heartbeat.beat()
    return heartbeat


def process_alerts_at(db_session, runtime, setup, moment):
    snapshot = build_snapshot(db_session, runtime.redis, setup, moment)
    LiveSnapshotOut.model_validate({**snapshot, "served_at": snapshot["generated_at"]})
    kinds = ("no_router", "no_worker")
    return snapshot["processes"], [a for a in snapshot["alerts"] if a["kind"] in kinds]


def test_a_router_stopped_15_seconds_ago_raises_the_no_router_alert(db_session, runtime, setup):
    router = beating(runtime, ROUTERS, 1)
    beating(runtime, WORKERS, 2, at=NOW + timedelta(seconds=14))
    with using_clock(ManualClock(NOW)):
        router.stop()  # a clean stop: the key goes at once, the silence starts now

    processes, alerts = process_alerts_at(db_session, runtime, setup, NOW + timedelta(seconds=14))
    assert processes == {"routers": 0, "workers": 1}
    assert alerts == []  # not yet: a restart takes a few seconds

    processes, alerts = process_alerts_at(db_session, runtime, setup, NOW + timedelta(seconds=15))
    assert alerts == [
        {"kind": "no_router", "scope": "centre", "region": None, "value": 15.0,
         "threshold": 15, "message": NO_ROUTER},
    ]  # fmt: skip


def test_a_killed_worker_raises_the_no_worker_alert_once_its_heartbeat_is_old(
    db_session, runtime, setup
):
    beating(runtime, ROUTERS, 1, at=NOW + timedelta(seconds=20))
    worker = beating(runtime, WORKERS, 2)
    runtime.redis.delete(worker.key)  # killed: its key expired, nothing else changed

    processes, alerts = process_alerts_at(db_session, runtime, setup, NOW + timedelta(seconds=20))
    assert processes == {"routers": 1, "workers": 0}
    assert [(a["kind"], a["value"], a["message"]) for a in alerts] == [
        ("no_worker", 20.0, NO_WORKER)
    ]


def test_processes_never_seen_count_from_the_first_look(db_session, runtime, setup):
    # Redis empty (lost, or a new deployment): the silence cannot be older than the first look.
    processes, alerts = process_alerts_at(db_session, runtime, setup, NOW)
    assert (processes, alerts) == ({"routers": 0, "workers": 0}, [])

    snapshot = build_snapshot(db_session, runtime.redis, setup, NOW + timedelta(seconds=16))
    assert [a["kind"] for a in snapshot["alerts"]][:2] == ["no_router", "no_worker"]  # first
    assert [a["value"] for a in snapshot["alerts"][:2]] == [16.0, 16.0]


def test_a_process_alive_again_ends_the_alert(db_session, runtime, setup):
    process_alerts_at(db_session, runtime, setup, NOW)
    later = NOW + timedelta(minutes=5)
    beating(runtime, ROUTERS, 1, at=later)
    beating(runtime, WORKERS, 2, at=later)

    assert process_alerts_at(db_session, runtime, setup, later) == (
        {"routers": 1, "workers": 1}, [],
    )  # fmt: skip


def test_the_silence_threshold_comes_from_config_and_is_inclusive():
    thresholds = AlertThresholds(process_silent_seconds=30)
    silent = {ROUTERS: Liveness(0, 29.9), WORKERS: Liveness(0, 30.0)}
    assert [a.kind for a in process_alerts(thresholds, silent)] == ["no_worker"]
    alive = {ROUTERS: Liveness(2, 0.0), WORKERS: Liveness(1, 0.0)}
    assert process_alerts(thresholds, alive) == []
    assert "30秒以上" in process_alerts(thresholds, silent)[0].message
