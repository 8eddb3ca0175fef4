"""GET /metrics: gauges from the live routing state and RQ, the webhook histogram, access rules."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue, SimpleWorker

from hotline.clock import to_ms
from hotline.heartbeats import ROUTERS, WORKERS, Heartbeat, process_key
from hotline.runtime import Runtime
from hotline.web.app import create_app
from routing.state import CallerState, RoutingState
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import call_params, signed_post

TOKEN = "scrape-token-0123456789abcdef"
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(client, **kwargs) -> dict:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


def waiting_caller(sid: str, region: str, enqueued_ms: int, call_id: int) -> CallerState:
    return CallerState(
        call_sid=sid, call_id=call_id, service="consultation", group="1", topic="婚姻家庭",
        region=region, priority=0, cls=0, enqueued_ms=enqueued_ms, repeat_caller=False,
        state="waiting", agent_id=None, offer_id="", reach=0, nobody=False, ready_agents=0,
        retry_at_ms=0,
    )  # fmt: skip


def app_with(runtime: Runtime, **overrides):
    """An app on the test's database and Redis with some settings changed."""
    rt = Runtime(runtime.settings.with_overrides(**overrides))
    rt.__dict__["engine"] = runtime.engine
    rt.__dict__["redis"] = runtime.redis
    return create_app(runtime=rt)


def test_queue_depth_and_oldest_wait_per_region(client, runtime, routing_clock):
    state = RoutingState(runtime.redis)
    now_ms = to_ms(routing_clock())
    state.enqueue(waiting_caller("CA" + "1" * 32, "harbin", now_ms - 90_000, 1))
    state.enqueue(waiting_caller("CA" + "2" * 32, "harbin", now_ms - 30_000, 2))
    state.enqueue(waiting_caller("CA" + "3" * 32, "daqing", now_ms - 10_000, 3))
    state.enqueue(waiting_caller("CA" + "4" * 32, "daqing", now_ms - 200_000, 4))
    state.ensure_agent(7, "available", None, now_ms - 60_000, now_ms - 60_000)
    assert state.reserve("CA" + "4" * 32, 7, "offer-1", now_ms, now_ms + 20_000) == "ok"

    found = scrape(client)

    assert found[("hotline_redis_up", ())] == 1
    depth = {
        labels[0][1]: value for (name, labels), value in found.items()
        if name == "hotline_queue_depth"
    }  # fmt: skip
    assert sum(depth.values()) == 3  # the offered caller no longer waits
    assert depth["harbin"] == 2 and depth["daqing"] == 1 and depth["mudanjiang"] == 0
    assert depth["province"] == 0
    oldest = "hotline_queue_oldest_wait_seconds"
    assert found[(oldest, (("region", "harbin"),))] == pytest.approx(90.0)
    assert found[(oldest, (("region", "daqing"),))] == pytest.approx(10.0)
    assert found[(oldest, (("region", "jixi"),))] == 0

    routing_clock.advance(15)
    later = scrape(client)
    assert later[(oldest, (("region", "harbin"),))] == pytest.approx(105.0)


def test_agents_by_state(client, runtime, routing_clock):
    state = RoutingState(runtime.redis)
    now_ms = to_ms(routing_clock())
    for agent_id, status in ((1, "available"), (2, "available"), (3, "break"), (4, "offline")):
        state.ensure_agent(agent_id, status, None, now_ms, now_ms)
    state.ensure_agent(5, "available", now_ms - 5_000, now_ms, now_ms)  # paused after a miss
    state.ensure_agent(6, "available", None, now_ms, now_ms)
    state.enqueue(waiting_caller("CA" + "5" * 32, "harbin", now_ms - 1_000, 5))
    assert state.reserve("CA" + "5" * 32, 6, "offer-6", now_ms, now_ms + 20_000) == "ok"
    assert state.accept("offer-6", now_ms).outcome == "ok"

    found = scrape(client)

    agents = {
        labels[0][1]: value for (name, labels), value in found.items() if name == "hotline_agents"
    }
    assert agents == {"available": 2, "break": 1, "offline": 1, "paused": 1, "talking": 1,
                      "ringing": 0, "wrap_up": 0}  # fmt: skip


def test_routers_and_workers_alive(client, runtime):
    none = scrape(client)
    assert (none[("hotline_routers_alive", ())], none[("hotline_workers_alive", ())]) == (0, 0)

    router = Heartbeat(runtime.redis, ROUTERS, key=process_key(ROUTERS, "host-a", 10))
    workers = [
        Heartbeat(runtime.redis, WORKERS, key=process_key(WORKERS, "host-b", n))
        for n in (11, 12, 13)
    ]
    for beating in (router, *workers):
        beating.beat()
    found = scrape(client)
    assert (found[("hotline_routers_alive", ())], found[("hotline_workers_alive", ())]) == (1, 3)

    router.stop()
    runtime.redis.delete(workers[0].key)  # killed: its heartbeat expired
    later = scrape(client)
    assert (later[("hotline_routers_alive", ())], later[("hotline_workers_alive", ())]) == (0, 2)


