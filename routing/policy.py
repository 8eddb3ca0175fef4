"""The matching policy: pure functions of the waiting callers, the agents and `now`.

No Redis, no database, no wall clock: a simulation can drive it on a virtual clock.

Callers: priority class first (green channel; callers put back after a missed agent get a
boost), then the longest wait. Agents: the caller's own region first, then neighbours, then the
province pool, then other regions; among equals the longest idle. A caller reaches its own
region at first, neighbours after N seconds, the province pool after M seconds and every region
after K seconds; a skill with nobody on duty in the caller's region goes to the province pool at
once, and a reach with nobody on duty at all widens to the whole province.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from routing.config import RoutingConfig

PROVINCE = "province"
OPERATOR = "operator"

STAGE_HOME = 0
STAGE_NEIGHBOURS = 1
STAGE_PROVINCE = 2
STAGE_ALL = 3
STAGE_NAMES = ("home", "neighbours", "province", "all")

TIER_HOME = 0
TIER_NEIGHBOUR = 1
TIER_POOL = 2
TIER_OTHER = 3


@dataclass(frozen=True)
class Topology:
    """Which regions neighbour which (from config/regions.yaml)."""

    neighbours: Mapping[str, frozenset[str]]

    @classmethod
    def from_pairs(cls, pairs: Mapping[str, Iterable[str]]) -> Topology:
        """Build from region code -> neighbour codes."""
        return cls({code: frozenset(near) for code, near in pairs.items()})

    def of(self, region: str) -> frozenset[str]:
        """The neighbours of a region (none for unknown codes and the province)."""
        return self.neighbours.get(region, frozenset())


@dataclass(frozen=True)
class Waiting:
    """A caller waiting for an agent."""

    call_sid: str
    service: str
    group: str
    region: str
    cls: int  # priority class: priority, plus the boost once an agent missed the call
    enqueued_ms: int
    reach: int = STAGE_HOME  # the widest stage already reached (stages never shrink)
    retry_at_ms: int = 0  # not offered before this time (after a failed redirect)


@dataclass(frozen=True)
class AgentView:
    """An agent on duty now: rota region, skills, chosen status and live state."""

    agent_id: int
    region: str  # the region of the current shift
    skills: frozenset[str]
    status: str  # available / break / offline (the agent's choice)
    paused: bool  # missed an offer; not offered more until they are available again
    live: str  # idle / ringing / talking / wrap_up
    idle_since_ms: int

    @property
    def present(self) -> bool:
        """Logged in (whatever they are doing): counts as covering the region."""
        return self.status != "offline"

    @property
    def ready(self) -> bool:
        """Taking calls (possibly busy with one now)."""
        return self.status == "available" and not self.paused

    @property
    def free(self) -> bool:
        """Can be offered a call right now."""
        return self.ready and self.live == "idle"


@dataclass(frozen=True)
class Match:
    """A caller to offer to an agent."""

    call_sid: str
    agent_id: int
    tier: int
    stage: int


@dataclass
class Plan:
    """What the policy decided for one moment."""

    matches: list[Match] = field(default_factory=list)
    stages: dict[str, int] = field(default_factory=dict)  # CallSid -> reach stage now
    ready_agents: dict[str, int] = field(default_factory=dict)  # CallSid -> agents in reach
    nobody: set[str] = field(default_factory=set)  # callers no ready agent anywhere can take


def skilled(skills: frozenset[str] | set[str], service: str, group: str) -> bool:
    """Whether the skills cover a call's service and group (operator calls: any skill)."""
    if service == OPERATOR:
        return bool(skills)
    return service in skills and (not group or group in skills)


def order_key(caller: Waiting) -> tuple[int, int, str]:
    """Sort key of the queue: higher class first, then the longest wait (then CallSid)."""
    return (-caller.cls, caller.enqueued_ms, caller.call_sid)


def queue_score(cls: int, enqueued_ms: int) -> int:
    """The ZSET score that sorts like order_key (class-major, then the enqueue time)."""
    return enqueued_ms - cls * 10**13


def reach_regions(region: str, stage: int, topology: Topology) -> frozenset[str] | None:
    """The duty regions a caller reaches at a stage; None means every region."""
    if region == PROVINCE or stage >= STAGE_ALL:
        return None
    regions = {region}
    if stage >= STAGE_NEIGHBOURS:
        regions |= topology.of(region)
    if stage >= STAGE_PROVINCE:
        regions.add(PROVINCE)
    return frozenset(regions)


