"""Reconnect delays of the FreeSWITCH driver."""

from __future__ import annotations

import random

import attrs

__all__ = ["Backoff"]


@attrs.frozen(kw_only=True)
class Backoff:
    """Reconnect delays: ``initial * factor**n`` up to ``maximum``, each
    multiplied by a random factor in ``[1 - jitter, 1 + jitter]``."""

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The wait before reconnect attempt ``attempt`` (0 for the first retry)."""
        base = min(self.maximum, self.initial * self.factor**attempt)
        return base * (1 + self.jitter * (2 * rng.random() - 1))
