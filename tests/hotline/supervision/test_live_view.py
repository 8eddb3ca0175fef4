"""The live view's snapshot against a hand-built day (tests/hotline/supervision/live_support.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from hotline.clock import to_ms
from hotline.config_files import ConfigFileError
from hotline.models import Agent
from hotline.phones import mask
from hotline.supervision.alerts import AlertThresholds, alerts_for, load_alert_thresholds
from hotline.supervision.live_setup import load_live_setup
from hotline.supervision.live_view import agent_state, build_snapshot, live_snapshot
from hotline.supervision.today import local_day_start
from routing.handoff import caller_from_call
from routing.state import AgentState, RoutingState
from tests.hotline.supervision.live_support import MIDNIGHT, NOW, at, build_day, make_call


@pytest.fixture
def setup(settings):
    return load_live_setup(settings.config_dir)


@pytest.fixture
def day(db_session, runtime):
    return build_day(db_session, runtime.redis)


def region(snapshot, code):
    return next(r for r in snapshot["regions"] if r["region"] == code)


def test_today_starts_at_midnight_in_shanghai():
    assert local_day_start(NOW) == MIDNIGHT
    assert local_day_start(MIDNIGHT - timedelta(seconds=1)) == MIDNIGHT - timedelta(days=1)


def test_the_centre_figures_of_today(db_session, runtime, setup, day):
    snapshot = build_snapshot(db_session, runtime.redis, setup, NOW)

    assert snapshot["today"] == {
        "offered": 11,  # A B C D I T W1 W2 E G W3; yesterday's F and the IVR hang-up H are out
        "answered": 4,
        "abandoned": 2,
        "short_abandons": 1,
        "callbacks": 1,
        "voicemails": 0,
        "answered_rate": 0.6667,  # 4 / (4 + 2)
        "abandon_rate": 0.3333,
        "service_level": 0.5,  # A (10 s), T (15 s), E (5 s) of 6
        "asa_seconds": 15.0,  # (10 + 30 + 15 + 5) / 4
        "aht_seconds": 226.7,  # (360 + 200 + 120) / 3; T is still talking
        "max_wait_seconds": 50.0,
        "csat": 0.6667,  # 5, 2, 4 today; yesterday's 1 is out
        "ratings": 3,
        "callbacks_pending": 2,
    }
    assert snapshot["queue"] == {"waiting": 3, "longest_wait_seconds": 180}
    assert snapshot["service_level_seconds"] == 20
    assert snapshot["generated_at"] == NOW.isoformat()
    assert snapshot["generated_at_local"] == "2026-03-11 10:00:00"


def test_the_figures_per_region_and_group(db_session, runtime, setup, day):
    snapshot = build_snapshot(db_session, runtime.redis, setup, NOW)

    harbin = region(snapshot, "harbin")
    assert harbin["label"] == "哈尔滨"
    assert (harbin["waiting"], harbin["longest_wait_seconds"]) == (2, 180)
    today = harbin["today"]
    assert (today["offered"], today["answered"], today["abandoned"]) == (8, 3, 1)
    assert (today["service_level"], today["asa_seconds"], today["aht_seconds"]) == (
        0.5,
        18.3,
        280.0,
    )
    assert (today["csat"], today["ratings"], today["callbacks_pending"]) == (0.5, 2, 1)
    assert harbin["agents"] == {
        "available": 1, "ringing": 0, "talking": 1, "wrap_up": 0, "paused": 0, "break": 1,
        "offline": 0,
    }  # fmt: skip
    groups = {g["group"]: g for g in harbin["groups"]}
    assert sorted(groups) == ["1", "2"]
    assert (groups["1"]["label"], groups["1"]["waiting"]) == ("婚姻家庭继承", 1)
    assert groups["1"]["longest_wait_seconds"] == 180
    assert groups["1"]["today"]["offered"] == 6  # A C D I T W1
    assert groups["2"]["today"]["answered"] == 1

    qiqihar = region(snapshot, "qiqihar")
    assert (qiqihar["waiting"], qiqihar["longest_wait_seconds"]) == (0, None)
    assert qiqihar["today"]["offered"] == 2 and qiqihar["today"]["service_level"] == 0.5
    assert (qiqihar["today"]["csat"], qiqihar["today"]["callbacks_pending"]) == (1.0, 1)
    assert qiqihar["agents"]["paused"] == 1
    assert region(snapshot, "province")["label"] == "全省"
    assert region(snapshot, "province")["waiting"] == 1
    quiet = region(snapshot, "mudanjiang")
    assert (quiet["waiting"], quiet["today"]["offered"], quiet["groups"]) == (0, 0, [])
    assert [r["region"] for r in snapshot["regions"]][-1] == "province"

    by_group = {g["group"]: g for g in snapshot["groups"]}
    assert by_group["1"]["today"]["offered"] == 7  # harbin's six and qiqihar's G
    assert by_group["9"]["waiting"] == 1 and by_group["4"]["today"]["offered"] == 0


def test_waiting_callers_are_masked_longest_first_with_their_place(db_session, runtime, setup, day):
    snapshot = build_snapshot(db_session, runtime.redis, setup, NOW)

    rows = snapshot["waiting_callers"]
    assert [(w["call_sid"], w["waited_seconds"], w["position"]) for w in rows] == [
        ("CA_W1", 180, 1),
        ("CA_W2", 30, 2),
        ("CA_W3", 10, 1),
    ]
    first = rows[0]
    assert first["caller"] == mask(day.calls["W1"].from_number)
    assert "*" in first["caller"] and day.calls["W1"].from_number[3:] not in first["caller"]
    assert (first["region_label"], first["group_label"], first["service_label"]) == (
        "哈尔滨", "婚姻家庭继承", "法律咨询",
    )  # fmt: skip


def test_agents_with_their_state_and_time_in_it(db_session, runtime, setup, day):
    snapshot = build_snapshot(db_session, runtime.redis, setup, NOW)

    agents = {a["username"]: a for a in snapshot["agents"]}
    assert sorted(agents) == ["h_break", "h_free", "q_paused", "t_agent"]  # not off_duty
    summary = {
        name: (a["state"], a["state_label"], a["seconds_in_state"], a["paused"])
        for name, a in agents.items()
    }
    assert summary == {
        "h_free": ("available", "示闲", 300, False),
        "t_agent": ("talking", "通话中", 105, False),
        "h_break": ("break", "小休", 1200, False),
        "q_paused": ("paused", "已暂停", 600, True),
    }
    call = agents["t_agent"]["call"]
    assert call["call_sid"] == "CA_T"
    assert call["caller"] == mask(day.calls["T"].from_number)
    assert agents["q_paused"]["region"] == "qiqihar" and agents["h_free"]["on_duty"]


def test_an_agent_at_work_off_the_rota_is_shown(db_session, runtime, setup, day):
    off = day.agents["off_duty"]
    RoutingState(runtime.redis).set_status(off.id, "available", True, to_ms(at(9, 59)))

    agents = {
        a["username"]: a for a in build_snapshot(db_session, runtime.redis, setup, NOW)["agents"]
    }

    assert (agents["off_duty"]["state"], agents["off_duty"]["on_duty"]) == ("available", False)
    assert agents["off_duty"]["seconds_in_state"] == 60


def test_agent_state_of_ringing_wrap_up_and_without_routing_state():
    live = AgentState(
        agent_id=1, status="available", paused=False, live="ringing", call_sid="CA1",
        offer_id="o1", idle_since_ms=0, wrap_until_ms=0, since_ms=5,
    )  # fmt: skip
    assert agent_state(live, Agent(), {"o1": (1_000, 0)}, 60_000) == ("ringing", 1_000)
    wrapping = replace(live, live="wrap_up", offer_id="", wrap_until_ms=100_000)
    assert agent_state(wrapping, Agent(), {}, 60_000) == ("wrap_up", 40_000)
    offline = replace(live, live="idle", status="offline", paused=True, since_ms=7)
    assert agent_state(offline, Agent(), {}, 60_000) == ("offline", 7)
    stored = Agent(status="available", status_since=NOW, paused_at=at(9, 0))
    assert agent_state(None, stored, {}, 60_000) == ("paused", to_ms(at(9, 0)))


def test_longest_wait_alerts_for_the_centre_and_the_region(db_session, runtime, setup, day):
    alerts = build_snapshot(db_session, runtime.redis, setup, NOW)["alerts"]

    # Default thresholds: service level needs 20 (centre) / 10 (region) offered calls first.
    assert [(a["kind"], a["scope"], a["region"], a["value"]) for a in alerts] == [
        ("longest_wait", "centre", None, 180),
        ("longest_wait", "region", "harbin", 180),
    ]
    assert alerts[1]["threshold"] == 120
    assert alerts[1]["message"] == "哈尔滨最长等待 3分00秒，超过 2分00秒"


def test_service_level_alerts_once_enough_calls_were_offered(db_session, runtime, setup, day):
    thresholds = AlertThresholds(
        min_offered=5, min_offered_region=5, longest_wait_above_seconds=600
    )
    alerts = build_snapshot(db_session, runtime.redis, replace(setup, thresholds=thresholds), NOW)[
        "alerts"
    ]

    assert [(a["kind"], a["scope"], a["region"], a["value"]) for a in alerts] == [
        ("service_level", "centre", None, 0.5),
        ("service_level", "region", "harbin", 0.5),
    ]  # qiqihar's 50 % comes from two calls only
    assert alerts[0]["message"] == "全中心今日服务水平 50%，低于目标 80%"


def test_alert_thresholds_are_strict():
    t = AlertThresholds(service_level_below=0.8, min_offered=10, longest_wait_above_seconds=120)
    assert alerts_for(t, "centre", None, "全中心", 10, 0.8, 120) == []
    assert alerts_for(t, "centre", None, "全中心", 9, 0.1, None) == []
    kinds = [a.kind for a in alerts_for(t, "centre", None, "全中心", 10, 0.79, 121)]
    assert kinds == ["service_level", "longest_wait"]


def test_alert_thresholds_come_from_config(settings, tmp_path):
    assert load_alert_thresholds(settings.config_dir) == AlertThresholds(
        service_level_below=0.8, min_offered=20, min_offered_region=10,
        longest_wait_above_seconds=120, process_silent_seconds=15,
    )  # fmt: skip
    (tmp_path / "alerts.yaml").write_text("service_level: {below: 80}\n", encoding="utf-8")
    with pytest.raises(ConfigFileError, match="service_level.below"):
        load_alert_thresholds(tmp_path)


def test_an_empty_centre(db_session, runtime, setup):
    snapshot = build_snapshot(db_session, runtime.redis, setup, NOW)

    assert snapshot["today"]["offered"] == 0 and snapshot["today"]["service_level"] is None
    assert snapshot["waiting_callers"] == [] and snapshot["agents"] == []
    assert snapshot["queue"] == {"waiting": 0, "longest_wait_seconds": None}
    assert snapshot["alerts"] == []


def test_the_snapshot_is_cached_briefly_until_routing_changes(db_session, runtime, setup, day):
    first = live_snapshot(db_session, runtime.redis, setup, NOW)
    make_call(db_session, "CA_LATE", "harbin", "1", at(9, 59), 20, "abandoned")
    db_session.commit()

    same = live_snapshot(db_session, runtime.redis, setup, NOW + timedelta(seconds=1))
    assert same == {**first, "served_at": (NOW + timedelta(seconds=1)).isoformat()}  # cached
    assert (same["generated_at"], first["served_at"]) == (NOW.isoformat(), NOW.isoformat())
    later = live_snapshot(db_session, runtime.redis, setup, NOW + timedelta(seconds=3))
    assert later["today"]["offered"] == first["today"]["offered"] + 1

    waiting = make_call(db_session, "CA_NEW", "harbin", "1", at(10, 0), stage="queued")
    db_session.commit()
    RoutingState(runtime.redis).enqueue(caller_from_call(waiting))
    moved = live_snapshot(db_session, runtime.redis, setup, NOW + timedelta(seconds=3.5))
    assert moved["queue"]["waiting"] == 4  # a routing change is seen at once


def test_an_alerts_problem_names_the_file_the_key_and_the_reason(tmp_path):
    (tmp_path / "alerts.yaml").write_text(
        "service_level: {below: 0.8, min_offered: 20, min_offered_region: -1}\n"
        "longest_wait: {above_seconds: 120}\n"
        "processes: {silent_seconds: 15}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigFileError) as caught:
        load_alert_thresholds(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'alerts.yaml'}: 'service_level.min_offered_region' must be at least 0"
    )