def tier(agent_region: str, caller_region: str, topology: Topology) -> int:
    """How near an agent's duty region is to the caller: home, neighbour, pool, other."""
    if caller_region == PROVINCE:
        return TIER_HOME if agent_region == PROVINCE else TIER_OTHER
    if agent_region == caller_region:
        return TIER_HOME
    if agent_region in topology.of(caller_region):
        return TIER_NEIGHBOUR
    if agent_region == PROVINCE:
        return TIER_POOL
    return TIER_OTHER


def timer_stage(waited_seconds: float, config: RoutingConfig) -> int:
    """The stage a wait of this length reaches by the overflow timers alone."""
    stage = STAGE_HOME
    if waited_seconds >= config.overflow_to_neighbours_after_seconds:
        stage = STAGE_NEIGHBOURS
    if waited_seconds >= config.overflow_to_province_after_seconds:
        stage = STAGE_PROVINCE
    all_after = config.overflow_to_all_regions_after_seconds
    if all_after is not None and waited_seconds >= all_after:
        stage = STAGE_ALL
    return stage


class _Coverage:
    """Who is on duty for a (service, group) in a set of regions, computed once per plan."""

    def __init__(self, agents: list[AgentView]) -> None:
        self.agents = agents
        self._cache: dict[tuple[str, str, frozenset[str] | None], tuple[bool, int, bool]] = {}

    def get(
        self, service: str, group: str, regions: frozenset[str] | None
    ) -> tuple[bool, int, bool]:
        """(anyone present, how many ready, anyone ready in the whole province)."""
        key = (service, group, regions)
        found = self._cache.get(key)
        if found is None:
            present = False
            ready = 0
            ready_anywhere = False
            for agent in self.agents:
                if not skilled(agent.skills, service, group):
                    continue
                ready_anywhere = ready_anywhere or agent.ready
                if regions is None or agent.region in regions:
                    present = present or agent.present
                    ready += agent.ready
            found = (present, ready, ready_anywhere)
            self._cache[key] = found
        return found


def reach_stage(
    caller: Waiting,
    now_ms: int,
    config: RoutingConfig,
    topology: Topology,
    coverage: _Coverage,
) -> int:
    """The stage a caller reaches now: timers, stages already reached, empty reaches skipped."""
    if caller.region == PROVINCE:
        return STAGE_ALL
    waited = max(0.0, (now_ms - caller.enqueued_ms) / 1000)
    stage = max(caller.reach, timer_stage(waited, config))
    if stage < STAGE_PROVINCE:
        home_present, _, _ = coverage.get(caller.service, caller.group, frozenset({caller.region}))
        if not home_present:
            stage = STAGE_PROVINCE
    if stage == STAGE_PROVINCE:
        regions = reach_regions(caller.region, stage, topology)
        if not coverage.get(caller.service, caller.group, regions)[0]:
            stage = STAGE_ALL
    return stage


def plan(
    callers: Iterable[Waiting],
    agents: Iterable[AgentView],
    now_ms: int,
    config: RoutingConfig,
    topology: Topology,
) -> Plan:
    """Decide which waiting callers to offer to which free agents, and every caller's reach."""
    agent_list = list(agents)
    coverage = _Coverage(agent_list)
    free = sorted(
        (agent for agent in agent_list if agent.free),
        key=lambda a: (a.idle_since_ms, a.agent_id),
    )
    result = Plan()
    for caller in sorted(callers, key=order_key):
        stage = reach_stage(caller, now_ms, config, topology, coverage)
        regions = reach_regions(caller.region, stage, topology)
        _, ready, ready_anywhere = coverage.get(caller.service, caller.group, regions)
        result.stages[caller.call_sid] = stage
        result.ready_agents[caller.call_sid] = ready
        if not ready_anywhere:
            result.nobody.add(caller.call_sid)
        if not free or caller.retry_at_ms > now_ms:
            continue
        best: AgentView | None = None
        best_key: tuple[int, int, int] | None = None
        for agent in free:
            if regions is not None and agent.region not in regions:
                continue
            if not skilled(agent.skills, caller.service, caller.group):
                continue
            key = (tier(agent.region, caller.region, topology), agent.idle_since_ms, agent.agent_id)
            if best_key is None or key < best_key:
                best, best_key = agent, key
        if best is not None and best_key is not None:
            free.remove(best)
            result.matches.append(Match(caller.call_sid, best.agent_id, best_key[0], stage))
    return result


def expected_wait_seconds(ahead: int, handle_seconds: float, ready_agents: int) -> int:
    """Expected wait of a caller with `ahead` callers before them, from handle time and staff."""
    agents = max(1, ready_agents)
    return int(math.ceil((ahead + 1) * handle_seconds / agents))


def average_handle_seconds(samples: Iterable[float], default: float) -> float:
    """The mean of recent handle times (talk + wrap-up), or the default without history."""
    values = [value for value in samples if value >= 0]
    return sum(values) / len(values) if values else default
