"""Agentless campaigns: notifications and reminders with no agent on the line.

A running ``agentless`` campaign keeps at most ``max_lines`` calls up at once
(``lines_wanted``). When the customer answers:

* with ``flow``: the call goes to the number that starts that IVR flow
  (``[ivr] numbers``), as an inbound caller would; an existing flow whose
  "press 1" node sends to the campaign's queue puts the customer through to an
  agent (the ACD takes it like any queued call);
* else with ``message``: the message is played (``sound:...``, as IVR prompts
  are given) and the call is hung up when it ends;
* with neither (``campaign.create`` refuses that for agentless campaigns),
  the call is hung up.

The attempt's outcome is ``answered`` as for the other modes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from .campaign_config import CampaignSpec

__all__ = ["AgentlessCalls", "hand_over", "lines_wanted"]


class AgentlessCalls(Protocol):
    def play(self, call_id: str, media: list[str]) -> str:
        """Play ``media`` to the customer; the playback id."""
        ...

    def to_number(self, call_id: str, number: str) -> None:
        """Send the call on to ``number`` (an IVR flow's)."""
        ...

    def hang_up(self, call_id: str) -> None: ...


def lines_wanted(spec: CampaignSpec, in_flight: int) -> int:
    """How many more calls an agentless campaign may start now."""
    return max(0, spec.max_lines - in_flight)


def hand_over(
    spec: CampaignSpec,
    call_id: str,
    calls: AgentlessCalls,
    flow_numbers: Mapping[str, str],
    playing: dict[str, str],
    *,
    warn: Callable[[str], None],
) -> None:
    """The customer answered an agentless call: the flow, or the message then hang-up.
    ``playing`` maps playback ids to their calls (hung up at ``PlaybackDone``)."""
    if spec.flow is not None:
        number = flow_numbers.get(spec.flow)
        if number is not None:
            calls.to_number(call_id, number)
            return
        warn(f"campaign {spec.name}: no [ivr] number starts flow {spec.flow!r}")
    if spec.message is not None:
        playing[calls.play(call_id, [spec.message])] = call_id
        return
    calls.hang_up(call_id)
