"""When an SMS may go: quiet hours (Asia/Shanghai) and a per-number rate limit in Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import redis

from callbacks.sms.config import SmsConfig
from hotline.times import SHANGHAI, to_local

RATE_KEY = "hotline:sms:rate:{number}:{window}"


def quiet_until(moment: datetime, config: SmsConfig) -> datetime | None:
    """The end (aware UTC) of the quiet hours `moment` falls in, or None outside them."""
    start, end = config.quiet_start, config.quiet_end
    local = to_local(moment)
    clock = local.time()
    if start == end:
        return None
    if start > end:  # e.g. 21:00-08:00, across midnight
        if clock >= start:
            day = local.date() + timedelta(days=1)
        elif clock < end:
            day = local.date()
        else:
            return None
    elif start <= clock < end:
        day = local.date()
    else:
        return None
    return datetime.combine(day, end, tzinfo=SHANGHAI).astimezone(UTC)


def earliest_send(moment: datetime, config: SmsConfig) -> datetime:
    """`moment`, or the end of the quiet hours it falls in."""
    return quiet_until(moment, config) or moment


def take_send_slot(
    client: redis.Redis, number: str, moment: datetime, config: SmsConfig
) -> datetime | None:
    """Count one SMS to `number` at `moment`: None if within the limit, else when to try again.

    Windows are fixed (window_seconds long, aligned to the epoch); a refused message does not
    count, so it takes a slot of the window it is deferred to.
    """
    seconds = config.rate_window_seconds
    window = int(moment.timestamp()) // seconds
    key = RATE_KEY.format(number=number, window=window)
    with client.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, 2 * seconds)
        count, _ = pipe.execute()
    if int(count) <= config.rate_max_messages:
        return None
    client.decr(key)
    return datetime.fromtimestamp((window + 1) * seconds, UTC)


def sent_in_window(client: redis.Redis, number: str, moment: datetime, config: SmsConfig) -> int:
    """How many SMS to `number` counted in the window of `moment` (for logs and tests)."""
    window = int(moment.timestamp()) // config.rate_window_seconds
    # The sync client's replies are typed Awaitable | value (redis-py#2399).
    count = cast(bytes | None, client.get(RATE_KEY.format(number=number, window=window)))
    return int(count or 0)
