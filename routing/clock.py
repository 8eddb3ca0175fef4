"""Clocks: a callable returning the aware UTC "now"; tests and simulations drive their own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hotline.db import utcnow

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time (UTC)."""
    return utcnow()


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, as the routing state stores times."""
    return int(moment.timestamp() * 1000)


def from_ms(ms: int | float) -> datetime:
    """The aware UTC time of an epoch-milliseconds value."""
    return datetime.fromtimestamp(ms / 1000, UTC)


class ManualClock:
    """A clock that moves only when told (tests, simulations on a virtual clock)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward; return the new time."""
        self.now = self.now + timedelta(seconds=seconds)
        return self.now

    def set(self, moment: datetime) -> None:
        """Jump to a time."""
        self.now = moment
