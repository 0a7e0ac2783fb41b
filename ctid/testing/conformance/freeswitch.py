"""The conformance harness of the FreeSWITCH driver, against ``ctid.testing.fake_freeswitch``.

The driver is built from a ``[switch.freeswitch]`` table (``from_config``), as
``ctid run`` builds it, and connects to the fake over memory streams. The
fake runs the dialplan docs/drivers.md asks for (every call from a phone or
from the provider is handed to ctid: ``set ctid_dialed``, ``park``); its
phones are directory users ``1001`` ... ``1004`` that ring until answered but
honour the auto-answer header, and its provider's gateway ``provider``
(ctid's trunk ``provider``) has the conformance numbers behave as
``harness.py`` says.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

import trio

from ...switch_drivers.freeswitch.driver import FreeSwitchDriver
from .._fs_hearing import channel_hears, hears_music
from ..fake_freeswitch import DialplanKind, External, FakeFreeSwitch
from .harness import (
    BUSY,
    NO_ANSWER,
    OUT_OF_ORDER,
    PARTIES,
    UNREACHABLE,
    Hearing,
    SwitchHarness,
)

__all__ = ["FREESWITCH_SECTION", "FakeFreeSwitchHarness"]

#: The driver's configuration table in the scenarios.
FREESWITCH_SECTION: Final[dict[str, Any]] = {
    "host": "fs.test",
    "password": "ClueCon",
    "extensions": "1001-1004",
    "dialplan_context": "ctid",
    "trunks": [
        {"name": "provider", "dial": "sofia/gateway/provider/{number}", "profiles": ["external"]}
    ],
    # Exact reconnect times make the link scenario deterministic.
    "reconnect": {"jitter": 0.0},
    # mod_spandsp listens for a calling fax machine's tone on answered inbound channels.
    "fax_detect_seconds": 10,
}


class FakeFreeSwitchHarness(SwitchHarness):
    """FreeSWITCH (the fake one) with four SIP phones and a provider."""

    extensions: tuple[str, ...] = ("1001", "1002", "1003", "1004")
    trunks: ClassVar[frozenset[str]] = frozenset({"provider"})

    def __init__(
        self, *, extensions: tuple[str, ...] | None = None, answer_delay: float = 0.5
    ) -> None:
        if extensions is not None:
            self.extensions = extensions
        self.fake = FakeFreeSwitch(
            users=dict.fromkeys(self.extensions, False),
            unregistered=(),
            gateway="provider",
            externals={
                BUSY: External.BUSY,
                NO_ANSWER: External.NO_ANSWER,
                UNREACHABLE: External.UNREACHABLE,
                OUT_OF_ORDER: External.DEAD,
            },
            dialplan=DialplanKind.CTID,
            # A phone asked to auto-answer, and an outside number that answers,
            # pick up within half a second.
            answer_delay=answer_delay,
        )
        self.fake.parties = PARTIES

    async def start(self, nursery: trio.Nursery) -> None:
        await nursery.start(self.fake.run)

    def build_driver(self) -> FreeSwitchDriver:
        return FreeSwitchDriver.from_config(
            FREESWITCH_SECTION, open_stream=lambda host, port: self.fake.connect()
        )

    def _uuid(self, device: str) -> str | None:
        ch = self.fake.channel_of(device)
        return ch.uuid if ch is not None else None

    async def answer(self, extension: str) -> None:
        uuid = self._uuid(extension)
        assert uuid is not None, f"{extension} has no call to answer"
        self.fake.phone_answers(uuid)

    async def hang_up(self, device: str) -> None:
        uuid = self._uuid(device)
        if uuid is not None:  # an idle SIP phone put down sends nothing
            self.fake.phone_hangs_up(uuid)

    async def dial(self, extension: str, number: str) -> None:
        self.fake.phone_dials(extension, number)

    async def press_digits(self, device: str, digits: str) -> None:
        uuid = self._uuid(device)
        assert uuid is not None, f"{device} is in no call"
        for digit in digits:
            self.fake.phone_sends_dtmf(uuid, digit)

    async def hold(self, extension: str) -> None:
        uuid = self._uuid(extension)
        assert uuid is not None, f"{extension} is in no call"
        self.fake.phone_holds(uuid)

    async def unhold(self, extension: str) -> None:
        uuid = self._uuid(extension)
        assert uuid is not None, f"{extension} is in no call"
        self.fake.phone_holds(uuid, on=False)

    async def unplug(self, extension: str) -> None:
        switch = self.fake.switch
        switch.unregistered = switch.unregistered | {extension}

    async def incoming_call(self, caller: str, called: str) -> None:
        self.fake.outside_calls(caller, called)

    async def drop_link(self) -> None:
        self.fake.reachable = False
        self.fake.drop_connections()

    async def restore_link(self) -> None:
        self.fake.reachable = True

    def hears(self, listener: str, speaker: str) -> Hearing:
        """From the fake's bridges, conferences, playbacks and eavesdrops (``_fs_hearing``)."""
        switch = self.fake.switch
        heard = self.fake.channel_of(listener)
        speaking = self.fake.channel_of(speaker)
        if heard is None:
            return Hearing(hears=False, music=False)
        music = hears_music(switch, heard)
        hears = speaking is not None and channel_hears(switch, heard, speaking)
        return Hearing(hears=hears, music=music)

    def digits_heard(self, device: str) -> str:
        ch = self.fake.channel_of(device)
        return "".join(ch.digits_heard) if ch is not None else ""

    def message_waiting(self, extension: str) -> tuple[int, int]:
        lamp = self.fake.lamps.get(extension)
        return (lamp.new, lamp.old) if lamp is not None else (0, 0)
