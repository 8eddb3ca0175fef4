"""Fixtures of the callbacks tests: jobs on the test runtime, one frozen clock for jobs and app."""

from __future__ import annotations

import pytest

from callbacks.queues import using_runtime
from hotline.clock import ManualClock, using_clock
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
    with using_clock(clock):
        yield clock
