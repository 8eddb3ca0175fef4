"""`hotline simulate`: a call from the terminal against the real app, in process."""

from __future__ import annotations

from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline.cli import main
from hotline.cli.simulate import run_simulation
from hotline.models import Call
from hotline.runtime import redis_url

WEDNESDAY = datetime.fromisoformat("2026-03-11T10:00:00+08:00")


def scripted(lines: list[str]):
    """A person at the terminal typing these lines, then closing the input (hanging up)."""
    pending = list(lines)
    prompts: list[str] = []

    def read(prompt: str) -> str | None:
        prompts.append(prompt)
        return pending.pop(0) if pending else None

    return read, prompts


def test_simulated_call_with_keys_and_speech_reaches_the_queue(app, db_session):
    read, prompts = scripted(["1", "1", "4", "0451"])
    out: list[str] = []
    call = run_simulation(app, read, out.append, "+8616600001111", at=WEDNESDAY)

    assert call.ended == "queued in hotline-harbin"
    assert out[0] == "calling 12348 from +8616600001111 at 2026-03-11T10:00:00+08:00"
    assert "  IVR: 您好，欢迎致电12348公共法律服务热线。" in out
    assert prompts[:2] == ["[keys; empty = silence] > ", "[keys or speech; empty = silence] > "]
    assert "-> queued in hotline-harbin" in out
    summary = next(line for line in out if line.startswith(f"call {call.call_sid}"))
    assert "service=consultation group=4 topic=综合咨询 region=harbin" in summary
    assert "  event ivr group_menu:chosen" in out
    row = db_session.scalars(select(Call).where(Call.call_sid == call.call_sid)).one()
    assert (row.stage, row.hangup_stage) == ("ended", "queued")  # the simulation hangs up


def test_simulated_caller_can_stay_silent_and_hang_up(app, db_session):
    read, _ = scripted(["", ""])
    out: list[str] = []
    call = run_simulation(app, read, out.append, "+8645188886666", at=WEDNESDAY)

    assert call.ended == "the caller hung up"
    assert out.count("  IVR: 没有听到您的选择。") == 2
    row = db_session.scalars(select(Call).where(Call.call_sid == call.call_sid)).one()
    assert (row.stage, row.hangup_stage, row.outcome) == ("ended", "ivr", "ivr_hangup")


def test_simulated_speech_goes_to_the_speech_prompt(app):
    app.config["HOTLINE_CLASSIFIER"] = type(
        "Stub", (), {"classify": lambda self, text: type("C", (), {
            "topic": "婚姻家庭", "group": "1", "confidence": 0.9})()}
    )()  # fmt: skip
    read, _ = scripted(["2", "我要离婚"])
    out: list[str] = []
    call = run_simulation(app, read, out.append, "+8645188886666", at=WEDNESDAY)

    assert call.ended == "queued in hotline-harbin"
    assert "  IVR: 好的，婚姻家庭问题。" in out


@pytest.fixture
def cli_env(runtime, monkeypatch):
    """Point the CLI at the test database and Redis."""
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("REDIS_URL", redis_url(runtime.settings))
    monkeypatch.setenv("HOTLINE_INSTANCE_DIR", str(runtime.settings.instance_dir))


def test_simulate_command_places_a_call(cli_env, db_session):
    result = CliRunner().invoke(
        main, ["simulate", "--from", "+8645188886666", "--at", "2026-03-11T10:00"], input="5\n"
    )

    assert result.exit_code == 0, result.output
    assert "calling 12348 from +8645188886666 at 2026-03-11T10:00:00+08:00" in result.output
    assert "-> queued in hotline-harbin" in result.output
    row = db_session.scalars(select(Call)).one()
    assert (row.service, row.region, row.from_number) == ("complaint", "harbin", "+8645188886666")


def test_simulate_refuses_a_bad_time(cli_env):
    result = CliRunner().invoke(main, ["simulate", "--at", "tomorrow"])
    assert result.exit_code == 2
    assert "use ISO 8601" in result.output
