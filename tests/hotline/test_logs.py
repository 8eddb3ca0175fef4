"""Logging is set up once for every process: one format, HOTLINE_LOG_LEVEL, the CallSid on lines."""

from __future__ import annotations

import io
import logging

import pytest
from click.testing import CliRunner

from hotline import logs
from hotline.cli import main
from hotline.web import voice
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import call_params, signed_post


@pytest.fixture
def log_output():
    """What the service's one log handler writes (installed by the app), as text."""
    logs.configure_logging("INFO")
    assert logs._handler is not None
    stream = io.StringIO()
    previous = logs._handler.setStream(stream)
    yield stream
    logs._handler.setStream(previous)
    logs.configure_logging("INFO")


def test_configuring_twice_installs_one_handler_and_sets_the_level():
    logs.configure_logging("WARNING")
    logs.configure_logging("WARNING")
    ours = [h for h in logging.getLogger().handlers if h is logs._handler]
    assert len(ours) == 1
    assert logging.getLogger("hotline").level == logging.WARNING
    assert logging.getLogger("twilio.http_client").level == logging.WARNING
    logs.configure_logging("INFO")
    assert logging.getLogger("hotline").level == logging.INFO


def test_lines_of_a_webhook_carry_its_call_sid_and_others_do_not(client, monkeypatch, log_output):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(voice, "get_or_create_call", broken)
    call_sid = "CA" + "7" * 32
    signed_post(client, "/voice/incoming", call_params(call_sid), AUTH_TOKEN)
    logging.getLogger("hotline.test").warning("after the request")

    lines = log_output.getvalue().splitlines()
    failure = next(line for line in lines if "voice webhook /voice/incoming failed" in line)
    assert f" ERROR hotline.voice call_sid={call_sid}: voice webhook" in failure
    after = next(line for line in lines if line.endswith("after the request"))
    assert " WARNING hotline.test: after the request" in after and "call_sid=" not in after


def test_call_context_names_the_call_within_the_block_only(log_output):
    log = logging.getLogger("hotline.router")
    with logs.call_context("CA123"):
        log.info("offered")
    log.info("idle")
    first, second = log_output.getvalue().splitlines()[-2:]
    assert first.endswith("INFO hotline.router call_sid=CA123: offered")
    assert second.endswith("INFO hotline.router: idle")


def test_every_command_honours_hotline_log_level(runtime, monkeypatch):
    monkeypatch.setenv("HOTLINE_INSTANCE_DIR", str(runtime.settings.instance_dir))
    monkeypatch.setenv("HOTLINE_LOG_LEVEL", "ERROR")
    result = CliRunner().invoke(main, ["classify", "工资被拖欠了三个月"])
    assert result.exit_code == 0, result.output
    assert logging.getLogger("hotline").level == logging.ERROR
    monkeypatch.setenv("HOTLINE_LOG_LEVEL", "LOUD")
    refused = CliRunner().invoke(main, ["classify", "工资"])
    assert refused.exit_code == 2
    assert "HOTLINE_LOG_LEVEL" in refused.output
    logs.configure_logging("INFO")
