"""Benchmark call routing: the atomic reservation in Redis, and a simulated day of the policy.

(a) The real `reserve` + `release` Lua scripts of routing/state.py on synthetic waiting callers
    and idle agents loaded into Redis, timed next to a bare round trip (PING and a trivial EVAL)
    interleaved in the same run: ops/s, p50/p99 in µs and the ratio to the bare round trip.
(b) A day on a virtual clock (1-second ticks) driving the pure `routing.policy.plan(...)`: the 13
    regions of config/regions.yaml, an hourly arrival profile, exponential talk and patience,
    missed offers, a day/night rota and the wrap-up of config/routing.yaml; compared with the
    same day under strict per-region FIFO and one fully pooled FIFO queue, and with the Erlang C
    figures of the pooled busiest hour (hotline/supervision/erlang.py).

The Redis database given by --redis is FLUSHED before and after part (a): use a spare one.

    python benchmarks/routing.py [--redis redis://127.0.0.1:6379/9] [--ops N] [--seed N]
                                 [--calls N] [--markdown] [--skip-redis]
"""

from __future__ import annotations

import argparse
import math
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from hotline import erlang  # noqa: E402
from routing.config import RoutingConfig, load_routing_config  # noqa: E402
from routing.policy import PROVINCE, AgentView, Topology, Waiting, plan  # noqa: E402
from routing.regions import load_regions  # noqa: E402

CONFIG_DIR = REPO_ROOT / "config"
SERVICE = "consultation"
SKILLS = frozenset({SERVICE})

# Calls per hour of the day (relative): low at night, peaks 9-11 and 14-16.
HOURLY_PROFILE = (
    0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 1.0, 2.0, 4.0, 6.5, 7.0, 6.5,
    4.5, 4.5, 6.0, 6.5, 6.0, 4.5, 3.0, 2.5, 2.0, 1.5, 1.0, 0.6,
)  # fmt: skip
# Share of calls by region (roughly by population): Harbin, Qiqihar, Daqing and Suihua lead.
REGION_WEIGHTS = {
    "harbin": 30.0,
    "qiqihar": 12.0,
    "daqing": 11.0,
    "suihua": 9.0,
    "mudanjiang": 7.0,
    "jiamusi": 6.0,
    "jixi": 5.0,
    "shuangyashan": 3.5,
    "heihe": 3.0,
    "hegang": 2.5,
    "yichun": 2.5,
    "qitaihe": 2.5,
    "daxinganling": 1.5,
}
DAY_START_H, NIGHT_START_H = 8, 20  # the demo rota's shifts (hotline/devtools/demo_data.py)
DAY = 86_400


# ----- (a) the reservation against Redis ----------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a list of numbers."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))
    return ordered[index]


