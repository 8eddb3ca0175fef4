"""The chaos run: a whole centre under faults, one at a time, and what each did to the callers.

It starts, all on this machine and all its own:
  - a redis-server on --redis-port (nothing kept on disk) and a private PostgreSQL database
    (default `hotline_chaos`, dropped at the end), migrated and seeded with the demo staff;
  - the fake Twilio API in this process;
  - gunicorn (2 workers x 8 threads), one `hotline worker` and two `hotline router`s;
  - simulated callers (the demo's, through the real signed webhooks) and the demo agents.

Then, after a warm-up, each fault in turn, with callers arriving all along:
  redis       Redis killed (-9) and started again empty 5 s later
  worker      the worker (with its work-horse) killed (-9) the moment Twilio accepted an SMS;
              started again, as a process manager would
  router      one router killed (-9); started again 5 s later (the other one keeps routing)
  twilio      the Twilio API answers 500 to everything for 30 s
  finals      for 30 s, calls end without their final callbacks (no Dial action, no status)
  database    a second web process on a database that does not exist, taking calls for 30 s

For each fault it reports the calls placed while it lasted and how they ended, the calls and
agents still stuck once every caller has hung up, duplicate SMS at the fake API, 5xx answers
to Twilio, and the seconds from the end of the fault until the router offered a caller again.

    .venv/bin/python benchmarks/chaos.py [--rate 40] [--faults redis,worker,...] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import redis
import requests
import yaml
from sqlalchemy import func, select

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from hotline import clock, migrate  # noqa: E402
from hotline.devtools.demo_centre import DemoAgents, DemoCentre, agents_on_duty  # noqa: E402
from hotline.devtools.demo_data import DEMO_PASSWORD, seed_demo  # noqa: E402
from hotline.devtools.fake_twilio import FakeTwilio  # noqa: E402
from hotline.devtools.live_call import LiveCall, Step  # noqa: E402
from hotline.models import Agent, Call, Message  # noqa: E402
from hotline.runtime import Runtime  # noqa: E402
from hotline.settings import load_settings  # noqa: E402
from hotline.taxonomy import load_taxonomy  # noqa: E402
from routing.regions import load_regions  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"
REFUSED_NAMES = {"test", "postgres", "template0", "template1"}
FAULTS = ("redis", "worker", "router", "twilio", "finals", "database")
DOCS = REPO_ROOT / "docs" / "reliability.md"
CONNECT = "/queue/connect"


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Any, timeout: float, what: str) -> None:
    """Poll `check()` until it is true or `timeout` seconds pass (then fail naming `what`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    raise SystemExit(f"chaos: {what} did not come up within {timeout:g} s")


# ----- the services ----------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the run's own that keeps nothing on disk, so a restart comes back empty."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it answers."""
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        wait_for(client.ping, 10, "redis-server")

    def kill(self) -> None:
        """kill -9: everything in it is lost."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    @property
    def url(self) -> str:
        """The REDIS_URL of the run."""
        return f"redis://127.0.0.1:{self.port}/0"


class Processes:
    """gunicorn, the worker and the routers, each started again on demand."""

    def __init__(self, env: dict[str, str], logdir: Path, web_port: int) -> None:
        self.env = env
        self.logdir = logdir
        self.web_port = web_port
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start one named process (web, worker, router1, router2, baddb) in its own group."""
        if name in ("web", "baddb"):
            port = self.web_port if name == "web" else self.web_port + 1
            args = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "8",
                    "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
                    "--access-logformat", '%(s)s %(U)s', "hotline:create_app()"]  # fmt: skip
        else:
            args = [sys.executable, "-m", "hotline.cli", name.rstrip("0123456789")]
        log = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(
            args, env=env or self.env, stdout=log, stderr=log, start_new_session=True
        )
        self.running[name] = process
        return process

    def kill(self, name: str) -> None:
        """kill -9 the process and its children (RQ's work-horse)."""
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def alive(self, name: str) -> bool:
        """Whether the named process still runs."""
        process = self.running.get(name)
        return process is not None and process.poll() is None

    def stop_all(self) -> None:
        """SIGTERM every process, then SIGKILL what is still there after 10 s."""
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.running.clear()


# ----- Twilio, and callers that can lose their final callbacks -------------------------------


