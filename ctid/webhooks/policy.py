"""The webhook outbox's rules, sans-IO: plain data in, decisions out.

* ``Selector``: does an event go to a webhook (its name against the patterns,
  then the ``queues``/``devices``/``campaigns`` filters)?
* ``backoff``: how long to wait before the next try of a failed batch.
* ``Delivery``: one webhook's delivery state (failing since when, which try,
  when next, what went wrong), advanced by ``succeeded``/``failed``.
* ``overflow``: how many of the oldest events to drop past ``max_backlog``.
* ``batch_id``: the ``X-Ctid-Delivery`` of a batch, the same on every try.

Nothing here reads a clock or a socket; the trio side (``service``) passes
times in and does what these say.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

from .spec import WebhookSpec

__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_MAX",
    "Delivery",
    "Selector",
    "backoff",
    "batch_id",
    "overflow",
]

#: Seconds before the first retry and the longest wait between two tries.
BACKOFF_FIRST: Final = 1.0
BACKOFF_MAX: Final = 600.0
#: Each wait is its nominal value times a factor in [1 - JITTER, 1]: receivers
#: that came back are not hit by every ctid at the same second.
JITTER: Final = 0.25


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    # fnmatch's translation, with only ``*`` special ("?" and "[" are not in event names).
    parts = [fnmatch.translate(p.replace("?", "").replace("[", "")) for p in patterns]
    return re.compile("|".join(f"(?:{part})" for part in parts))


def _queues_of(params: Mapping[str, Any], topics: Iterable[str]) -> set[str]:
    found = {t[6:] for t in topics if t.startswith("queue:")}
    queue = params.get("queue")
    if isinstance(queue, str):
        found.add(queue)
    return found


class Selector:
    """Which events one webhook wants (see docs/webhooks.md, "Which events")."""

    def __init__(self, spec: WebhookSpec) -> None:
        self.pattern = _compile(spec.events)
        self.queues = frozenset(spec.queues)
        self.devices = frozenset(spec.devices)
        self.campaigns = frozenset(spec.campaigns)

    def wants(
        self,
        name: str,
        params: Mapping[str, Any],
        *,
        devices: Iterable[str] = (),
        topics: Iterable[str] = (),
    ) -> bool:
        """Whether the event goes to this webhook. Every filter given must match."""
        if not self.pattern.fullmatch(name):
            return False
        if self.queues and not (self.queues & _queues_of(params, topics)):
            return False
        if self.devices and not (self.devices & set(devices)):
            return False
        if self.campaigns:
            campaign = params.get("campaign")
            if not isinstance(campaign, str) or campaign not in self.campaigns:
                return False
        return True


def backoff(attempt: int, random: Callable[[], float]) -> float:
    """Seconds to wait after failed try number ``attempt`` (1, 2, ...): 1 s doubling up to
    10 min, each less a random part of up to a quarter (``random()`` in [0, 1))."""
    nominal = min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** min(attempt - 1, 30))
    return max(BACKOFF_FIRST, nominal * (1.0 - JITTER * random()))


@attrs.define
class Delivery:
    """One webhook's delivery state; times are whatever clock the caller uses."""

    max_retry_seconds: float
    #: Tries of the current batch that failed.
    attempt: int = 0
    failing_since: float | None = None
    next_try: float | None = None
    last_success: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    delivered: int = 0
    failures: int = 0

    def succeeded(self, now: float, events: int) -> None:
        self.attempt = 0
        self.failing_since = None
        self.next_try = None
        self.last_success = now
        self.delivered += events

    def failed(self, now: float, error: str, random: Callable[[], float]) -> float | None:
        """Record a failed try; the seconds until the next, or None: give the batch up
        (it has failed for ``max_retry_seconds``)."""
        self.failures += 1
        self.attempt += 1
        self.last_error = error
        self.last_error_at = now
        if self.failing_since is None:
            self.failing_since = now
        if now - self.failing_since >= self.max_retry_seconds:
            self.attempt = 0
            self.failing_since = None
            self.next_try = None
            return None
        delay = backoff(self.attempt, random)
        # The last try falls at the end of the retry period, not after it.
        delay = min(delay, max(0.0, self.failing_since + self.max_retry_seconds - now))
        self.next_try = now + delay
        return delay


def overflow(backlog: int, max_backlog: int) -> int:
    """How many of the oldest events to drop so that at most ``max_backlog`` wait."""
    return max(0, backlog - max_backlog)


def batch_id(webhook: str, first: int, last: int) -> str:
    """The delivery id of the batch holding outbox rows ``first`` to ``last``: a retry,
    even after a restart, sends the same rows under the same id."""
    digest = hashlib.sha256(f"{webhook}\0{first}\0{last}".encode()).hexdigest()
    return f"d-{digest[:24]}"
