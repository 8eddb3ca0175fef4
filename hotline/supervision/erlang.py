"""Erlang C staffing: how many agents a target service level needs (DESIGN §6).

Traffic is offered load in Erlangs: A = arrivals per second × average handle time (seconds).
The probability of waiting is computed from the Erlang B recursion

    B(0) = 1,  B(k) = A·B(k-1) / (k + A·B(k-1)),   C(A, N) = N·B(N) / (N - A·(1 - B(N)))

which stays within [0, 1] at every step: no factorials, no powers, no overflow for hundreds of
agents.

Conventions at the edges:
- No traffic (A = 0): nobody waits: C = 0, service level 1, ASA 0, occupancy 0.
- Agents ≤ traffic (N ≤ A, A > 0): the queue grows without bound, so every caller waits:
  C = 1, service level 0, ASA = math.inf, occupancy 1 (agents always busy).
"""

from __future__ import annotations

import math

SECONDS_PER_HOUR = 3600.0
# agents_needed gives up past this many agents beyond the traffic (a target that cannot be met).
_SEARCH_LIMIT = 100_000


def traffic(arrivals_per_hour: float, aht_seconds: float) -> float:
    """Offered load in Erlangs of a call rate and an average handle time."""
    _check_non_negative(arrivals_per_hour=arrivals_per_hour, aht_seconds=aht_seconds)
    return arrivals_per_hour * aht_seconds / SECONDS_PER_HOUR


def erlang_b(traffic_erlangs: float, agents: int) -> float:
    """Erlang B blocking probability, by the stable recursion."""
    _check(traffic_erlangs, agents)
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic_erlangs * blocking / (k + traffic_erlangs * blocking)
    return blocking


def erlang_c(traffic_erlangs: float, agents: int) -> float:
    """Probability that a caller waits (Erlang C); 1.0 if agents ≤ traffic, 0.0 if no traffic."""
    _check(traffic_erlangs, agents)
    if traffic_erlangs == 0:
        return 0.0
    if agents <= traffic_erlangs:
        return 1.0
    blocking = erlang_b(traffic_erlangs, agents)
    value = agents * blocking / (agents - traffic_erlangs * (1.0 - blocking))
    return min(1.0, max(0.0, value))


def service_level(
    traffic_erlangs: float, agents: int, target_seconds: float, aht_seconds: float
) -> float:
    """Share of callers answered within target_seconds; 0.0 when agents ≤ traffic."""
    _check(traffic_erlangs, agents)
    _check_non_negative(target_seconds=target_seconds)
    _check_positive(aht_seconds=aht_seconds)
    if traffic_erlangs == 0:
        return 1.0
    if agents <= traffic_erlangs:
        return 0.0
    waiting = erlang_c(traffic_erlangs, agents)
    decay = math.exp(-(agents - traffic_erlangs) * target_seconds / aht_seconds)
    return min(1.0, max(0.0, 1.0 - waiting * decay))


def asa(traffic_erlangs: float, agents: int, aht_seconds: float) -> float:
    """Average speed of answer in seconds (all callers); math.inf when agents ≤ traffic."""
    _check(traffic_erlangs, agents)
    _check_positive(aht_seconds=aht_seconds)
    if traffic_erlangs == 0:
        return 0.0
    if agents <= traffic_erlangs:
        return math.inf
    return erlang_c(traffic_erlangs, agents) * aht_seconds / (agents - traffic_erlangs)


def occupancy(traffic_erlangs: float, agents: int) -> float:
    """Share of agent time busy with calls: traffic / agents, at most 1.0."""
    _check(traffic_erlangs, agents)
    if traffic_erlangs == 0:
        return 0.0
    if agents <= traffic_erlangs:
        return 1.0
    return traffic_erlangs / agents


def agents_needed(
    arrivals_per_hour: float,
    aht_seconds: float,
    target_service_level: float,
    target_seconds: float,
    max_occupancy: float | None = None,
) -> int:
    """Fewest agents meeting the service-level target (and occupancy cap); 0 calls → 0 agents."""
    _check_non_negative(arrivals_per_hour=arrivals_per_hour, target_seconds=target_seconds)
    _check_positive(aht_seconds=aht_seconds)
    if not 0.0 <= target_service_level < 1.0:
        raise ValueError("target_service_level must be in [0, 1)")
    if max_occupancy is not None and not 0.0 < max_occupancy <= 1.0:
        raise ValueError("max_occupancy must be in (0, 1]")
    if arrivals_per_hour == 0:
        return 0
    load = traffic(arrivals_per_hour, aht_seconds)
    agents = math.floor(load) + 1  # the fewest agents with a finite queue
    if max_occupancy is not None:
        agents = max(agents, math.ceil(load / max_occupancy))
    limit = agents + _SEARCH_LIMIT
    while agents <= limit:
        meets_occupancy = max_occupancy is None or occupancy(load, agents) <= max_occupancy
        if (
            meets_occupancy
            and service_level(load, agents, target_seconds, aht_seconds) >= target_service_level
        ):
            return agents
        agents += 1
    raise ValueError("no number of agents meets this target")  # pragma: no cover


def _check(traffic_erlangs: float, agents: int) -> None:
    _check_non_negative(traffic_erlangs=traffic_erlangs)
    if isinstance(agents, bool) or not isinstance(agents, int) or agents < 0:
        raise ValueError(f"agents must be a whole number ≥ 0, not {agents!r}")


def _check_non_negative(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number ≥ 0, not {value!r}")


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a finite number > 0, not {value!r}")
