"""Erlang C against published worked examples and independent direct formulas."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from hotline.supervision import erlang


def direct_erlang_c(traffic: int, agents: int) -> Fraction:
    """The textbook formula, exactly, with factorials (small N only)."""
    a = Fraction(traffic)
    top = a**agents / math.factorial(agents) * Fraction(agents, agents - traffic)
    bottom = sum(a**k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


def log_space_erlang_c(traffic: float, agents: int) -> float:
    """The same formula in log space (lgamma + log-sum-exp): an independent large-N check."""
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents)]
    log_top = (
        agents * math.log(traffic) - math.lgamma(agents + 1) + math.log(agents / (agents - traffic))
    )
    peak = max(*logs, log_top)
    total = sum(math.exp(x - peak) for x in logs) + math.exp(log_top - peak)
    return math.exp(log_top - peak) / total


# The classic worked example (e.g. Call Centre Helper, "Erlang C formula – made simple"):
# 100 calls in 30 minutes = 200 calls/h, AHT 180 s -> A = 200 × 180 / 3600 = 10 Erlangs;
# target 80 % answered within 20 s. Published: 14 agents -> Pw 0.1741, SL 88.8 %, ASA 7.8 s,
# occupancy 71.4 %; 14 agents are needed for 80/20.
A, AHT, T = 10, 180, 20


def test_traffic_of_the_example() -> None:
    assert erlang.traffic(200, 180) == pytest.approx(10.0)


@pytest.mark.parametrize("agents", [11, 12, 13, 14, 15, 20, 30])
def test_erlang_c_matches_the_direct_formula(agents: int) -> None:
    assert erlang.erlang_c(A, agents) == pytest.approx(float(direct_erlang_c(A, agents)), rel=1e-12)


def test_the_published_figures_for_14_agents() -> None:
    pw = erlang.erlang_c(A, 14)
    assert round(pw, 4) == 0.1741
    assert pw == pytest.approx(float(direct_erlang_c(A, 14)), rel=1e-12)
    # SL = 1 - Pw · e^(-(N - A) · T / AHT) = 1 - 0.17413 · e^(-4 · 20 / 180) = 0.8884
    assert erlang.service_level(A, 14, T, AHT) == pytest.approx(
        1 - pw * math.exp(-(14 - 10) * 20 / 180)
    )
    assert round(erlang.service_level(A, 14, T, AHT), 3) == 0.888
    # ASA = Pw · AHT / (N - A) = 0.17413 · 180 / 4 = 7.84 s
    assert erlang.asa(A, 14, AHT) == pytest.approx(pw * 180 / 4)
    assert round(erlang.asa(A, 14, AHT), 1) == 7.8
    assert erlang.occupancy(A, 14) == pytest.approx(10 / 14)
    assert round(erlang.occupancy(A, 14), 3) == 0.714
    # 11 agents: the published first step of the same example, Pw 0.6821
    assert round(erlang.erlang_c(A, 11), 4) == 0.6821


def test_agents_needed_for_the_example() -> None:
    needed = erlang.agents_needed(200, 180, 0.8, 20)
    assert needed == 14

    # brute force with the direct formula: 13 agents fall short (79.6 %), 14 meet it (88.8 %)
    def sl(n: int) -> float:
        return 1 - float(direct_erlang_c(A, n)) * math.exp(-(n - A) * T / AHT)

    first_ok = next(n for n in range(A + 1, 40) if sl(n) >= 0.8)
    assert first_ok == needed
    assert sl(13) < 0.8 <= sl(14)
    # an occupancy cap of 70 % needs ceil(10 / 0.7) = 15 agents
    assert erlang.agents_needed(200, 180, 0.8, 20, max_occupancy=0.7) == 15
    # 0 calls need 0 agents
    assert erlang.agents_needed(0, 180, 0.8, 20) == 0
    # a zero target still needs more agents than the traffic (a finite queue)
    assert erlang.agents_needed(200, 180, 0.0, 20) == 11


def test_agents_needed_brute_force_other_cases() -> None:
    for calls_per_hour, aht, target, seconds in [(60, 300, 0.9, 30), (720, 240, 0.8, 20)]:
        load = calls_per_hour * aht / 3600
        needed = erlang.agents_needed(calls_per_hour, aht, target, seconds)
        levels = {
            n: 1 - float(direct_erlang_c(int(load), n)) * math.exp(-(n - load) * seconds / aht)
            for n in range(int(load) + 1, int(load) + 30)
        }
        assert needed == min(n for n, level in levels.items() if level >= target)


def test_erlang_b_recursion() -> None:
    # B(A, N) = (A^N / N!) / sum_{k<=N} A^k / k!
    exact = Fraction(10**14, math.factorial(14)) / sum(
        Fraction(10**k, math.factorial(k)) for k in range(15)
    )
    assert erlang.erlang_b(10, 14) == pytest.approx(float(exact), rel=1e-12)
    assert erlang.erlang_b(5, 0) == 1.0


def test_too_few_agents() -> None:
    for agents in (0, 5, 10):  # agents <= traffic: the queue never empties
        assert erlang.erlang_c(10, agents) == 1.0
        assert erlang.service_level(10, agents, 20, 180) == 0.0
        assert erlang.asa(10, agents, 180) == math.inf
        assert erlang.occupancy(10, agents) == 1.0
    assert erlang.erlang_c(10.5, 10) == 1.0


def test_no_traffic() -> None:
    assert erlang.erlang_c(0, 3) == 0.0
    assert erlang.service_level(0, 3, 20, 180) == 1.0
    assert erlang.asa(0, 3, 180) == 0.0
    assert erlang.occupancy(0, 3) == 0.0


def test_large_numbers_are_stable() -> None:
    pw = erlang.erlang_c(400, 420)
    assert 0.0 <= pw <= 1.0
    assert pw == pytest.approx(log_space_erlang_c(400, 420), rel=1e-9)
    pw500 = erlang.erlang_c(480, 500)
    assert pw500 == pytest.approx(log_space_erlang_c(480, 500), rel=1e-9)
    level = erlang.service_level(400, 420, 20, 180)
    assert 0.0 <= level <= 1.0
    assert erlang.asa(400, 420, 180) == pytest.approx(pw * 180 / 20)
    # 8000 calls/h × 180 s = 400 Erlangs: an answer, with more agents than the traffic
    needed = erlang.agents_needed(8000, 180, 0.8, 20)
    assert needed > 400
    assert erlang.service_level(400, needed, 20, 180) >= 0.8
    assert erlang.service_level(400, needed - 1, 20, 180) < 0.8


def test_more_agents_never_hurt() -> None:
    levels = [erlang.service_level(A, n, T, AHT) for n in range(11, 40)]
    assert levels == sorted(levels)
    waits = [erlang.erlang_c(A, n) for n in range(11, 40)]
    assert waits == sorted(waits, reverse=True)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        erlang.erlang_c(-1, 3)
    with pytest.raises(ValueError):
        erlang.erlang_c(1, -3)
    with pytest.raises(ValueError):
        erlang.erlang_c(1, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        erlang.service_level(1, 3, 20, 0)
    with pytest.raises(ValueError):
        erlang.agents_needed(100, 180, 1.0, 20)
    with pytest.raises(ValueError):
        erlang.agents_needed(100, 180, 0.8, 20, max_occupancy=0)
