"""Conformance scenarios of fax on each switch: a fax number receives from a fax
machine, and ctid sends a document to one (docs/fax.md).

The far ends are the simulator's fax machines (numbers ending in 329x send three
pages); the fake Asterisk runs them behind its ``ctid-fax`` dialplan context and
res_fax's variables, the fake FreeSWITCH behind ``rxfax``/``txfax`` and
mod_spandsp's events.
"""

from __future__ import annotations

from typing import Any, Final

import trio

from ... import faximage
from ...switch_drivers.base import Capability
from ..harness import ADMIN_TOKEN
from .run import ScenarioRun, scenario

__all__: list[str] = []

FAX_NUMBER: Final = "4008003290"
MACHINE: Final = "5551113290"
FAX: Final[dict[str, Any]] = {
    "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
    "fax": {"numbers": {FAX_NUMBER: "orders"}, "retries": 0},
}


#: A number whose calls run the flow ``fax_flows/faxin.json`` (a faxReceive node).
IVR_NUMBER: Final = "4008000001"
#: A number whose calls run ``fax_flows/front.json`` (a menu; CNG goes to reception).
FRONT_NUMBER: Final = "4008000002"
IVR_FAX: Final[dict[str, Any]] = {
    **FAX,
    "ivr": {"flows_dir": "package:ctid.testing.conformance/fax_flows", "tts": "silent"},
    "routing": {
        "rules": [
            {"name": "faxin", "dnis": [IVR_NUMBER], "destination": {"flow": "faxin"}},
            {"name": "front", "dnis": [FRONT_NUMBER], "destination": {"flow": "front"}},
        ]
    },
}


def _fax_dir(run: ScenarioRun) -> Any:
    return run.cc.app.api.services["fax"].directory


@scenario(Capability.FAX, config=FAX)
async def fax_number_receives_three_pages(run: ScenarioRun) -> None:
    """A fax machine calls a fax number: answered, three pages received, filed as a TIFF."""
    mon = run.observer
    await mon.call("MonitorStart", {"monitorObject": {"faxObject": "orders"}})
    await run.switch.incoming_call(MACHINE, FAX_NUMBER)
    await run.received(mon, "fax.received")
    got = next(e for e in mon.take() if e["_name"] == "fax.received")
    assert (got["direction"], got["pages"], got["resultCode"], got["resultText"]) == (
        "in",
        3,
        0,
        "OK",
    )
    assert got["remoteNumber"] == MACHINE
    row = await mon.call("fax.get", {"faxID": got["faxID"]})
    assert (row["state"], row["pages"], row["mailbox"]) == ("completed", 3, "orders")
    (tiff,) = list((_fax_dir(run) / "in").rglob("*.tif"))
    info = faximage.tiff_info(tiff)
    assert (info.pages, info.width, info.resolution) == (3, 1728, (204.0, 196.0))
    await run.settle()


@scenario(Capability.FAX, config=FAX)
async def fax_sent_to_a_fax_machine(run: ScenarioRun) -> None:
    """fax.send of a two-page document: dialled, answered, sent, fax.completed."""
    mon = run.observer
    await mon.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
    status, _, body = await run.cc.http(
        "/fax/documents?name=terms",
        method="POST",
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        body=faximage.make_fax_tiff(["Terms, page 1", "Terms, page 2"]),
    )
    assert status == 201, body
    sent = await mon.call("fax.send", {"to": "5552223290", "documents": ["terms"]})
    await run.received(mon, "fax.completed")
    done = next(e for e in mon.take() if e["_name"] == "fax.completed")
    assert (done["faxID"], done["pages"], done["totalPages"]) == (sent["faxID"], 2, 2)
    row = await mon.call("fax.get", {"faxID": sent["faxID"]})
    assert (row["state"], row["attempts"], row["resultCode"]) == ("completed", 1, 0)
    await run.settle()


@scenario(Capability.FAX, config=IVR_FAX)
async def fax_cancel_stops_a_reception_in_an_ivr(run: ScenarioRun) -> None:
    """fax.cancel of a fax an IVR is receiving: the switch stops the transfer (on
    Asterisk, whose fax runs in the dialplan, by hanging the channel up); the fax ends
    ``cancelled`` with "The call dropped prematurely" (49) and no image."""
    mon = run.observer
    await mon.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
    await run.switch.incoming_call(MACHINE, IVR_NUMBER)
    # Well into the first page (6 s of phase B, then the page at 9,600 bit/s).
    await trio.sleep(8)
    fax = run.cc.app.api.services["fax"]
    (fax_id,) = list(fax.active)
    reply = await mon.call("fax.cancel", {"faxID": fax_id})
    assert reply == {"faxID": fax_id, "state": "receiving"}
    await run.received(mon, "fax.failed")
    ended = next(e for e in mon.take() if e["_name"] == "fax.failed")
    assert (ended["faxID"], ended["state"], ended["willRetry"]) == (fax_id, "cancelled", False)
    assert (ended["resultCode"], ended["resultText"]) == (49, "The call dropped prematurely")
    row = await mon.call("fax.get", {"faxID": fax_id})
    assert (row["state"], row["download"]) == ("cancelled", None)
    # The switch has nothing of the fax left (its transfer stopped there, not only in ctid).
    await trio.sleep(60)
    await run.settle()
    assert not run.cc.app.driver.held_objects().get("faxes")


@scenario(Capability.FAX, Capability.FAX_TONE, config=IVR_FAX)
async def fax_tone_switches_a_menu_to_reception(run: ScenarioRun) -> None:
    """A fax machine calls a menu: the switch hears its CNG and reports it, the flow's
    ``on_fax`` takes it to reception at once (the menu waits 30 s for a key)."""
    mon = run.observer
    await mon.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
    await run.switch.incoming_call(MACHINE, FRONT_NUMBER)
    await run.received(mon, "fax.received")
    got = next(e for e in mon.take() if e["_name"] == "fax.received")
    assert (got["direction"], got["pages"], got["mailbox"]) == ("in", 3, "orders")
    # Without the tone the menu (no key pressed) would have hung up: nothing received.
    await run.settle()
