"""Gauges read at scrape time: the live routing state, the processes alive and RQ's registries."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator

import redis
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from hotline import clock, heartbeats
from hotline.clock import to_ms
from hotline.supervision import live_view
from hotline.supervision.live_view import AGENT_STATES, AgentLiveState
from routing.state import AgentState, RoutingState

log = logging.getLogger("hotline.metrics")


def agent_state(agent: AgentState) -> AgentLiveState:
    """The agent's state as the live view names it (its call first, then pause and status)."""
    state, _since = live_view.live_agent_state(agent, {}, 0)
    return state


class LiveStateCollector(Collector):
    """Queue depth and oldest wait per region, agents by state, routers and workers alive, RQ."""

    def __init__(
        self,
        client: redis.Redis,
        regions: Iterable[str],
        rq_queues: Iterable[str],
    ) -> None:
        self.client = client
        self.regions = list(regions)
        self.rq_queues = list(rq_queues)

    def collect(self) -> Iterator[Metric]:
        """Read Redis once per scrape; report hotline_redis_up 0 instead of failing the scrape."""
        up = GaugeMetricFamily("hotline_redis_up", "1 if the live state in Redis could be read")
        try:
            families = self._routing() + self._processes() + self._jobs()
        except redis.RedisError as exc:
            log.warning("metrics: Redis unreadable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _routing(self) -> list[Metric]:
        state = RoutingState(self.client)
        now_ms = to_ms(clock.now())
        depth = Counter({region: 0 for region in self.regions})
        oldest_ms: dict[str, int] = {region: now_ms for region in self.regions}
        for caller in state.waiting_callers():
            depth[caller.region] += 1
            oldest_ms[caller.region] = min(oldest_ms.get(caller.region, now_ms), caller.enqueued_ms)
        queue_depth = GaugeMetricFamily(
            "hotline_queue_depth", "Callers waiting in the queue of a region", labels=["region"]
        )
        oldest = GaugeMetricFamily(
            "hotline_queue_oldest_wait_seconds",
            "How long the longest-waiting caller of a region has waited (0: nobody waits)",
            labels=["region"],
        )
        for region in sorted(depth):
            queue_depth.add_metric([region], depth[region])
            oldest.add_metric([region], max(0.0, (now_ms - oldest_ms[region]) / 1000))
        # Every state of the live view (/live), so a state with nobody in it still shows 0.
        by_state = Counter({name: 0 for name in AGENT_STATES})
        for agent in state.agents(state.agent_ids()).values():
            by_state[agent_state(agent)] += 1
        agents = GaugeMetricFamily(
            "hotline_agents", "Agents with a live state, by state", labels=["state"]
        )
        for name in AGENT_STATES:
            agents.add_metric([name], by_state[name])
        return [queue_depth, oldest, agents]

    def _processes(self) -> list[Metric]:
        alive = heartbeats.alive(self.client)
        routers = GaugeMetricFamily(
            "hotline_routers_alive", "Router processes whose heartbeat is fresh"
        )
        routers.add_metric([], alive[heartbeats.ROUTERS])
        workers = GaugeMetricFamily(
            "hotline_workers_alive", "Worker processes (RQ) whose heartbeat is fresh"
        )
        workers.add_metric([], alive[heartbeats.WORKERS])
        return [routers, workers]

    def _jobs(self) -> list[Metric]:
        names = sorted(set(self.rq_queues) | {q.name for q in Queue.all(connection=self.client)})
        failed = GaugeMetricFamily(
            "hotline_rq_jobs_failed", "Jobs in the failed-job registry of a queue", labels=["queue"]
        )
        queued = GaugeMetricFamily(
            "hotline_rq_jobs_queued", "Jobs waiting in a queue for a worker", labels=["queue"]
        )
        scheduled = GaugeMetricFamily(
            "hotline_rq_jobs_scheduled",
            "Jobs scheduled for later (retries, delayed sends) in a queue",
            labels=["queue"],
        )
        for name in names:
            failed.add_metric([name], FailedJobRegistry(name, connection=self.client).count)
            queued.add_metric([name], Queue(name, connection=self.client).count)
            later = ScheduledJobRegistry(  # type: ignore[no-untyped-call]  # rq leaves its __init__ unannotated
                name, connection=self.client
            )
            scheduled.add_metric([name], later.count)
        return [failed, queued, scheduled]
