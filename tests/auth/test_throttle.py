"""LoginThrottle, sans-IO: windows, retryAfter, exempt networks, the log lines."""

from __future__ import annotations

import logging
import re

import pytest

from ctid.api.throttle import LoginThrottle, parse_networks


def throttle(**kw: object) -> LoginThrottle:
    return LoginThrottle(max_failures=3, window=60.0, **kw)  # type: ignore[arg-type]


def test_blocks_after_max_failures_until_the_window_passes() -> None:
    t = throttle()
    t.failed("10.0.0.5", "unknown token", 100.0)
    t.failed("10.0.0.5", "unknown token", 110.0)
    assert t.retry_after("10.0.0.5", 110.0) is None
    t.failed("10.0.0.5", "bad signature", 120.0)
    # The window opened at 100: it ends at 160.
    assert t.retry_after("10.0.0.5", 120.0) == 40
    assert t.retry_after("10.0.0.5", 159.2) == 1
    assert t.retry_after("10.0.0.5", 160.0) is None
    # A new window: one failure is not enough to block again.
    t.failed("10.0.0.5", "unknown token", 161.0)
    assert t.retry_after("10.0.0.5", 161.0) is None
    assert t.failures == {"unknown token": 3, "bad signature": 1}
    assert t.throttled == 2


def test_addresses_are_counted_apart() -> None:
    t = throttle()
    for _ in range(3):
        t.failed("10.0.0.5", "unknown token", 0.0)
    assert t.retry_after("10.0.0.5", 1.0) == 59
    assert t.retry_after("10.0.0.6", 1.0) is None
    assert t.retry_after("::1", 1.0) is None


def test_exempt_networks_are_never_throttled() -> None:
    t = throttle(exempt=parse_networks(["10.1.0.0/16", "::1"]))
    for _ in range(10):
        t.failed("10.1.2.3", "unknown token", 0.0)
        t.failed("::1", "unknown token", 0.0)
        t.failed("10.2.0.1", "unknown token", 0.0)
    assert t.retry_after("10.1.2.3", 1.0) is None
    assert t.retry_after("::1", 1.0) is None
    assert t.retry_after("10.2.0.1", 1.0) == 59
    # Failures from exempt addresses are still counted for the metric.
    assert t.failures["unknown token"] == 30


def test_bad_cidr() -> None:
    with pytest.raises(
        ValueError, match=re.escape('"10.0.0.0/33" is not an address or CIDR network')
    ):
        parse_networks(["10.0.0.0/33"])


def test_logged_once_per_address_and_window_plus_when_blocking(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ctid.api.throttle")
    t = throttle()
    for i in range(8):
        t.failed("10.0.0.5", "unknown token", float(i))
    t.failed("10.0.0.6", "bad signature", 5.0)
    t.failed("10.0.0.5", "malformed token", 61.0)  # a new window
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "failed login from 10.0.0.5: unknown token (failure 1 in this 60 s window; further "
        "ones are not logged until it ends or the address is throttled)",
        "failed login from 10.0.0.5: unknown token (failure 3 in this 60 s window): "
        "refusing logins from this address for 58 s",
        "failed login from 10.0.0.6: bad signature (failure 1 in this 60 s window; further "
        "ones are not logged until it ends or the address is throttled)",
        "failed login from 10.0.0.5: malformed token (failure 1 in this 60 s window; further "
        "ones are not logged until it ends or the address is throttled)",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_expired_windows_are_dropped() -> None:
    t = throttle()
    for i in range(1000):
        t.failed(f"10.0.{i // 256}.{i % 256}", "unknown token", float(i) / 100)
    assert len(t._windows) == 1000
    t.retry_after("10.9.9.9", 200.0)
    assert len(t._windows) == 0
