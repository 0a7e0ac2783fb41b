"""Failed logins, limited per client address (sans-IO: the caller passes the time).

Each address gets a window of ``window`` seconds that opens with its first
failed login. Once ``max_failures`` failures fall in one window, every
further login from that address is refused without looking at the token
until the window has passed; then the count starts again from zero. A fixed
window (rather than a sliding one) keeps one small record per address and
gives a simple, honest ``retryAfter``.

Only credentials that prove nothing count (an unknown token, a bad
signature, garbage): a correctly signed token that has expired is not a
guess, and toolbars behind one NAT reconnecting with stale tokens after an
outage must not lock each other out.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections import Counter
from collections.abc import Iterable

import attrs

__all__ = ["LoginThrottle", "parse_networks"]

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(cidrs: Iterable[str]) -> list[Network]:
    """``["10.0.0.0/8", "::1"]`` -> networks; raises ``ValueError`` naming the bad entry."""
    out: list[Network] = []
    for cidr in cidrs:
        try:
            out.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(f'"{cidr}" is not an address or CIDR network') from None
    return out


@attrs.define
class _Window:
    opened: float
    failures: int = 0
    blocked_logged: bool = False


class LoginThrottle:
    """Counts failed logins per address and says when an address must wait."""

    def __init__(
        self, *, max_failures: int = 10, window: float = 60.0, exempt: Iterable[Network] = ()
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.exempt = list(exempt)
        #: Insertion order is window-opening order, so expired windows sit at the front.
        self._windows: dict[str, _Window] = {}
        #: Failed logins by reason, for metrics (``ctid_login_failures_total``).
        self.failures: Counter[str] = Counter()
        #: Logins refused without a look at the token because their address was throttled.
        self.throttled = 0

    def is_exempt(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.exempt)

    def retry_after(self, address: str, now: float) -> int | None:
        """Whole seconds ``address`` must wait before logging in again, or None."""
        self._expire(now)
        window = self._windows.get(address)
        if window is None or window.failures < self.max_failures or self.is_exempt(address):
            return None
        self.throttled += 1
        return max(1, math.ceil(window.opened + self.window - now))

    def failed(self, address: str, reason: str, now: float) -> None:
        """Count a failed login of ``address`` (logged once per address and window)."""
        self.failures[reason] += 1
        self._expire(now)
        window = self._windows.get(address)
        if window is None:
            window = self._windows[address] = _Window(opened=now)
        window.failures += 1
        blocking = (
            window.failures >= self.max_failures
            and not window.blocked_logged
            and not self.is_exempt(address)
        )
        if blocking:
            window.blocked_logged = True
            log.warning(
                "failed login from %s: %s (failure %d in this %g s window): "
                "refusing logins from this address for %d s",
                address,
                reason,
                window.failures,
                self.window,
                max(1, math.ceil(window.opened + self.window - now)),
            )
        elif window.failures == 1:
            log.warning(
                "failed login from %s: %s (failure 1 in this %g s window; further ones "
                "are not logged until it ends or the address is throttled)",
                address,
                reason,
                self.window,
            )

    def refused(self, address: str, reason: str) -> None:
        """A correctly signed token refused (expired, not yet valid, ...): counted, not a guess."""
        self.failures[reason] += 1
        log.info("login from %s refused: %s", address, reason)

    def _expire(self, now: float) -> None:
        windows = self._windows
        while windows:
            address, window = next(iter(windows.items()))
            if window.opened + self.window > now:
                break
            del windows[address]
