"""What a driver whose switch lives in ctid's process can offer beyond ``SwitchDriver``."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .base import SwitchCommand

__all__ = ["ExecutesNow"]


@runtime_checkable
class ExecutesNow(Protocol):
    """A driver that can carry a command out synchronously (the simulator).

    A real switch is behind a socket, so its driver offers only the async
    ``SwitchDriver.execute``; the call service uses this where it is offered.
    """

    def execute_now(self, command: SwitchCommand) -> bool:
        """Carry ``command`` out at once; False: nothing done (use ``execute``).
        Raises as ``execute`` does."""
        ...