class ChaosTwilio(FakeTwilio):
    """The fake Twilio API, plus an outage window and a hook on each accepted SMS."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.down_until = 0.0
        self.on_message: Any = None
        self.connects: list[float] = []
        view = self.app.view_functions["create_message"]

        def create_message(account_sid: str) -> Any:
            answer = view(account_sid)
            hook, self.on_message = self.on_message, None
            if hook is not None:
                hook()  # Twilio has accepted it; the sender dies before it hears so
            return answer

        self.app.view_functions["create_message"] = create_message

    def _before_request(self) -> Any:
        if time.monotonic() < self.down_until:
            with self.lock:
                self._requests.append(_recorded_outage())
            return self._error(500, 20500, "Internal Server Error")
        return super()._before_request()


def _recorded_outage() -> Any:
    from flask import request

    from hotline.devtools.fake_twilio import RecordedRequest

    return RecordedRequest(request.method, request.path, request.form.to_dict(), None)


@dataclass
class Tally:
    """What the run's callers saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    server_errors: Counter[str] = field(default_factory=Counter)
    lose_finals: threading.Event = field(default_factory=threading.Event)
    lost: set[str] = field(default_factory=set)


class ChaosCall(LiveCall):
    """A demo caller that counts 5xx answers and can end without its final callbacks."""

    tally: Tally

    def send(
        self, step: Step, sid: str | None = None, extra: dict[str, str] | None = None
    ) -> requests.Response:
        response = super().send(step, sid, extra)
        if response.status_code >= 500:
            with self.tally.lock:
                self.tally.server_errors[re.sub(r"\?.*", "", step.url)] += 1
        return response

    def _dial(self, verb: Any, doc_url: str) -> Step | None:
        step = super()._dial(verb, doc_url)
        if step is not None and self.tally.lose_finals.is_set() and "DialCallStatus" in step.params:
            with self.tally.lock:
                self.tally.lost.add(self.call_sid)
            return None  # the talk ended and nothing told the app
        return step

    def _status_callback(self) -> None:
        if self.call_sid in self.tally.lost:
            return
        super()._status_callback()


class ChaosCentre(DemoCentre):
    """The demo's centre, placing ChaosCalls, optionally on another web process."""

    def __init__(self, *args: Any, tally: Tally, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tally = tally
        self.target = self.base_url

    def place_call(self) -> LiveCall:
        call = ChaosCall(
            self.target, self.settings.twilio_auth_token, self.settings.twilio_account_sid,
            self.settings.hotline_number, self.plan(), self.agents, self.stop, self._ended,
        )  # fmt: skip
        call.tally = self.tally
        with self.lock:
            self.live[call.call_sid] = call
            self.placed += 1
        thread = threading.Thread(target=call.run, name=f"call-{self.placed}", daemon=True)
        self.threads.append(thread)
        thread.start()
        return call


# ----- one run ---------------------------------------------------------------------------------


@dataclass
class FaultResult:
    """What one fault did."""

    fault: str
    placed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    server_errors: int = 0
    resumed_seconds: float | None = None
    processes_lost: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """The whole run."""

    faults: list[FaultResult]
    stuck_calls: int
    stuck_agents: int
    duplicate_sms: int
    sms_sent: int
    calls: int


def chaos_config(workdir: Path) -> Path:
    """The deployment's config, with SMS that may go at any hour and surveys after 5 s."""
    config_dir = workdir / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir)
    sms_path = config_dir / "sms.yaml"
    sms = yaml.safe_load(sms_path.read_text(encoding="utf-8"))
    sms["quiet_hours"] = {"start": "03:00", "end": "03:01"}  # a minute the run is unlikely in
    sms["survey_delay_seconds"] = 5
    sms_path.write_text(yaml.safe_dump(sms, allow_unicode=True), encoding="utf-8")
    return config_dir


