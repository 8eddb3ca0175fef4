"""Pytest fixtures of the harness; import them into a conftest.py or a test module."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator

import pytest

from tests.harness.fake_twilio import FakeTwilio

_shared: FakeTwilio | None = None
_shared_lock = threading.Lock()


def shared_fake_twilio() -> FakeTwilio:
    """The one FakeTwilio server of this test process, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FakeTwilio().start()
            atexit.register(_shared.stop)
        return _shared


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A running fake Twilio API (dev account SID and token), fresh for each test."""
    fake = shared_fake_twilio()
    fake.reset()
    yield fake
    fake.reset()
