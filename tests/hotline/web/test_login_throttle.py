"""Failed logins are slowed per username and capped per address, in Redis."""

from __future__ import annotations

import pytest

from hotline.web.login_throttle import (
    MAX_FAILURES_PER_ADDRESS,
    TooManyAttempts,
    check_allowed,
    record_failure,
    record_success,
)


def test_each_failure_doubles_the_wait(runtime):
    client = runtime.redis
    record_failure(client, "Wang", "10.0.0.1", base_seconds=2)
    with pytest.raises(TooManyAttempts) as first:
        check_allowed(client, "wang", "10.0.0.2")  # the username, whatever its case or address
    assert first.value.details["retry_after_seconds"] == 2
    record_failure(client, "wang", "10.0.0.1", base_seconds=2)
    with pytest.raises(TooManyAttempts) as second:
        check_allowed(client, "wang", "10.0.0.1")
    assert second.value.details["retry_after_seconds"] == 4
    check_allowed(client, "li", "10.0.0.2")  # others are not slowed
    record_success(client, "wang", "10.0.0.1")
    check_allowed(client, "wang", "10.0.0.2")


def test_zero_base_counts_without_slowing(runtime):
    record_failure(runtime.redis, "wang", "10.0.0.1", base_seconds=0)
    check_allowed(runtime.redis, "wang", "10.0.0.1")


def test_one_address_has_a_cap_on_failures(runtime):
    for index in range(MAX_FAILURES_PER_ADDRESS):
        record_failure(runtime.redis, f"user{index}", "10.0.0.9", base_seconds=0)
    with pytest.raises(TooManyAttempts) as caught:
        check_allowed(runtime.redis, "someone-else", "10.0.0.9")
    assert 0 < caught.value.details["retry_after_seconds"] <= 15 * 60
    check_allowed(runtime.redis, "someone-else", "10.0.0.10")