@contextmanager
def private_database(name: str) -> Iterator[str]:
    """A fresh database of the run's own, dropped at the end."""
    if name in REFUSED_NAMES or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing to use the database {name!r}: name a private one")
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(args: argparse.Namespace) -> RunResult:
    """Start the centre, inject the faults in turn, settle, count."""
    workdir = Path(tempfile.mkdtemp(prefix="hotline-chaos-"))
    redis_server = RedisServer(args.redis_port, workdir)
    redis_server.start()
    with private_database(args.database) as database_url:
        fake = ChaosTwilio("AC" + "0" * 32, "chaos-auth-token-0123456789").start()
        web_port = free_port()
        base_url = f"http://127.0.0.1:{web_port}"
        config_dir = chaos_config(workdir)
        env = dict(
            os.environ,
            HOTLINE_ENV="development",
            DATABASE_URL=database_url,
            REDIS_URL=redis_server.url,
            HOTLINE_PUBLIC_URL=base_url,
            TWILIO_API_BASE_URL=fake.base_url,
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=fake.auth_token,
            HOTLINE_INSTANCE_DIR=str(workdir / "instance"),
            HOTLINE_CONFIG_DIR=str(config_dir),
            HOTLINE_LOG_LEVEL="WARNING",
        )
        settings = load_settings(env)
        migrate.upgrade(settings.database_url)
        rt = Runtime(settings)
        with rt.session() as session:
            seed_demo(
                session, load_regions(settings.config_dir), load_taxonomy(settings.config_dir),
                clock.now(),
            )  # fmt: skip
            session.commit()
            on_duty = agents_on_duty(session, clock.now())
        processes = Processes(env, workdir, web_port)
        try:
            for name in ("web", "worker", "router1", "router2"):
                processes.start(name)
            wait_for(lambda: requests.get(f"{base_url}/readyz", timeout=2).ok, 30, "gunicorn")
            return _run_faults(args, rt, fake, processes, redis_server, base_url, on_duty, env)
        finally:
            processes.stop_all()
            fake.stop()
            rt.close()
            redis_server.kill()
            shutil.rmtree(workdir, ignore_errors=True)


def _run_faults(
    args: argparse.Namespace,
    rt: Runtime,
    fake: ChaosTwilio,
    processes: Processes,
    redis_server: RedisServer,
    base_url: str,
    on_duty: list[Any],
    env: dict[str, str],
) -> RunResult:
    agents = DemoAgents(base_url, on_duty, DEMO_PASSWORD, args.seed)
    agents.sign_in()
    tally = Tally()
    settings = rt.settings.with_overrides(public_url=base_url)
    regions = load_regions(settings.config_dir)
    centre = ChaosCentre(
        base_url, settings, fake, agents, regions, args.rate, args.speed, args.seed, tally=tally
    )
    fake.call_listener = _listening(fake, centre)
    feeder = threading.Thread(target=centre.run, args=(None,), daemon=True)
    feeder.start()
    time.sleep(args.warmup)
    results = []
    for fault in args.faults:
        results.append(_inject(fault, args, fake, processes, redis_server, centre, tally, env))
        time.sleep(args.settle)
    centre.finish(timeout=60)
    time.sleep(args.drain)  # what can settle by itself has settled
    return _count(rt, fake, results, centre)


def _listening(fake: ChaosTwilio, centre: DemoCentre) -> Any:
    forward = fake.call_listener

    def listener(call_sid: str, form: dict[str, str]) -> None:
        if CONNECT in form.get("Url", ""):
            fake.connects.append(time.monotonic())
        if forward is not None:
            forward(call_sid, form)

    return listener


def _inject(
    fault: str,
    args: argparse.Namespace,
    fake: ChaosTwilio,
    processes: Processes,
    redis_server: RedisServer,
    centre: ChaosCentre,
    tally: Tally,
    env: dict[str, str],
) -> FaultResult:
    result = FaultResult(fault)
    placed_before = centre.placed
    outcomes_before = Counter(centre.outcomes)
    errors_before = sum(tally.server_errors.values())
    print(f"chaos: {fault} ...", flush=True)
    if fault == "redis":
        redis_server.kill()
        time.sleep(5)
        redis_server.start()
    elif fault == "worker":
        fired = threading.Event()
        fake.on_message = lambda: (processes.kill("worker"), fired.set())
        fired.wait(args.window)
        if not fired.is_set():
            fake.on_message = None
            print("chaos: no SMS was sent while the worker fault was armed", flush=True)
        else:
            processes.start("worker")
    elif fault == "router":
        processes.kill("router1")
        time.sleep(5)
        processes.start("router1")
    elif fault == "twilio":
        fake.down_until = time.monotonic() + args.window
        time.sleep(args.window)
    elif fault == "finals":
        tally.lose_finals.set()
        time.sleep(args.window)
        tally.lose_finals.clear()
    elif fault == "database":
        bad_url = f"http://127.0.0.1:{processes.web_port + 1}"
        bad = dict(
            env, DATABASE_URL=env["DATABASE_URL"] + "_does_not_exist", HOTLINE_PUBLIC_URL=bad_url
        )
        processes.start("baddb", env=bad)
        wait_for(lambda: requests.get(f"{bad_url}/healthz", timeout=2).ok, 30, "the bad web")
        centre.target = bad_url
        time.sleep(args.window)
        centre.target = centre.base_url
        processes.kill("baddb")
    ended = time.monotonic()
    result.resumed_seconds = _resumed(fake, ended, args.settle)
    result.placed = centre.placed - placed_before
    result.outcomes = dict(Counter(centre.outcomes) - outcomes_before)
    result.server_errors = sum(tally.server_errors.values()) - errors_before
    result.processes_lost = [
        name for name in ("web", "worker", "router1", "router2") if not processes.alive(name)
    ]
    for name in result.processes_lost:
        processes.start(name)  # the run goes on; the table says it happened
    return result


