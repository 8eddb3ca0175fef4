"""`hotline demo`: a simulated centre through the real app, a local fake Twilio, nothing outside."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest
import requests
from sqlalchemy import create_engine, func, select

from hotline.devtools import local_only
from hotline.models import Call, Consultation, Message
from hotline.settings import REPO_ROOT


def number(output: str, label: str) -> int:
    """The number printed after `label: ` in the demo's summary."""
    return int(re.search(re.escape(label) + r": (\d+)", output).group(1))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Run the demo once for 20 s at a high rate against a fresh instance directory."""
    instance = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "TWILIO_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env["HOTLINE_INSTANCE_DIR"] = str(instance)
    command = [sys.executable, "-m", "hotline.cli", "demo", "--port", str(free_port()),
               "--duration", "20", "--rate", "90", "--speed", "60", "--seed", "7"]  # fmt: skip
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=240, cwd=str(REPO_ROOT)
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    engine = create_engine(f"sqlite:///{instance / 'hotline.sqlite3'}")
    yield done.stdout, engine
    engine.dispose()


def test_calls_are_placed_and_answered_by_demo_agents(demo_run):
    output, engine = demo_run
    with engine.connect() as db:
        calls = db.scalar(select(func.count()).select_from(Call))
        answered = db.execute(
            select(Call.agent_id, Call.talk_seconds, Call.wait_seconds).where(
                Call.outcome == "answered"
            )
        ).all()
        consultations = db.scalar(select(func.count()).select_from(Consultation))
    placed = number(output, "calls placed")
    assert placed >= 15  # 90 a minute for 20 s: about 30
    # A call the app failed before storing it was sent to the fallback (reported, not lost).
    assert placed - number(output, "calls the app sent to its fallback") <= calls <= placed
    assert len(answered) >= 3
    assert all(agent_id is not None for agent_id, _, _ in answered)
    assert any(talk and talk >= 1 for _, talk, _ in answered)
    assert consultations >= 1
    assert "demo agents on duty are available" in output
    assert "/live" in output and "supervisor / demo-password-12348" in output


def test_twilio_requests_went_to_the_local_fake_and_nothing_outside(demo_run):
    output, engine = demo_run
    with engine.connect() as db:
        answered = db.scalar(select(func.count()).where(Call.outcome == "answered"))
        followups = db.scalar(select(func.count()).where(Message.kind == "followup"))
    redirects = number(output, "requests to the fake Twilio API")
    assert redirects >= answered  # every answered call was redirected through the fake
    assert followups >= 1  # the worker ran the consultations' follow-up jobs
    assert "outside connections refused: 0" in output
    assert "call errors: 0" in output


def test_local_only_refuses_outside_hosts_and_allows_loopback():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        local_only.enable()
        try:
            before = local_only.refused()
            with pytest.raises(local_only.OutsideHostRefused):
                socket.create_connection(("192.0.2.1", 80), timeout=1)
            with pytest.raises(requests.ConnectionError):
                requests.get("https://api.twilio.com/2010-04-01", timeout=1)
            socket.create_connection(server.getsockname(), timeout=1).close()
            assert local_only.refused() == before + 2
        finally:
            local_only.disable()
