"""Where the IVR sends calls: queues and agents, behind two small interfaces.

The ACD (queues, agents) is built beside the IVR. The IVR needs only:

* ``Queues``: does queue X exist; which number reaches it (for inbound
  routing straight to a queue); send a call the IVR holds into it with a
  priority.
* ``Agents``: which device agent X is at now.

Until the ACD provides them, ``ConfiguredQueues``/``ConfiguredAgents`` read
``[ivr.queues]`` (queue name -> a number: an ACD route point, or a phone) and
``[ivr.agents]`` (agent id -> device) from the configuration and route with
``CallControl.route``. The priority is written into the call's facts under
``FACT_QUEUE_PRIORITY`` for whoever serves the queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..calls.control import CallControl
from ..facts import FACT_QUEUE_PRIORITY

__all__ = [
    "FACT_QUEUE_PRIORITY",
    "Agents",
    "ConfiguredAgents",
    "ConfiguredQueues",
    "DestinationError",
    "Queues",
]


class DestinationError(Exception):
    """The call cannot go there (no such queue or agent, agent logged off...)."""


class Queues(Protocol):
    def queue_exists(self, name: str) -> bool: ...

    def queue_number(self, name: str) -> str | None:
        """The number that reaches the queue, for routing a call there directly."""

    def enter(self, call_id: str, queue: str, *, priority: int) -> None:
        """Send a call the IVR holds into ``queue``; raise ``DestinationError`` if it cannot."""


class Agents(Protocol):
    def agent_device(self, agent_id: str) -> str | None:
        """The device agent ``agent_id`` is at now (None: unknown or logged off)."""

    def agent_known(self, agent_id: str) -> bool:
        """Whether ``agent_id`` is an agent at all (logged on or not): a valid destination."""


class ConfiguredQueues:
    """Queues as numbers from the configuration (until the ACD's queues are wired)."""

    def __init__(self, numbers: Mapping[str, str], control: CallControl) -> None:
        self.numbers = dict(numbers)
        self.control = control

    def queue_exists(self, name: str) -> bool:
        return name in self.numbers

    def queue_number(self, name: str) -> str | None:
        return self.numbers.get(name)

    def enter(self, call_id: str, queue: str, *, priority: int) -> None:
        number = self.numbers.get(queue)
        if number is None:
            raise DestinationError(f"no queue {queue!r}")
        if self.control.model.directory.classify(number) is None:
            raise DestinationError(f"queue {queue!r}: {number} is not a reachable number")
        self.control.call(call_id).facts[FACT_QUEUE_PRIORITY] = priority
        self.control.route(call_id, number)


class ConfiguredAgents:
    """Agents as devices from the configuration (until the ACD's agents are wired)."""

    def __init__(self, devices: Mapping[str, str]) -> None:
        self.devices = dict(devices)

    def agent_device(self, agent_id: str) -> str | None:
        return self.devices.get(agent_id)

    def agent_known(self, agent_id: str) -> bool:
        return agent_id in self.devices
