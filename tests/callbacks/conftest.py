"""Fixtures of the callbacks tests: jobs on the test runtime, one frozen clock for jobs and app."""

from __future__ import annotations

import pytest

from callbacks.clock import using_clock
from callbacks.job_runtime import using_runtime
from routing.clock import ManualClock
from tests.callbacks.sms.sms_support import MORNING


@pytest.fixture
def jobs_runtime(runtime, fake_twilio):
    """Jobs of this process use the test runtime; the fake API accepts its auth token."""
    # The shared fake expects the development token, the test settings carry another one.
    previous, fake_twilio.auth_token = fake_twilio.auth_token, runtime.settings.twilio_auth_token
    try:
        with using_runtime(runtime):
            yield runtime
    finally:
        fake_twilio.auth_token = previous


@pytest.fixture
def sms_clock(app):
    """A manual clock (10:00 Shanghai on a working Thursday) read by the jobs and the webhooks."""
    clock = ManualClock(MORNING)
    app.config["HOTLINE_CLOCK"] = clock
    with using_clock(clock):
        yield clock
