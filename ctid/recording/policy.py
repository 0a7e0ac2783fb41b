"""Which calls are recorded and how long their files are kept. Pure."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["RecordingPolicy", "Retention"]


@attrs.frozen(kw_only=True)
class RecordingPolicy:
    """Automatic recording: every answered call, or those of some queues or agents."""

    record_all: bool = False
    queues: frozenset[str] = frozenset()
    agents: frozenset[str] = frozenset()

    def reason(self, *, queue: str | None, agent: str | None) -> str | None:
        """Why a call just answered must be recorded (``started_by``), or None."""
        if self.record_all:
            return "policy:all"
        if queue is not None and queue in self.queues:
            return "policy:queue"
        if agent is not None and agent in self.agents:
            return "policy:agent"
        return None


@attrs.frozen(kw_only=True)
class Retention:
    """Days recordings are kept: per queue, else ``default_days`` (None: for ever)."""

    default_days: float | None = None
    per_queue: Mapping[str, float] = attrs.field(factory=dict)

    def rules(self) -> list[tuple[str | None, float]]:
        """(queue, days) for each queue with its own rule, then (None, days) for the rest."""
        out: list[tuple[str | None, float]] = sorted(self.per_queue.items())
        if self.default_days is not None:
            out.append((None, self.default_days))
        return out
