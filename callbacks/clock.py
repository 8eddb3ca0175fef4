"""The clock the SMS jobs read "now" from; tests and simulations replace it.

Webhooks use the app's clock (app.config["HOTLINE_CLOCK"]) and fall back to this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from hotline.db import utcnow

Clock = Callable[[], datetime]

_clock: Clock = utcnow


def now() -> datetime:
    """The aware UTC "now" of the jobs."""
    return _clock()


@contextmanager
def using_clock(clock: Clock) -> Iterator[Clock]:
    """Run the jobs of this process on another clock (e.g. routing.clock.ManualClock)."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous
