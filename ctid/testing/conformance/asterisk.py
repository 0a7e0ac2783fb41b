"""The conformance harness of the Asterisk driver, against ``ctid.testing.fake_asterisk``.

The driver is built from a ``[switch.asterisk]`` table (``from_config``), as
``ctid run`` builds it, and connects to the fake over memory streams. The
fake's phones are PJSIP endpoints ``PJSIP/1001`` ... ``PJSIP/1004`` and its
trunk is ``PJSIP/trunk-provider`` (ctid's trunk ``provider``), on which the
conformance numbers behave as ``harness.py`` says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Final

import trio

from ...switch_drivers.asterisk.driver import AsteriskDriver
from ...switch_drivers.asterisk.mapping import ORIGIN_VARIABLE
from .. import _fake_ari_mwi
from ..ari_schema import AriSchema
from ..fake_asterisk import FakeAsterisk
from .harness import BUSY, NO_ANSWER, OUT_OF_ORDER, PARTIES, UNREACHABLE, Hearing, SwitchHarness

if TYPE_CHECKING:
    from .._fake_ari_objects import _Channel

__all__ = ["ASTERISK_SECTION", "FakeAsteriskHarness"]

#: Snoops of snoops are followed this deep when deciding who hears whom.
_SNOOP_DEPTH: Final = 4

#: The driver's configuration table in the scenarios.
ASTERISK_SECTION: Final[dict[str, Any]] = {
    "base_url": "http://pbx.test:8088/ari",
    "user": "ctid",
    "password": "secret",
    "app": "ctid",
    "extensions": "1001-1004",
    "trunks": [
        {
            "name": "provider",
            "endpoint": "PJSIP/trunk-provider",
            "dial": "PJSIP/{number}@trunk-provider",
        }
    ],
    # Exact reconnect times make the link scenario deterministic.
    "reconnect": {"jitter": 0.0},
    # Asterisk's recording directory holds ctid's (a temporary one in the scenarios).
    "recording_dir": "/",
}


class FakeAsteriskHarness(SwitchHarness):
    """Asterisk (the fake one) with four PJSIP phones and a trunk."""

    extensions: tuple[str, ...] = ("1001", "1002", "1003", "1004")
    trunks: ClassVar[frozenset[str]] = frozenset({"provider"})

    def __init__(self, schema: AriSchema, *, extensions: tuple[str, ...] | None = None) -> None:
        if extensions is not None:
            self.extensions = extensions
        self.fake = FakeAsterisk(schema=schema, extensions=self.extensions, recording_dir="/")
        self.fake.set_number(BUSY, "busy")
        self.fake.set_number(NO_ANSWER, "noanswer")
        self.fake.set_number(UNREACHABLE, "unreachable")
        self.fake.set_number(OUT_OF_ORDER, "dead")
        self.fake.parties = PARTIES
        # ari.conf as docs/drivers.md asks: ctid's mark on the channels it originates.
        self.fake.channelvars = (ORIGIN_VARIABLE,)

    async def start(self, nursery: trio.Nursery) -> None:
        await nursery.start(self.fake.run)

    def build_driver(self) -> AsteriskDriver:
        return AsteriskDriver.from_config(ASTERISK_SECTION, open_stream=self.fake.open_stream)

    def _is_phone(self, device: str) -> bool:
        return device in self.fake.phones

    async def answer(self, extension: str) -> None:
        self.fake.phone(extension).answer()

    async def hang_up(self, device: str) -> None:
        if self._is_phone(device):
            phone = self.fake.phone(device)
            if phone.channel_id is not None:  # an idle SIP phone put down sends nothing
                phone.hangup()
        else:
            self.fake.outside(device).hangup()

    async def dial(self, extension: str, number: str) -> None:
        self.fake.phone(extension).dial(number)

    async def press_digits(self, device: str, digits: str) -> None:
        if self._is_phone(device):
            self.fake.phone(device).press(digits)
        else:
            self.fake.outside(device).press(digits)

    async def hold(self, extension: str) -> None:
        self.fake.phone(extension).hold()

    async def unhold(self, extension: str) -> None:
        self.fake.phone(extension).unhold()

    async def unplug(self, extension: str) -> None:
        self.fake.phone(extension).registered = False

    async def incoming_call(self, caller: str, called: str) -> None:
        self.fake.inbound_call(caller, called)

    async def drop_link(self) -> None:
        self.fake.reachable = False
        await self.fake.drop_connections()

    async def restore_link(self) -> None:
        self.fake.reachable = True

    def _channel_id(self, device: str) -> str | None:
        if self._is_phone(device):
            return self.fake.phone(device).channel_id
        return self.fake.outside(device).channel_id

    def hears(self, listener: str, speaker: str) -> Hearing:
        """From the fake's bridges: parties in one bridge hear each other unless held;
        music on hold plays to a bridge or a channel; snoop channels carry what
        they spy to their own bridge, and whisper into their target (``_hears``)."""
        fake = self.fake
        lid, sid = self._channel_id(listener), self._channel_id(speaker)
        heard = fake.channels.get(lid) if lid else None
        speaking = fake.channels.get(sid) if sid else None
        if heard is None:
            return Hearing(hears=False, music=False)
        bridge = fake.bridges.get(heard.bridge) if heard.bridge else None
        music = heard.moh is not None or (bridge is not None and bridge.moh is not None)
        hears = speaking is not None and self._hears(heard, speaking, _SNOOP_DEPTH)
        return Hearing(hears=hears, music=music)

    def _hears(self, a: _Channel, b: _Channel, depth: int) -> bool:
        """Asterisk's snoop (``spy``/``whisper``: ``in`` is the audio the target sends,
        ``out`` the audio it receives, ``both`` both) over plain mixing bridges."""
        if a is b or depth <= 0 or a.bridge is None or b.bridge is None:
            return False
        channels = self.fake.channels
        # A snoop channel in a's bridge brings a what its target says or hears.
        for snoop in self._snoops_in(a.bridge):
            target_id, spy, _ = snoop.snoop or ("", "none", "none")
            target = channels.get(target_id)
            if target is None or a.held:
                continue
            if b is target and spy in ("in", "both"):
                return True
            if spy in ("out", "both") and b is not target and self._hears(target, b, depth - 1):
                return True
        # b speaks into a snoop in its own bridge, which whispers into its target.
        for snoop in self._snoops_in(b.bridge):
            target_id, _, whisper = snoop.snoop or ("", "none", "none")
            target = channels.get(target_id)
            if target is None or b.held:
                continue
            if a is target and whisper in ("out", "both"):
                return True
            if whisper in ("in", "both") and a is not target and self._hears(a, target, depth - 1):
                return True
        return (
            a.bridge == b.bridge and b.snoop is None and a.snoop is None and not (a.held or b.held)
        )

    def _snoops_in(self, bridge_id: str) -> list[_Channel]:
        bridge = self.fake.bridges.get(bridge_id)
        if bridge is None:
            return []
        found = [self.fake.channels.get(c) for c in bridge.channels]
        return [c for c in found if c is not None and c.snoop is not None]

    def digits_heard(self, device: str) -> str:
        party = self.fake.phone(device) if self._is_phone(device) else self.fake.outside(device)
        try:
            return "".join(party.digits_heard)
        except LookupError:
            return ""

    def message_waiting(self, extension: str) -> tuple[int, int]:
        return _fake_ari_mwi.lamp(self.fake, extension)
