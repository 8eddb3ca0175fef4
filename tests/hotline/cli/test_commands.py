"""The `hotline` command line: accounts, rota, seed, processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hotline.cli import main
from hotline.models import Agent, Shift, User
from hotline.passwords import verify_password
from hotline.runtime import redis_url


@pytest.fixture
def cli_env(runtime, monkeypatch):
    """Point the CLI at the test database and Redis."""
    env = {
        "DATABASE_URL": runtime.settings.database_url,
        "REDIS_URL": redis_url(runtime.settings),
        "HOTLINE_INSTANCE_DIR": str(runtime.settings.instance_dir),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_users_add_creates_an_agent_with_hashed_password(cli_env, db_session):
    result = run(
        "users", "add", "wanglaw", "--role", "lawyer", "--region", "harbin",
        "--skills", "consultation,legal_aid,1,3", "--contact", "13936000001",
        "--password-stdin", input="a-long-password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db_session.scalars(select(User)).one()
    assert (user.username, user.role) == ("wanglaw", "lawyer")
    assert user.password_hash != "a-long-password"
    assert verify_password(user.password_hash, "a-long-password")
    agent = db_session.scalars(select(Agent)).one()
    assert (agent.home_region, agent.skills, agent.contact) == (
        "harbin",
        ["consultation", "legal_aid", "1", "3"],
        "+8613936000001",
    )


def test_users_add_all_skills_and_browser_client(cli_env, db_session):
    result = run(
        "users", "add", "zhao", "--role", "mediator", "--region", "province",
        "--skills", "all", "--contact", "client:zhao", "--password-stdin",
        input="another-password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    agent = db_session.scalars(select(Agent)).one()
    assert agent.contact == "client:zhao"
    assert agent.skills == [
        "consultation", "legal_aid", "mediation", "notary_forensic", "complaint",
        "1", "2", "3", "4", "5", "6", "7", "9",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--role", "lawyer", "--region", "atlantis", "--skills", "all"], "long-enough-pw",
         "unknown region 'atlantis'"),
        (["--role", "lawyer", "--region", "harbin", "--skills", "divorce"], "long-enough-pw",
         "unknown skill 'divorce'"),
        (["--role", "lawyer", "--region", "harbin", "--skills", "all"], "short", "at least 10"),
        (["--role", "lawyer", "--skills", "all"], "long-enough-pw", "home region"),
        (["--role", "lawyer", "--region", "harbin", "--skills", "all", "--contact", "12"],
         "long-enough-pw", "contact must be"),
    ],
)  # fmt: skip
def test_users_add_refuses_bad_input_and_writes_nothing(
    cli_env, db_session, args, password, message
):
    result = run("users", "add", "bad", *args, "--password-stdin", input=password + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert db_session.scalar(select(func.count()).select_from(User)) == 0


def test_supervisor_needs_no_region(cli_env, db_session):
    result = run(
        "users", "add", "boss", "--role", "supervisor", "--password-stdin", input="boss-password\n"
    )
    assert result.exit_code == 0, result.output
    assert db_session.scalar(select(func.count()).select_from(Agent)) == 0


def test_shifts_add_stores_utc_and_refuses_overlap(cli_env, db_session):
    run(
        "users", "add", "li", "--role", "legal_aid", "--region", "daqing", "--skills", "legal_aid",
        "--password-stdin", input="li-password-123\n",
    )  # fmt: skip
    result = run(
        "shifts",
        "add",
        "li",
        "--start",
        "2026-11-28T08:00+08:00",
        "--end",
        "2026-11-28T20:00+08:00",
    )
    assert result.exit_code == 0, result.output
    assert (
        "li on duty in daqing 2026-11-28 08:00 - 2026-11-28 20:00 (Asia/Shanghai)" in result.output
    )
    shift = db_session.scalars(select(Shift)).one()
    assert shift.starts_at.isoformat() == "2026-11-28T00:00:00+00:00"
    assert shift.ends_at.isoformat() == "2026-11-28T12:00:00+00:00"

    overlap = run(
        "shifts",
        "add",
        "li",
        "--start",
        "2026-11-28T19:00+08:00",
        "--end",
        "2026-11-28T23:00+08:00",
    )
    assert overlap.exit_code == 1
    assert "overlapping" in overlap.output


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-28T08:00", "2026-11-28T20:00+08:00", "give a UTC offset"),
        ("tomorrow", "2026-11-28T20:00+08:00", "not an ISO 8601 time"),
        ("2026-11-28T20:00+08:00", "2026-11-28T08:00+08:00", "end after it starts"),
        ("2026-11-28T08:00+08:00", "2026-11-30T08:00+08:00", "at most 24 hours"),
    ],
)
def test_shifts_add_refuses_bad_times(cli_env, db_session, start, end, message):
    run(
        "users", "add", "li", "--role", "legal_aid", "--region", "daqing", "--skills", "legal_aid",
        "--password-stdin", input="li-password-123\n",
    )  # fmt: skip
    result = run("shifts", "add", "li", "--start", start, "--end", end)
    assert result.exit_code == 1
    assert message in result.output
    assert db_session.scalar(select(func.count()).select_from(Shift)) == 0


def test_shift_for_unknown_user_is_refused(cli_env):
    result = run(
        "shifts",
        "add",
        "ghost",
        "--start",
        "2026-11-28T08:00+08:00",
        "--end",
        "2026-11-28T09:00+08:00",
    )
    assert result.exit_code == 1
    assert "no agent named ghost" in result.output


def test_seed_demo_creates_regions_agents_and_shifts_once(cli_env, db_session):
    result = run("seed", "--demo")
    assert result.exit_code == 0, result.output
    assert "13 regions in config" in result.output
    agents = db_session.scalars(select(Agent)).all()
    assert len(agents) == 30
    regions = {agent.home_region for agent in agents}
    assert len(regions) == 14  # the 13 regions and the province pool
    assert db_session.scalar(select(func.count()).select_from(Shift)) == 30 * 8
    again = run("seed", "--demo")
    assert "nothing created" in again.output
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Agent)) == 30


def _wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_router_starts_and_stops_cleanly(cli_env, runtime):
    process = subprocess.Popen([sys.executable, "-m", "hotline.cli", "router"], env=cli_env)
    key = f"hotline:routers:{os.uname().nodename}:{process.pid}"
    try:
        assert _wait_for(lambda: runtime.redis.exists(key)), "router never announced itself"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert not runtime.redis.exists(key)


def test_worker_runs_a_job_and_stops_cleanly(cli_env, runtime):
    from rq import Queue

    queue = Queue("default", connection=runtime.redis)
    job = queue.enqueue("os.getpid")
    process = subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker"], env=cli_env)
    try:
        assert _wait_for(lambda: job.refresh() or job.get_status() == "finished", timeout=30)
        assert job.return_value() not in (None, os.getpid())
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