def bench_redis(url: str, ops: int, agents: int = 50) -> dict[str, list[float]]:
    """Time reserve, release, PING and a trivial EVAL, interleaved; µs per call."""
    import redis

    from routing.state import CallerState, RoutingState

    client = redis.Redis.from_url(url)
    client.flushdb()
    state = RoutingState(client)
    now = int(time.time() * 1000)
    for agent_id in range(1, agents + 1):
        state.ensure_agent(agent_id, "available", None, now, now)
    regions = list(REGION_WEIGHTS)
    sids = [f"CA{index:032d}" for index in range(ops)]
    for index, sid in enumerate(sids):
        state.enqueue(
            CallerState(
                call_sid=sid,
                call_id=index + 1,
                service=SERVICE,
                group="",
                topic="",
                region=regions[index % len(regions)],
                priority=0,
                cls=0,
                enqueued_ms=now + index,
                repeat_caller=False,
                state="waiting",
                agent_id=None,
                offer_id="",
                reach=0,
                nobody=False,
                ready_agents=0,
                retry_at_ms=0,
            )
        )
    trivial = "return 1"
    client.eval(trivial, 0)
    times: dict[str, list[float]] = {"reserve": [], "release": [], "ping": [], "eval": []}
    clock = time.perf_counter_ns
    warmup = min(200, ops // 10)
    for index, sid in enumerate(sids):
        agent_id = index % agents + 1
        offer = f"offer-{index}"
        t0 = clock()
        client.ping()
        t1 = clock()
        client.eval(trivial, 0)
        t2 = clock()
        outcome = state.reserve(sid, agent_id, offer, now, now + 20_000)
        t3 = clock()
        step = state.release(offer, now, 0, False, 0)
        t4 = clock()
        if outcome != "ok" or step.outcome != "ok":
            raise SystemExit(f"reservation failed: {outcome} / {step.outcome}")
        if index >= warmup:
            times["ping"].append((t1 - t0) / 1000)
            times["eval"].append((t2 - t1) / 1000)
            times["reserve"].append((t3 - t2) / 1000)
            times["release"].append((t4 - t3) / 1000)
    waiting = client.zcard("hotline:queue:harbin")
    if waiting != sum(1 for i in range(ops) if i % len(regions) == 0):
        raise SystemExit("callers were lost from the queues")
    client.flushdb()
    return times


# ----- (b) the simulated day ----------------------------------------------------------------------


@dataclass
class Caller:
    sid: str
    region: str
    arrive: int  # seconds since midnight
    patience: float
    talk: int
    cls: int = 0
    reach: int = 0
    retry_at: int = 0
    answered_at: int | None = None
    abandoned: bool = False
    in_region: bool = False


@dataclass
class Agent:
    agent_id: int
    region: str
    night: bool
    live: str = "idle"  # idle / ringing / talking / wrap_up
    until: int = 0  # end of the ring, talk or wrap-up
    paused_until: int = -1
    idle_since: int = 0
    caller: Caller | None = None

    def on_shift(self, t: int) -> bool:
        hour = (t // 3600) % 24
        day = DAY_START_H <= hour < NIGHT_START_H
        return day != self.night


@dataclass
class Result:
    name: str
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    within: int = 0
    waits: list[int] = field(default_factory=list)
    in_region: int = 0
    missed: int = 0
    plan_calls: int = 0
    peak_answered: int = 0
    peak_within: int = 0
    peak_abandoned: int = 0

    @property
    def service_level(self) -> float:
        return self.within / max(1, self.answered + self.abandoned)

    @property
    def asa(self) -> float:
        return statistics.fmean(self.waits) if self.waits else 0.0

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / max(1, self.answered + self.abandoned)

    @property
    def in_region_share(self) -> float:
        return self.in_region / max(1, self.answered)

    @property
    def peak_service_level(self) -> float:
        return self.peak_within / max(1, self.peak_answered + self.peak_abandoned)


def make_arrivals(rng: random.Random, calls: int) -> list[Caller]:
    """Poisson arrivals with the hourly profile, regions by weight, talk and patience drawn."""
    total = sum(HOURLY_PROFILE)
    regions = list(REGION_WEIGHTS)
    weights = list(REGION_WEIGHTS.values())
    out: list[Caller] = []
    for hour, weight in enumerate(HOURLY_PROFILE):
        rate = calls * weight / total / 3600  # per second
        t = hour * 3600.0
        while True:
            t += rng.expovariate(rate)
            if t >= (hour + 1) * 3600:
                break
            out.append(
                Caller(
                    sid=f"CA{len(out):06d}",
                    region=rng.choices(regions, weights)[0],
                    arrive=int(t),
                    patience=rng.expovariate(1 / 120),
                    talk=max(1, round(rng.expovariate(1 / 360))),
                )
            )
    out.sort(key=lambda c: (c.arrive, c.sid))
    return out


def make_rota(
    codes: list[str], day_per_region: int, night_per_region: int, pool_day: int, pool_night: int
) -> list[Agent]:
    """The demo seed's pattern: regional agents by day and by night, plus province-pool agents."""
    agents: list[Agent] = []
    for code in codes:
        agents += [Agent(0, code, False) for _ in range(day_per_region)]
        agents += [Agent(0, code, True) for _ in range(night_per_region)]
    agents += [Agent(0, PROVINCE, False) for _ in range(pool_day)]
    agents += [Agent(0, PROVINCE, True) for _ in range(pool_night)]
    for index, agent in enumerate(agents):
        agent.agent_id = index + 1
    return agents


def simulate(
    name: str,
    arrivals: list[Caller],
    rota: list[Agent],
    config: RoutingConfig,
    topology: Topology,
    seed: int,
    miss_rate: float,
    pause_seconds: int,
    peak_hour: int,
) -> Result:
    """One day on a 1-second virtual clock; the policy is called whenever someone is free."""
    rng = random.Random(seed)
    callers = [Caller(c.sid, c.region, c.arrive, c.patience, c.talk) for c in arrivals]
    agents = [Agent(a.agent_id, a.region, a.night) for a in rota]
    by_id = {a.agent_id: a for a in agents}
    by_sid = {c.sid: c for c in callers}
    waiting: dict[str, Caller] = {}
    result = Result(name, offered=len(callers))
    wrap = config.wrap_up_seconds
    ring = config.ring_timeout_seconds
    boost = config.requeue_priority_boost
    target = config.service_level_seconds
    next_arrival = 0
    t = 0
    end = DAY + 4 * 3600  # arrivals stop at midnight; the last callers are served or give up

    def count(caller: Caller) -> None:
        in_peak = peak_hour * 3600 <= caller.arrive < (peak_hour + 1) * 3600
        if caller.abandoned:
            result.abandoned += 1
            result.peak_abandoned += in_peak
            return
        wait = caller.answered_at - caller.arrive  # type: ignore[operator]
        result.answered += 1
        result.waits.append(wait)
        result.within += wait <= target
        result.in_region += caller.in_region
        result.peak_answered += in_peak
        result.peak_within += in_peak and wait <= target

    while t < end and (next_arrival < len(callers) or waiting or t < DAY):
        # Agents: rings run out (missed offer), talks end, wrap-ups end.
        for agent in agents:
            if agent.live == "idle" or agent.until > t:
                continue
            if agent.live == "ringing":
                caller = agent.caller
                assert caller is not None
                caller.cls = max(caller.cls, boost)
                waiting[caller.sid] = caller
                agent.live, agent.caller = "idle", None
                agent.paused_until = t + pause_seconds
                agent.idle_since = t
            elif agent.live == "talking":
                agent.live, agent.until, agent.caller = "wrap_up", t + wrap, None
            if agent.live == "wrap_up" and agent.until <= t:
                agent.live, agent.idle_since = "idle", t
        while next_arrival < len(callers) and callers[next_arrival].arrive <= t:
            caller = callers[next_arrival]
            waiting[caller.sid] = caller
            next_arrival += 1
        for caller in [c for c in waiting.values() if t - c.arrive >= c.patience]:
            caller.abandoned = True
            del waiting[caller.sid]
            count(caller)
        free = [a for a in agents if a.live == "idle" and a.paused_until <= t and a.on_shift(t)]
        if waiting and free:
            views = [
                AgentView(
                    agent_id=a.agent_id,
                    region=a.region,
                    skills=SKILLS,
                    status="available" if a.on_shift(t) else "offline",
                    paused=a.paused_until > t,
                    live=a.live,
                    idle_since_ms=a.idle_since * 1000,
                )
                for a in agents
            ]
            queue = [
                Waiting(
                    call_sid=c.sid,
                    service=SERVICE,
                    group="",
                    region=c.region,
                    cls=c.cls,
                    enqueued_ms=c.arrive * 1000,
                    reach=c.reach,
                    retry_at_ms=c.retry_at * 1000,
                )
                for c in waiting.values()
            ]
            decided = plan(queue, views, t * 1000, config, topology)
            result.plan_calls += 1
            for sid, stage in decided.stages.items():
                by_sid[sid].reach = stage
            for match in decided.matches:
                caller = waiting.pop(match.call_sid)
                agent = by_id[match.agent_id]
                agent.caller = caller
                if rng.random() < miss_rate:
                    result.missed += 1
                    agent.live, agent.until = "ringing", t + ring
                    continue
                caller.answered_at = t
                caller.in_region = agent.region == caller.region
                agent.live, agent.until = "talking", t + caller.talk
                count(caller)
        t += 1
    for caller in waiting.values():  # still waiting at the end: counted as abandoned
        caller.abandoned = True
        count(caller)
    return result


def run_day(args: argparse.Namespace) -> tuple[list[Result], dict[str, float]]:
    """The policy, strict per-region FIFO and one pooled FIFO queue on the same day."""
    regions = load_regions(CONFIG_DIR)
    config = load_routing_config(CONFIG_DIR)
    topology = Topology.from_pairs({r.code: r.neighbours for r in regions.regions})
    codes = regions.codes()
    arrivals = make_arrivals(random.Random(args.seed), args.calls)
    rota = make_rota(codes, args.day_per_region, args.night_per_region, 3, 1)
    per_hour = [0] * 24
    for caller in arrivals:
        per_hour[caller.arrive // 3600] += 1
    peak_hour = max(range(24), key=lambda h: per_hour[h])
    strict = config.with_overrides(
        overflow_to_neighbours_after_seconds=10**9,
        overflow_to_province_after_seconds=10**9,
        overflow_to_all_regions_after_seconds=None,
    )
    pooled = config.with_overrides(
        overflow_to_neighbours_after_seconds=0,
        overflow_to_province_after_seconds=0,
        overflow_to_all_regions_after_seconds=0,
    )
    scenarios: list[tuple[str, RoutingConfig, Topology]] = [
        ("policy (config/routing.yaml)", config, topology),
        ("strict per-region FIFO", strict, Topology.from_pairs({})),
        ("pooled FIFO (any agent)", pooled, topology),
    ]
    results = [
        simulate(name, arrivals, rota, cfg, topo, args.seed + 1, 0.03, 60, peak_hour)
        for name, cfg, topo in scenarios
    ]
    aht = 360 + config.wrap_up_seconds
    on_duty = sum(1 for a in rota if a.on_shift(peak_hour * 3600))
    load = erlang.traffic(per_hour[peak_hour], aht)
    target = config.service_level_seconds
    info = {
        "calls": len(arrivals),
        "peak_hour": peak_hour,
        "peak_calls": per_hour[peak_hour],
        "agents": len(rota),
        "on_duty_peak": on_duty,
        "on_duty_night": sum(1 for a in rota if a.on_shift(2 * 3600)),
        "erlangs": load,
        "aht": aht,
        "erlang_sl": erlang.service_level(load, on_duty, target, aht),
        "erlang_asa": erlang.asa(load, on_duty, aht),
        "erlang_pw": erlang.erlang_c(load, on_duty),
        "erlang_needed": erlang.agents_needed(per_hour[peak_hour], aht, 0.8, target),
    }
    return results, info


# ----- output -------------------------------------------------------------------------------------


def summarise(times: dict[str, list[float]]) -> dict[str, tuple[float, float, float]]:
    """(ops/s, p50 µs, p99 µs) of each timed call."""
    out = {}
    for name, values in times.items():
        out[name] = (
            1e6 / statistics.fmean(values),
            percentile(values, 0.5),
            percentile(values, 0.99),
        )
    pair = [a + b for a, b in zip(times["reserve"], times["release"], strict=True)]
    out["reserve+release"] = (
        1e6 / statistics.fmean(pair),
        percentile(pair, 0.5),
        percentile(pair, 0.99),
    )
    return out


def fmt_pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def print_report(
    redis_stats: dict[str, tuple[float, float, float]] | None,
    ops: int,
    results: list[Result],
    info: dict[str, float],
    markdown: bool,
    elapsed: float,
) -> None:
    def table(header: list[str], rows: list[list[str]]) -> None:
        if markdown:
            print("| " + " | ".join(header) + " |")
            print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
            for row in rows:
                print("| " + " | ".join(row) + " |")
        else:
            widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
            for row in [header, *rows]:
                print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))
        print()

    print(f"Python {platform.python_version()}, {platform.machine()}, run took {elapsed:.1f} s")
    print()
    if redis_stats is not None:
        base = redis_stats["ping"][1]
        rows = []
        labels = {
            "reserve": "`reserve` (Lua, EVALSHA)",
            "release": "`release` (Lua, EVALSHA)",
            "reserve+release": "reserve + release",
            "ping": "bare PING",
            "eval": "bare EVAL `return 1`",
        }
        for key in ("reserve", "release", "reserve+release", "ping", "eval"):
            rate, p50, p99 = redis_stats[key]
            rows.append(
                [labels[key], f"{rate:,.0f}", f"{p50:.0f}", f"{p99:.0f}", f"{p50 / base:.2f}×"]
            )
        print(f"(a) Reservation against Redis, {ops:,} reservations + releases (one client):")
        print()
        table(["Call", "ops/s", "p50 µs", "p99 µs", "p50 / PING p50"], rows)
    print(
        f"(b) Simulated day: {info['calls']:,} calls, {info['agents']} agents "
        f"({info['on_duty_peak']} on duty by day, {info['on_duty_night']} by night), "
        f"busiest hour {info['peak_hour']:02d}:00 with {info['peak_calls']} calls:"
    )
    print()
    rows = []
    for r in results:
        rows.append(
            [
                r.name,
                fmt_pct(r.service_level),
                f"{r.asa:.0f} s",
                fmt_pct(r.abandon_rate),
                fmt_pct(r.in_region_share),
                f"{r.answered:,}",
                f"{r.abandoned:,}",
                str(r.missed),
                fmt_pct(r.peak_service_level),
            ]
        )
    asa = info["erlang_asa"]
    rows.append(
        [
            f"Erlang C bound, pooled, busiest hour ({info['erlangs']:.1f} E, "
            f"{info['on_duty_peak']} agents)",
            "—",
            "—",
            "—",
            "—",
            "—",
            "—",
            "—",
            fmt_pct(info["erlang_sl"]) + (" (∞ ASA)" if math.isinf(asa) else f" (ASA {asa:.0f} s)"),
        ]
    )
    table(
        [
            "Routing",
            "SL (≤20 s)",
            "ASA",
            "Abandoned",
            "In-region",
            "Answered",
            "Abandoned (n)",
            "Missed offers",
            "SL busiest hour",
        ],
        rows,
    )
    print(
        f"Erlang C for the busiest hour: {info['erlangs']:.1f} Erlangs (AHT {info['aht']:.0f} s), "
        f"P(wait) {info['erlang_pw']:.2f} with {info['on_duty_peak']} agents; "
        f"80/20 needs {info['erlang_needed']} agents."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9", help="flushed! spare db")
    parser.add_argument("--ops", type=int, default=5000, help="reservations + releases")
    parser.add_argument("--skip-redis", action="store_true", help="only the simulated day")
    parser.add_argument("--seed", type=int, default=12348)
    parser.add_argument("--calls", type=int, default=3000, help="expected calls in the day")
    parser.add_argument("--day-per-region", type=int, default=2)
    parser.add_argument("--night-per-region", type=int, default=1)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    stats = None if args.skip_redis else summarise(bench_redis(args.redis, args.ops))
    results, info = run_day(args)
    print_report(stats, args.ops, results, info, args.markdown, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