def _fail(reason: str) -> None:
    raise RuntimeError(reason)


def test_failed_queued_and_scheduled_jobs_per_queue(client, runtime):
    default = Queue("default", connection=runtime.redis)
    default.enqueue(_fail, "the job fails on purpose")
    SimpleWorker([default], connection=runtime.redis).work(burst=True)
    Queue("high", connection=runtime.redis).enqueue(_fail, "waits for a worker")
    default.enqueue_in(timedelta(hours=1), _fail, "later")

    found = scrape(client)

    assert found[("hotline_rq_jobs_failed", (("queue", "default"),))] == 1
    assert found[("hotline_rq_jobs_failed", (("queue", "high"),))] == 0
    assert found[("hotline_rq_jobs_queued", (("queue", "high"),))] == 1
    assert found[("hotline_rq_jobs_queued", (("queue", "default"),))] == 0
    assert found[("hotline_rq_jobs_scheduled", (("queue", "default"),))] == 1


def test_signed_webhooks_are_observed_by_endpoint(client):
    key = ("hotline_webhook_duration_seconds_count", (("endpoint", "voice.fallback"),))
    before = scrape(client).get(key, 0)

    for number in range(2):
        response = signed_post(
            client, "/voice/fallback", call_params(f"CA{number:032d}"), AUTH_TOKEN
        )
        assert response.status_code == 200
    client.get("/healthz")  # not a webhook: not observed

    found = scrape(client)
    assert found[key] == before + 2
    assert found[("hotline_webhook_duration_seconds_sum", (("endpoint", "voice.fallback"),))] > 0
    assert not any(dict(labels).get("endpoint") == "health.healthz" for (_, labels) in found)


def test_without_a_token_only_loopback_clients_are_answered(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    refused = client.get("/metrics", environ_base=OUTSIDE)
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "forbidden"


def test_production_without_a_token_is_loopback_only(runtime):
    client = app_with(runtime, env="production").test_client()
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403


def test_a_trusted_proxy_forwards_the_real_client_address(runtime):
    client = app_with(runtime, trusted_proxies=1).test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get("/metrics", headers=forwarded).status_code == 403
    local = {"X-Forwarded-For": "127.0.0.1"}
    assert client.get("/metrics", headers=local, environ_base=OUTSIDE).status_code == 200


def test_with_a_token_every_client_needs_it(runtime):
    client = app_with(runtime, metrics_token=TOKEN).test_client()
    assert client.get("/metrics").status_code == 401  # loopback too
    wrong = {"Authorization": "Bearer " + TOKEN[:-1] + "x"}
    assert client.get("/metrics", headers=wrong).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic abc"}).status_code == 401
    right = {"Authorization": f"Bearer {TOKEN}"}
    found = scrape(client, headers=right, environ_base=OUTSIDE)
    assert found[("hotline_redis_up", ())] == 1


def test_gunicorn_workers_share_one_histogram(tmp_path, base_settings):
    """With PROMETHEUS_MULTIPROC_DIR, each process's observations are in every scrape."""
    script = textwrap.dedent(
        """
        import sys
        from hotline.web.app import create_app
        from tests.harness.signing import call_params, signed_post
        from tests.conftest import AUTH_TOKEN
        client = create_app().test_client()
        if sys.argv[1] == "call":
            sid = "CA" + str(sys.argv[2]) * 32
            answer = signed_post(client, "/voice/fallback", call_params(sid), AUTH_TOKEN)
            assert answer.status_code == 200
        else:
            print(client.get("/metrics").get_data(as_text=True))
        """
    )
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(multiproc), HOTLINE_ENV="test",
               HOTLINE_INSTANCE_DIR=str(tmp_path / "instance"), TWILIO_AUTH_TOKEN=AUTH_TOKEN,
               HOTLINE_PUBLIC_URL="http://localhost")  # fmt: skip

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True,
            timeout=120, cwd=str(base_settings.config_dir.parent),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("call", "1")
    run("call", "2")
    found = samples(run("scrape"))
    key = ("hotline_webhook_duration_seconds_count", (("endpoint", "voice.fallback"),))
    assert found[key] == 2


def test_every_twilio_facing_prefix_is_observed_the_ivr_turns_too(client, clock):
    call_sid = "CA" + "4" * 32
    signed_post(client, "/voice/incoming", call_params(call_sid), AUTH_TOKEN)
    signed_post(client, "/ivr/input?node=service", call_params(call_sid, Digits="1"), AUTH_TOKEN)
    signed_post(client, "/sms/status", {"MessageSid": "SM" + "4" * 32, "MessageStatus": "sent"},
                AUTH_TOKEN)  # fmt: skip
    signed_post(client, "/queue/wait", call_params(call_sid), AUTH_TOKEN)

    found = scrape(client)
    observed = {
        dict(labels)["endpoint"]
        for (name, labels) in found
        if name == "hotline_webhook_duration_seconds_count"
    }
    assert {"voice.incoming", "ivr.gather_input", "sms.status", "queue.wait"} <= observed
