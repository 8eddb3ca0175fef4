"""Router.run through a Redis or database outage: it waits, logs twice, trusts no cached state."""

from __future__ import annotations

import logging
import threading

import pytest
import redis
from sqlalchemy.exc import OperationalError

from hotline import heartbeats
from hotline.heartbeats import ROUTERS, Heartbeat
from tests.routing.helpers import add_agent, queue_call, redirects

OUTAGES = {
    "Redis": redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    "the database": OperationalError("SELECT 1", {}, Exception("server closed the connection")),
}


def failing_first(router, errors: int, error: Exception, stop: threading.Event) -> list[object]:
    """Make the router's next `errors` cycles fail; stop it after the first good one."""
    real = router.run_once
    reports: list[object] = []

    def cycle(full: bool = True):
        if len(reports) < errors:
            reports.append(error)
            raise error
        report = real(full=full)
        reports.append(report)
        stop.set()
        return report

    router.run_once = cycle
    return reports


@pytest.mark.parametrize("dependency", OUTAGES)
def test_the_router_waits_out_an_outage_and_logs_it_once_each_way(
    router, runtime, db_session, routing_clock, fake_twilio, caplog, dependency
):
    stop = threading.Event()
    reports = failing_first(router, 3, OUTAGES[dependency], stop)
    heartbeat = Heartbeat(runtime.redis, ROUTERS)
    caplog.set_level(logging.INFO, logger="hotline.router")

    router.run(stop, heartbeat)  # returns: the outage never ends the loop

    assert len(reports) == 4 and not isinstance(reports[-1], Exception)
    lines = [r.getMessage() for r in caplog.records if r.name == "hotline.router"]
    assert [line for line in lines if "unreachable" in line] == [
        f"router: {dependency} unreachable ({OUTAGES[dependency]}); "
        "retrying with backoff until it answers"
    ]
    recovered = [line for line in lines if "answers again" in line]
    assert len(recovered) == 1 and recovered[0].startswith(f"router: {dependency} answers again")
    assert recovered[0].endswith("(2 retries); resuming")
    assert heartbeats.alive(runtime.redis)[ROUTERS] == 1


def test_after_an_outage_the_router_reads_the_rota_again_at_once(
    router, runtime, db_session, routing_clock, fake_twilio
):
    call = queue_call(db_session, runtime.redis, now=routing_clock())
    assert router.run_once().offered == 0  # nobody on duty: the empty rota is cached
    add_agent(db_session, "a1", "harbin", now=routing_clock())  # on duty during the outage
    assert router.run_once().offered == 0  # the cached rota does not know yet

    stop = threading.Event()
    reports = failing_first(router, 1, OUTAGES["Redis"], stop)
    router.run(stop)

    assert reports[-1].offered == 1  # the first cycle after the outage reads the rota
    assert len(redirects(fake_twilio, call.call_sid)) == 1
