"""The one clock of every process: "now" is the real time, or a clock a test or simulation set.

Every package reads the time through `now()`. Tests and simulations replace the clock for the
whole process with `set_clock` (or `using_clock` for a block); web requests, jobs, the router
and the models' column defaults then all see the same time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, UTC-aware."""
    return datetime.now(UTC)


_clock: Clock = system_clock


def now() -> datetime:
    """The current time (UTC-aware) of the clock in use."""
    return _clock()


def set_clock(clock: Clock | None) -> None:
    """Use another clock for the whole process from now on (None: the real time again)."""
    global _clock
    _clock = clock or system_clock


@contextmanager
def using_clock(clock: Clock) -> Iterator[Clock]:
    """Use another clock within a block, then the previous one again."""
    previous = _clock
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


class ManualClock:
    """A clock that moves only when told (tests, simulations on a virtual clock)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or system_clock()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward; return the new time."""
        self.now = self.now + timedelta(seconds=seconds)
        return self.now

    def set(self, moment: datetime) -> None:
        """Jump to a time."""
        self.now = moment


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch (the unit of the live routing state in Redis)."""
    return int(moment.timestamp() * 1000)


def from_ms(ms: int | float) -> datetime:
    """The UTC-aware time of an epoch-milliseconds value."""
    return datetime.fromtimestamp(ms / 1000, UTC)
