"""The conformance harness of the built-in voice-card simulator (the reference driver)."""

from __future__ import annotations

from typing import ClassVar

from ...switch_drivers.simulator.config import SimulatorConfig
from ...switch_drivers.simulator.driver import SimError, SimulatorDriver
from .harness import PARTIES, Hearing, SwitchHarness

__all__ = ["SimulatorHarness"]


class SimulatorHarness(SwitchHarness):
    """The simulator with its default outside numbers (...486 busy, ...480 no answer)."""

    extensions: tuple[str, ...] = ("1001", "1002", "1003", "1004")
    trunks: ClassVar[frozenset[str]] = frozenset({"T/1", "T/2", "T/3", "T/4"})

    def __init__(self) -> None:
        config = SimulatorConfig(extensions=self.extensions, trunks=4, outside=PARTIES.outside)
        self.sim = SimulatorDriver(config)

    def build_driver(self) -> SimulatorDriver:
        return self.sim

    async def answer(self, extension: str) -> None:
        self.sim.off_hook(extension)

    async def hang_up(self, device: str) -> None:
        line = self.sim.card.lines.get(device)
        if line is not None and not line.off_hook:
            return  # a hands-free phone went back on-hook by itself when its call ended
        self.sim.on_hook(device)

    async def dial(self, extension: str, number: str) -> None:
        self.sim.off_hook(extension)
        # An extension's number ends dialling by itself; '#' ends any other.
        self.sim.press_digits(extension, number if number in self.extensions else number + "#")

    async def press_digits(self, device: str, digits: str) -> None:
        self.sim.press_digits(device, digits)

    async def hold(self, extension: str) -> None:
        self.sim.hold_key(extension)  # the simulated hold key toggles

    async def unhold(self, extension: str) -> None:
        self.sim.hold_key(extension)

    async def unplug(self, extension: str) -> None:
        self.sim.card.lines[extension].unplugged = True

    async def incoming_call(self, caller: str, called: str) -> None:
        self.sim.incoming_call(caller, called)

    async def drop_link(self) -> None:
        self.sim.drop_link()

    async def restore_link(self) -> None:
        self.sim.restore_link()

    def hears(self, listener: str, speaker: str) -> Hearing:
        card = self.sim.card
        try:
            music = card.hears_music(listener)
        except SimError:  # an outside party that is gone hears nothing
            return Hearing(hears=False, music=False)
        try:
            return Hearing(hears=card.hears(listener, speaker), music=music)
        except SimError:
            return Hearing(hears=False, music=music)

    def digits_heard(self, device: str) -> str:
        card = self.sim.card
        line = card.lines.get(device) or next(
            (ln for ln in card.trunk_lines if ln.party == device), None
        )
        return "".join(line.heard_digits) if line is not None else ""

    def message_waiting(self, extension: str) -> tuple[int, int]:
        return self.sim.card.lines[extension].message_waiting