def _resumed(fake: ChaosTwilio, since: float, within: float) -> float | None:
    """Seconds from `since` to the next offer the routers made, waiting at most `within`."""
    deadline = since + within
    while time.monotonic() < deadline:
        later = [moment for moment in list(fake.connects) if moment >= since]
        if later:
            return round(min(later) - since, 1)
        time.sleep(0.2)
    return None


def _count(rt: Runtime, fake: ChaosTwilio, faults: list[FaultResult], centre: Any) -> RunResult:
    with fake.lock:
        sent = list(fake.messages.values())  # the messages Twilio accepted
    bodies = Counter((message["to"], message["body"]) for message in sent)
    with rt.session() as session:
        stored = Counter(
            session.execute(
                select(Message.to_number, Message.body).where(Message.twilio_sid.is_not(None))
            ).tuples()
        )
        stuck_calls = session.scalar(select(func.count()).where(Call.stage != "ended")) or 0
        calls = session.scalar(select(func.count()).select_from(Call)) or 0
        agents = session.scalars(select(Agent.id)).all()
    # A message the app holds once but Twilio received more than once was sent twice.
    duplicates = sum(max(0, count - stored.get(key, 0)) for key, count in bodies.items())
    live = [_agent_live(rt, agent_id) for agent_id in agents]
    stuck_agents = sum(1 for state in live if state in ("ringing", "talking"))
    return RunResult(faults, stuck_calls, stuck_agents, duplicates, len(sent), calls)


def _agent_live(rt: Runtime, agent_id: int) -> str:
    value = rt.redis.hget(f"hotline:agent:{agent_id}", "live")
    return value.decode() if isinstance(value, bytes) else str(value or "")


# ----- output ----------------------------------------------------------------------------------


def table(result: RunResult) -> list[str]:
    """The results as a Markdown table and a summary line."""
    lines = [
        "| fault | calls placed | answered | voicemail / call-back | abandoned | 5xx to Twilio "
        "| routing resumed after (s) | processes lost |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for fault in result.faults:
        outcomes = fault.outcomes
        kept = outcomes.get("voicemail", 0) + outcomes.get("callback", 0)
        resumed = "—" if fault.resumed_seconds is None else f"{fault.resumed_seconds:g}"
        lines.append(
            f"| {fault.fault} | {fault.placed} | {outcomes.get('answered', 0)} | {kept} "
            f"| {outcomes.get('abandoned', 0)} | {fault.server_errors} | {resumed} "
            f"| {', '.join(fault.processes_lost) or 'none'} |"
        )
    lines.append("")
    lines.append(
        f"After the run: {result.calls} calls, {result.stuck_calls} not ended, "
        f"{result.stuck_agents} agents still ringing or talking; {result.sms_sent} SMS at the "
        f"fake API, {result.duplicate_sms} of them duplicates."
    )
    return lines


def main() -> None:
    """Run the chaos run and print its table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=40.0, help="calls per minute")
    parser.add_argument("--speed", type=float, default=30.0, help="talks this many times faster")
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma-separated, in order")
    parser.add_argument("--window", type=float, default=30.0, help="seconds a fault lasts")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before the first")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds after each fault")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds after the last call")
    parser.add_argument("--seed", type=int, default=12348)
    parser.add_argument("--redis-port", type=int, default=6398)
    parser.add_argument("--database", default="hotline_chaos")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = parser.parse_args()
    args.faults = [name for name in args.faults.split(",") if name]
    unknown = sorted(set(args.faults) - set(FAULTS))
    if unknown:
        raise SystemExit(f"unknown fault {unknown[0]!r}; choose from {', '.join(FAULTS)}")
    result = run(args)
    if args.json:
        print(json.dumps(asdict(result), ensure_ascii=False, indent=2))
    else:
        print("\n".join(table(result)))


if __name__ == "__main__":
    main()
