"""What a driver whose switch lives in ctid's process can offer beyond ``SwitchDriver``."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .base import SwitchCommand, SwitchEvent

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

    def advance_now(self) -> bool:
        """Run the switch's own timers that commands carried out at once made due now
        (an auto-answer), handing their events over at once; True if it did.

        Called by the call service when its turn has nothing else to fold and no
        command waits for the executor; otherwise the driver's task runs them.
        """
        ...

    def end_of_turn(self) -> None:
        """The call service's turn ends: timers due now not run by ``advance_now``
        are left to the driver's task."""
        ...

    def hold(self, on: bool) -> None:
        """On: keep the switch's new events for ``take_held`` instead of handing them over
        (they count as handed over); off: hand over in order those still kept."""
        ...

    def take_held(self) -> SwitchEvent | None:
        """The next event kept while holding, or None (none, or it needs the driver's task)."""
        ...
