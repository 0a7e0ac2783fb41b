"""Inbound routing in the daemon: the call model's ``inbound_router``, and admin overrides.

``RoutingTable.decide`` (pure) says where a new trunk call goes; this turns
that into a number the call model routes to: a flow's route point
(``ivr:<flow>``), a queue's number, an agent's device, a device, or the route
point of a small flow the routing makes itself for a message or a voicemail
destination. A blacklisted caller goes to ``ivr:reject`` and is refused.

Which overrides are on is kept in ``<state_dir>/routing-overrides.json`` so an
emergency closure survives a restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from ..blocking import Blocking, in_thread
from ..calls.model import Call
from ..facts import FACT_INBOUND_ROUTE
from .destinations import Agents, Queues
from .flow import FilePrompt, Flow, HangupNode, PlayNode, Tts, VoicemailNode
from .routing import Destination, RoutingTable
from .service import REJECT_POINT, ROUTE_POINT_PREFIX

__all__ = ["FACT_INBOUND_ROUTE", "InboundRouter", "routing_flows"]

log = logging.getLogger(__name__)

#: Prefix of the flows the routing makes for message and voicemail destinations.
ROUTING_FLOW: Final = "routing."


class InboundRouter:
    """Callable as ``CallModel.inbound_router``."""

    def __init__(
        self,
        *,
        table: RoutingTable,
        queues: Queues,
        agents: Agents,
        local_now: Callable[[], Any],
        state_file: Path | None,
        blocking: Blocking = in_thread,
    ) -> None:
        self.blocking = blocking
        self.table = table
        self.queues = queues
        self.agents = agents
        self.local_now = local_now
        self.state_file = state_file
        self.active: set[str] = set()
        self.routed = 0
        self.rejected = 0
        if state_file is not None and state_file.is_file():
            # Read once at start-up, before the daemon serves anything.
            # Names the configuration no longer has are kept but match nothing.
            saved = json.loads(state_file.read_text(encoding="utf-8"))
            self.active = {str(n) for n in saved.get("active", [])}

    def __call__(self, call: Call) -> str | None:
        table = self.table
        if not (table.rules or table.overrides or table.blacklist):
            # Nothing to decide: every call goes as dialled, without the local time
            # (a time-zone conversion a call) that asking the table would cost.
            return None
        decision = table.decide(
            dnis=call.called_device,
            ani=call.calling_device,
            now=self.local_now(),
            active=self.active,
        )
        if decision is None:
            return None
        call.facts[FACT_INBOUND_ROUTE] = decision.reason
        if decision.destination is None:
            self.rejected += 1
            log.info("routing: refused %s (%s)", call.calling_device, decision.reason)
            return REJECT_POINT
        number = self.number(decision.destination, decision.reason)
        if number is None:
            log.warning(
                "routing: %s leads to %s, which is not reachable now; the call goes as dialled",
                decision.reason,
                decision.destination.describe(),
            )
            return None
        self.routed += 1
        return number

    def number(self, dest: Destination, reason: str) -> str | None:
        match dest.kind:
            case "flow":
                return ROUTE_POINT_PREFIX + dest.target
            case "queue":
                return self.queues.queue_number(dest.target)
            case "agent":
                return self.agents.agent_device(dest.target)
            case "device":
                return dest.target
            case _:
                return ROUTE_POINT_PREFIX + ROUTING_FLOW + _key(reason)

    async def set_override(self, name: str, on: bool) -> None:
        """Switch an override on or off (``KeyError`` if there is none of that name)."""
        if self.table.override(name) is None:
            raise KeyError(name)
        if on:
            self.active.add(name)
        else:
            self.active.discard(name)
        log.warning("routing: override %s switched %s", name, "on" if on else "off")
        if self.state_file is not None:
            await self.blocking(self._save)

    def _save(self) -> None:
        assert self.state_file is not None
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"active": sorted(self.active)}), encoding="utf-8")
        tmp.replace(self.state_file)

    def overrides(self) -> list[dict[str, Any]]:
        return [
            {
                "name": o.name,
                "active": o.name in self.active,
                "destination": {o.destination.kind: o.destination.target},
                "description": o.description,
            }
            for o in self.table.overrides
        ]


def _key(reason: str) -> str:
    kind, _, name = reason.partition(" ")
    return f"{kind}.{name}"


def routing_flows(table: RoutingTable) -> dict[str, Flow]:
    """Small flows for the message and voicemail destinations of ``table``."""
    out: dict[str, Flow] = {}
    entries = [(f"rule.{r.name}", r.destination) for r in table.rules]
    entries += [(f"override.{o.name}", o.destination) for o in table.overrides]
    for key, dest in entries:
        if dest.kind not in ("message", "voicemail"):
            continue
        name = ROUTING_FLOW + key
        lang = dest.language
        bye = HangupNode(name="bye")
        if dest.kind == "message":
            item: Tts | FilePrompt = (
                FilePrompt(path={"*": dest.target[len("file:") :]})
                if dest.target.startswith("file:")
                else Tts(text={"*": dest.target})
            )
            first: PlayNode | VoicemailNode = PlayNode(name="message", prompt=(item,), next="bye")
        else:
            kind, _, box = dest.target.partition(":")
            first = VoicemailNode(name="message", variable=None, mailbox=(kind, box), next="bye")
        out[name] = Flow(
            name=name,
            version="routing",
            file="<routing>",
            start="message",
            language=lang,
            languages=(lang,),
            nodes={"message": first, "bye": bye},
        )
    return out
