"""Conformance scenarios of fax on each switch: a fax number receives from a fax
machine, and ctid sends a document to one (docs/fax.md).

The far ends are the simulator's fax machines (numbers ending in 329x send three
pages); the fake Asterisk runs them behind its ``ctid-fax`` dialplan context and
res_fax's variables, the fake FreeSWITCH behind ``rxfax``/``txfax`` and
mod_spandsp's events.
"""

from __future__ import annotations

from typing import Any, Final

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
