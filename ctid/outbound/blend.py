"""Blended agents, the outbound side: which campaigns have preview work to put before
inbound calls, and the agents the ACD gave them for it.

The ACD asks ``Blender.claim`` (``ctid.acd.core.OutboundWork``) before a ready
agent takes an inbound call of priority p; a running ``preview`` campaign of
``priority`` c > max(p, 0) whose queue the agent serves, with records due at
its last pacing round, claims the agent (the highest c first; at equal c the
campaign whose name sorts first). The ACD reserves the agent for it at once;
the campaign's next pacing round (woken at once) shows the agent a record
(``PreviewDesk.round``), or, when none is left, lets the agent go, after
noting that the campaign has no work, so the ACD's next question about the
agent finds the inbound call.

What is due is what the last round saw (at most ``PACE_SECONDS`` old); a
campaign's work is forgotten when it is paused or stopped, and its agents
released (``PreviewDesk.withdraw``).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from .campaign_config import CampaignSpec

__all__ = ["Blender"]


@attrs.frozen
class _Work:
    queue: str
    priority: int


class Blender:
    """See the module docstring; the one ``OutboundWork`` of the daemon's ACD."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        #: Campaign -> its queue and priority, while it has preview work due.
        self.work: dict[str, _Work] = {}
        #: Agent -> the campaign that claimed it and has not shown it a record yet.
        self.held: dict[str, str] = {}
        #: Campaigns paused or stopped: a round that was under way then claims nothing.
        self.off: set[str] = set()

    def seen(self, spec: CampaignSpec, due: bool) -> None:
        """A pacing round of ``spec`` found records due for more agents (``due``) or not."""
        if due and spec.priority > 0 and spec.mode == "preview" and spec.name not in self.off:
            self.work[spec.name] = _Work(queue=spec.queue, priority=spec.priority)
        else:
            self.work.pop(spec.name, None)

    def claim(self, agent_id: str, queues: frozenset[str], above: int) -> str | None:
        """``OutboundWork.claim``: the campaign that takes the agent before an inbound call
        of priority ``above``, if any."""
        best: tuple[int, str] | None = None
        for name, work in self.work.items():
            if work.priority <= above or work.queue not in queues:
                continue
            if best is None or (-work.priority, name) < (-best[0], best[1]):
                best = (work.priority, name)
        if best is None:
            return None
        self.held[agent_id] = best[1]
        self._wake()
        return best[1]

    def held_by(self, campaign: str) -> list[str]:
        """The agents claimed for ``campaign`` and not shown a record yet, in claim order."""
        return [agent for agent, name in self.held.items() if name == campaign]

    def let_go(self, agent_id: str) -> None:
        """The agent was shown a record, released, or is no longer the campaign's."""
        self.held.pop(agent_id, None)

    def forget(self, campaign: str) -> list[str]:
        """The campaign paused or stopped: no more claims for it; its held agents (to release)."""
        self.off.add(campaign)
        self.work.pop(campaign, None)
        agents = self.held_by(campaign)
        for agent in agents:
            del self.held[agent]
        return agents

    def back(self, campaign: str) -> None:
        """The campaign runs again: its rounds say what is due."""
        self.off.discard(campaign)
