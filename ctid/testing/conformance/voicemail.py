"""Conformance scenario of voicemail's message-waiting lamps on a switch.

A caller routed to a number's mailbox leaves a message through the IVR; the
mailbox's phone lights its lamp (one new message), ``voicemail.markHeard`` turns
it into one old message (the lamp goes out) and ``voicemail.delete`` clears the
display. The lamp is read from the switch itself (``SwitchHarness.message_waiting``):
the simulator's phone, the fake Asterisk's external MWI mailbox that the phone's
PJSIP endpoint lists, the fake FreeSWITCH's ``MESSAGE_WAITING`` to mod_sofia.
"""

from __future__ import annotations

from typing import Any, Final

import trio

from ...switch_drivers.base import Capability
from .harness import CALLER
from .run import ScenarioRun, scenario

__all__: list[str] = []

#: The number whose mailbox the caller reaches, and the phone showing it.
DNIS: Final = "4003"
PHONE: Final = "1002"
MAILBOX: Final = f"number:{PHONE}"
VOICEMAIL: Final[dict[str, Any]] = {
    "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
    "ivr": {"tts": "silent", "timezone": "UTC"},
    "routing": {"rules": [{"name": "vm", "dnis": [DNIS], "destination": {"voicemail": MAILBOX}}]},
}


async def _lamp(run: ScenarioRun, shown: tuple[int, int]) -> None:
    """Once ctid and the switch are idle, the phone shows ``shown``."""
    await run.settle()
    got = run.switch.message_waiting(PHONE)
    assert got == shown, f"lamp of {PHONE}: {got}, expected {shown}"


@scenario(Capability.MESSAGE_WAITING, Capability.RECORDING, config=VOICEMAIL)
async def voicemail_lights_the_lamp(run: ScenarioRun) -> None:
    """A message left through the IVR lights the mailbox phone's lamp; heard, the lamp
    goes out (one old message); deleted, the display is clear."""
    assert PHONE in run.switch.extensions
    assert run.switch.message_waiting(PHONE) == (0, 0)
    mon = await run.watch()
    await mon.call("MonitorStart", {"monitorObject": {"mailboxObject": MAILBOX}})
    await run.switch.incoming_call(CALLER, DNIS)
    await run.settle()
    await trio.sleep(4)  # the caller speaks after the tone...
    await run.switch.press_digits(CALLER, "#")  # ...and presses # to finish
    await run.received(mon, "voicemail.new")
    new = await mon.event("voicemail.new")
    assert (new["mailbox"], new["newMessages"], new["oldMessages"]) == (MAILBOX, 1, 0)
    await _lamp(run, (1, 0))
    listing = await mon.call("voicemail.list", {"mailbox": MAILBOX})
    (message,) = listing["messages"]
    assert message["messageID"] == new["messageID"]
    assert (listing["newMessages"], listing["oldMessages"]) == (1, 0)
    await mon.call("voicemail.markHeard", {"messageID": message["messageID"]})
    await _lamp(run, (0, 1))
    await mon.call("voicemail.delete", {"messageID": message["messageID"]})
    await _lamp(run, (0, 0))
    # The IVR said goodbye and hung up: no call is left.
    await run.settle()
    assert not run.cc.app.model.calls
