"""A year of generated calls for benchmarks/metrics.py, loaded into PostgreSQL with COPY.

About 2,740 calls a day over the days before `end` (an hourly profile, fewer at weekends),
regions by population, the service mix of a provincial centre, and outcomes: answered (with
offered, answered, talk_ended and wrap_up_done events, a few requeued or overflowed first),
abandoned, short abandons, call-backs, voicemail and IVR hang-ups. A share of the answered calls
is rated in the IVR or by SMS. Rows carry explicit ids; the sequences are moved past them.
"""

from __future__ import annotations

import importlib.util
import io
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from hotline.times import SHANGHAI

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_routing", HERE / "routing.py")
bench_routing = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["bench_routing"] = bench_routing  # dataclasses look their module up
_spec.loader.exec_module(bench_routing)  # type: ignore[union-attr]
HOURLY_PROFILE = bench_routing.HOURLY_PROFILE
REGION_WEIGHTS = bench_routing.REGION_WEIGHTS
percentile = bench_routing.percentile

CALLS_PER_DAY = 2740
CALLERS_SHARE = 0.45  # distinct numbers per call: the rest are repeat callers
SERVICES = (("consultation", 0.62), ("legal_aid", 0.14), ("mediation", 0.11),
            ("notary_forensic", 0.06), ("complaint", 0.07))  # fmt: skip
GROUP_TOPICS = (("1", "婚姻家庭"), ("2", "劳动纠纷"), ("3", "合同纠纷"), ("3", "债权债务"),
                ("4", "房产纠纷"), ("5", "交通事故"), ("6", "刑事辩护"), ("7", "公司法"),
                ("9", "综合咨询"))  # fmt: skip
OUTCOMES = (("answered", 0.78), ("abandoned", 0.11), ("short", 0.04), ("callback", 0.03),
            ("voicemail", 0.01), ("ivr_hangup", 0.03))  # fmt: skip
RATINGS = ((5, 0.62), (4, 0.22), (3, 0.07), (2, 0.04), (1, 0.05))
WRAP_SECONDS = 60
CALL_COLUMNS = ("id", "call_sid", "direction", "caller_id", "from_number", "to_number", "service",
                "topic", '"group"', "region", "priority", "repeat_caller", "stage", "outcome",
                "hangup_stage", "agent_id", "started_at", "queued_at", "answered_at", "ended_at",
                "wait_seconds", "talk_seconds")  # fmt: skip
EVENT_COLUMNS = ("id", "call_id", "at", "kind", "data")
SURVEY_COLUMNS = ("id", "call_id", "caller_id", "agent_id", "region", "channel", "rating",
                  "comment", "created_at", "rated_at")  # fmt: skip
CALLER_COLUMNS = ("id", "phone", "region", "green_channel", "note", "first_seen_at")


@dataclass
class Generated:
    """Row counts of what was loaded."""

    calls: int = 0
    events: int = 0
    surveys: int = 0
    callers: int = 0


def _pick(rng: random.Random, choices: tuple) -> str:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def _ts(moment: datetime) -> str:
    return moment.isoformat()


def _line(values: tuple) -> str:
    cells = (
        "\\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ") for v in values
    )
    return "\t".join(cells) + "\n"


def arrival_times(rng: random.Random, calls: int, end: datetime) -> Iterator[datetime]:
    """`calls` arrival times over whole days ending at `end`, oldest first."""
    days = max(1, round(calls / CALLS_PER_DAY))
    weights = [0.7 if (end - timedelta(days=d)).weekday() >= 5 else 1.0 for d in range(days)]
    per_day = [round(calls * w / sum(weights)) for w in weights]
    per_day[0] += calls - sum(per_day)
    hours = list(range(24))
    for back in range(days - 1, -1, -1):
        local = (end - timedelta(days=back)).astimezone(SHANGHAI)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        stamps = []
        for _ in range(per_day[back]):
            hour = rng.choices(hours, weights=HOURLY_PROFILE)[0]
            stamps.append(day_start + timedelta(hours=hour, seconds=rng.uniform(0, 3600)))
        stamps.sort()
        # The last day ends at `end` ("now"): its later arrivals move into the earlier hours.
        yield from (s if s < end else day_start + (s - day_start) * 0.6 for s in stamps)


