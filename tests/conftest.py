"""Fixtures shared by every test: settings → runtime → app → client, clean DB and Redis."""

from __future__ import annotations

import os
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

import hotline.models  # noqa: F401 - registers every table
from hotline import migrate
from hotline.clock import set_clock
from hotline.db import Base
from hotline.runtime import Runtime, embedded_servers, stop_embedded_servers
from hotline.settings import Settings, load_settings
from hotline.web.app import create_app
from tests.harness.api_contract import AnswerChecks, checking_api_answers
from tests.harness.fixtures import fake_twilio  # noqa: F401 - shared fixture

PUBLIC_URL = "http://localhost"
AUTH_TOKEN = "test-auth-token-0123456789"
# Every process the tests start inherits this mark (daemonized redis-servers too): at the end
# of the session any that is still running was left behind by a test.
SESSION_MARK = "PYTEST_HOTLINE_SESSION"
_process_check: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Mark this session's environment before any test starts a process."""
    os.environ[SESSION_MARK] = secrets.token_hex(8)


def marked_processes(mark: str, workdir: Path | None = None) -> dict[int, str]:
    """The running processes (but this one) of the session: pid -> command.

    Those started with the session mark in their environment, and those working in the
    session's temporary directory: redis-server overwrites its environment with its title.
    """
    found = {}
    wanted = f"{SESSION_MARK}={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            ours = wanted in (entry / "environ").read_bytes().split(b"\0")
            if not ours and workdir is not None:
                ours = (entry / "cwd").resolve().is_relative_to(workdir)
            if not ours:
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # it ended meanwhile, or it is not ours to read
            continue
        found[int(entry.name)] = command.strip()
    return found


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fail the session if a test left a process running: redis-server, hotline worker, router.

    Set up before every other session fixture, so this runs after all of them were torn down.
    What it found is stopped (by pid) after it is reported.
    """
    workdir = tmp_path_factory.getbasetemp().resolve()
    yield
    mark = os.environ[SESSION_MARK]
    servers = embedded_servers()
    left = marked_processes(mark, workdir)
    scanned = sum(1 for entry in Path("/proc").iterdir() if entry.name.isdigit())
    stop_embedded_servers()
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if servers or left:
        lines = [f"embedded redis for {path}" for path in servers]
        lines += [f"pid {pid}: {command}" for pid, command in sorted(left.items())]
        pytest.fail("processes left behind by the tests:\n  " + "\n  ".join(lines))
    _process_check.append(
        f"process check: none of {scanned} running processes was left behind by this session "
        "(no redis-server, hotline worker or router, nor any other process it started)"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say what the process check verified (CI logs show it)."""
    for line in _process_check:
        terminalreporter.write_line(line)


def environment_for_tests(instance_dir: Path) -> dict[str, str]:
    """Environment for the tests: PostgreSQL + Redis when CI names them, else embedded."""
    env = {
        "HOTLINE_ENV": "test",
        "HOTLINE_INSTANCE_DIR": str(instance_dir),
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SECRET_KEY": "test-secret-key-not-for-production",
        # Failed logins are throttled by time; tests that check the throttle set it themselves.
        "HOTLINE_LOGIN_SLOWDOWN": "0",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    """Every test starts and ends on the real clock: a test's own clock never leaks."""
    set_clock(None)
    yield
    set_clock(None)


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the test session (the database is migrated once)."""
    settings = load_settings(environment_for_tests(tmp_path_factory.mktemp("instance")))
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    return settings


@pytest.fixture(scope="session")
def session_runtime(base_settings: Settings) -> Iterator[Runtime]:
    """One engine and Redis client for the whole session."""
    rt = Runtime(base_settings)
    yield rt
    rt.close()
    stop_embedded_servers(base_settings)  # the session's own embedded Redis, if it used one


def _clean_database(rt: Runtime) -> None:
    tables = [table.name for table in Base.metadata.sorted_tables]
    with rt.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def settings(base_settings: Settings, fake_twilio) -> Settings:  # noqa: F811
    """Per-test settings, pointed at this test's fake Twilio API."""
    return base_settings.with_overrides(twilio_api_base_url=fake_twilio.base_url)


@pytest.fixture
def runtime(settings: Settings, session_runtime: Runtime) -> Iterator[Runtime]:
    """A Runtime on a clean database and a clean Redis db, sharing the session's engine."""
    _clean_database(session_runtime)
    session_runtime.redis.flushdb()
    rt = Runtime(settings)
    rt.__dict__["engine"] = session_runtime.engine
    rt.__dict__["redis"] = session_runtime.redis
    yield rt


@pytest.fixture(autouse=True)
def api_answers() -> Iterator[AnswerChecks]:
    """Every /api/ answer of the test is checked against the model its route declares."""
    with checking_api_answers() as checks:
        yield checks


@pytest.fixture
def app(runtime: Runtime):
    """The Flask app under test."""
    application = create_app(runtime=runtime)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def db_session(runtime: Runtime):
    """A database session for arranging and asserting."""
    with runtime.session() as session:
        yield session


@pytest.fixture
def clock(app):
    """The process's clock, set to a weekday morning that is no holiday."""
    from tests.ivr_flows.support import Clock

    ivr_clock = Clock()
    set_clock(ivr_clock)
    return ivr_clock


@pytest.fixture
def caller(app, clock):
    """A TwiML-following test caller on the app, checking every IVR answer's TwiML."""
    from tests.ivr_flows.support import caller_for

    return caller_for(app, AUTH_TOKEN)


@pytest.fixture
def routing_clock(app):
    """A manual clock for the whole process: webhooks, the router and jobs read it."""
    from hotline.clock import ManualClock

    clock = ManualClock()
    set_clock(clock)
    return clock


@pytest.fixture
def router(runtime, routing_clock, fake_twilio):  # noqa: F811
    """The router, run in-process one cycle at a time (router.run_once()) on the manual clock."""
    from callbacks.lifecycle import CallLifecycle
    from hotline.telephony import Telephony
    from routing.router import Router

    credentials = runtime.settings.with_overrides(
        twilio_account_sid=fake_twilio.account_sid, twilio_auth_token=fake_twilio.auth_token
    )
    return Router(runtime, Telephony.from_settings(credentials), CallLifecycle(runtime))


@pytest.fixture
def routing_caller(app):
    """A TwiML-following caller whose dialled agents answer as each test plans."""
    from tests.routing.helpers import RoutingCaller

    return RoutingCaller(app.test_client(), AUTH_TOKEN)
