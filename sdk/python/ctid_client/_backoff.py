"""When to try reconnecting: exponential backoff with jitter, as a pure value."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

__all__ = ["ReconnectPolicy"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReconnectPolicy:
    """How the client reconnects after losing its connection.

    Attempt ``n`` (0-based) waits ``min(maximum, initial * multiplier**n)``
    seconds, reduced by a random share of up to ``jitter`` of it, so that many
    clients cut off together do not all come back at the same instant. The
    first attempt after a loss waits too: a server that just dropped
    everyone should not be hit at once.
    """

    #: Seconds before the first attempt.
    initial: float = 0.5
    #: Longest wait between attempts.
    maximum: float = 30.0
    multiplier: float = 2.0
    #: Share of each wait (0..1) that is randomised away.
    jitter: float = 0.5
    #: Give up after this many failed attempts in a row (``None``: never).
    max_attempts: int | None = None
    #: The random source (0 <= value < 1); replace it for deterministic tests.
    random: Callable[[], float] = dataclasses.field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < self.initial:
            raise ValueError("need 0 <= initial <= maximum")
        if self.multiplier < 1:
            raise ValueError("multiplier must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (or None)")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt`` (0-based)."""
        # Cap the exponent so a long outage cannot overflow the float.
        base = min(self.maximum, self.initial * self.multiplier ** min(attempt, 64))
        return base * (1 - self.jitter * self.random())