class Writer:
    """Builds the TSV rows of calls, events and surveys; flushes them with COPY."""

    def __init__(self, conn: psycopg.Connection, rng: random.Random, agents: list[int]) -> None:
        self.conn = conn
        self.rng = rng
        self.agents = agents
        self.buffers = {name: io.StringIO() for name in ("calls", "call_events", "surveys")}
        self.counts = Generated()

    def event(self, call_id: int, at: datetime, kind: str, **data: object) -> None:
        self.counts.events += 1
        row = (self.counts.events, call_id, _ts(at), kind, json.dumps(data))
        self.buffers["call_events"].write(_line(row))

    def call(self, call_id: int, arrived: datetime, caller: tuple[int, str, str]) -> None:
        """One call with its events (and survey)."""
        rng = self.rng
        caller_id, phone, region = caller
        service = _pick(rng, SERVICES)
        group, topic = rng.choice(GROUP_TOPICS)
        outcome = _pick(rng, OUTCOMES)
        self.event(call_id, arrived, "incoming")
        queued = arrived + timedelta(seconds=rng.uniform(25, 70))
        row = dict(stage="ended", outcome=None, hangup=None, agent=None, queued=None,
                   answered=None, wait=None, talk=None)  # fmt: skip
        if outcome == "ivr_hangup":
            ended = queued
            row.update(outcome="ivr_hangup", hangup="ivr")
        else:
            row["queued"] = queued
            self.event(call_id, queued, "enqueued", region=region, service=service)
            ended = self._queue_outcome(call_id, outcome, queued, region, row)
        values = (call_id, f"CA{call_id:032x}", "inbound", caller_id, phone, "+8645112348",
                  service, topic, group, region, 0, caller_id % 3 == 0, row["stage"],
                  row["outcome"], row["hangup"], row["agent"], _ts(arrived),
                  row["queued"] and _ts(row["queued"]), row["answered"] and _ts(row["answered"]),
                  _ts(ended), row["wait"], row["talk"])  # fmt: skip
        self.buffers["calls"].write(_line(values))
        self.counts.calls += 1
        if outcome == "answered" and rng.random() < 0.5:
            self._survey(call_id, caller_id, row["agent"], region, ended)

    def _queue_outcome(
        self, call_id: int, outcome: str, queued: datetime, region: str, row: dict
    ) -> datetime:
        rng = self.rng
        if outcome == "answered":
            wait = min(900.0, rng.expovariate(1 / 28))
            agent = rng.choice(self.agents)
            answered = queued + timedelta(seconds=wait)
            if rng.random() < 0.06:
                missed = answered - timedelta(seconds=min(wait, 25))
                self.event(call_id, missed, "offered", agent_id=rng.choice(self.agents))
                self.event(call_id, missed + timedelta(seconds=20), "requeued", head=True)
            if wait > 60 and rng.random() < 0.5:
                self.event(call_id, queued + timedelta(seconds=60), "overflow", reach="neighbours")
            self.event(call_id, answered - timedelta(seconds=4), "offered", agent_id=agent)
            self.event(call_id, answered, "answered", agent_id=agent, wait_seconds=int(wait))
            talk = int(max(30.0, rng.lognormvariate(5.75, 0.5)))
            talk_end = answered + timedelta(seconds=talk)
            self.event(call_id, talk_end, "talk_ended", agent_id=agent, talk_seconds=talk)
            wrap_end = talk_end + timedelta(seconds=WRAP_SECONDS)
            self.event(call_id, wrap_end, "wrap_up_done", agent_id=agent)
            row.update(outcome="answered", agent=agent, answered=answered, wait=int(wait),
                       talk=talk)  # fmt: skip
            return talk_end
        if outcome == "short":
            wait = rng.uniform(0, 4.9)
        else:
            wait = 5 + rng.expovariate(1 / 70)
        ended = queued + timedelta(seconds=wait)
        if outcome == "callback":
            self.event(call_id, ended, "callback_requested", source="queue")
            row.update(outcome="callback")
        elif outcome == "voicemail":
            self.event(call_id, ended, "voicemail_recorded")
            row.update(outcome="voicemail")
        else:
            row.update(outcome="abandoned", hangup="queue")
        row["wait"] = int(wait)
        return ended

    def _survey(self, call_id: int, caller_id: int, agent: int, region: str, at: datetime) -> None:
        rng = self.rng
        channel = "ivr" if rng.random() < 0.8 else "sms"
        delay = (
            timedelta(seconds=20) if channel == "ivr" else timedelta(minutes=rng.uniform(5, 600))
        )
        rating = _pick(rng, RATINGS)
        self.counts.surveys += 1
        values = (self.counts.surveys, call_id, caller_id, agent, region, channel, rating, "",
                  _ts(at), _ts(at + delay))  # fmt: skip
        self.buffers["surveys"].write(_line(values))

    def flush(self) -> None:
        """COPY the buffered rows."""
        columns = {"calls": CALL_COLUMNS, "call_events": EVENT_COLUMNS, "surveys": SURVEY_COLUMNS}
        with self.conn.cursor() as cursor:
            for table, buffer in self.buffers.items():
                with cursor.copy(f"COPY {table} ({', '.join(columns[table])}) FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()


def load_callers(
    conn: psycopg.Connection, rng: random.Random, count: int, regions: dict[str, str]
) -> list[tuple[int, str, str]]:
    """Distinct caller numbers (landlines of each region, by population); their rows."""
    codes = list(REGION_WEIGHTS)
    callers = []
    seen: set[str] = set()
    while len(callers) < count:
        region = rng.choices(codes, weights=list(REGION_WEIGHTS.values()))[0]
        phone = f"+86{regions[region].lstrip('0')}{rng.randint(20000000, 89999999)}"
        if phone not in seen:
            seen.add(phone)
            callers.append((len(callers) + 1, phone, region))
    first_seen = _ts(datetime(2020, 1, 1, tzinfo=UTC))
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY callers ({', '.join(CALLER_COLUMNS)}) FROM STDIN") as copy:
            for caller_id, phone, region in callers:
                copy.write(_line((caller_id, phone, region, False, "", first_seen)))
    return callers


def generate(
    conn: psycopg.Connection, calls: int, end: datetime, agents: list[int], regions: dict[str, str]
) -> Generated:
    """Load `calls` calls ending at `end` (with callers, events, surveys); move the sequences."""
    rng = random.Random(12348)
    callers = load_callers(conn, rng, max(1, int(calls * CALLERS_SHARE)), regions)
    writer = Writer(conn, rng, agents)
    writer.counts.callers = len(callers)
    for call_id, arrived in enumerate(arrival_times(rng, calls, end), start=1):
        writer.call(call_id, arrived, rng.choice(callers))
        if call_id % 50_000 == 0:
            writer.flush()
    writer.flush()
    for table in ("callers", "calls", "call_events", "surveys"):
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
    conn.commit()
    conn.execute("ANALYZE")
    return writer.counts
