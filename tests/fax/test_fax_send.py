"""Fax on the simulator, end to end: upload, send with retries, batches, events, download."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import trio
from PIL import Image, ImageSequence

from ctid import faximage
from ctid.fax.service import FaxService
from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config
from ctid.testing.harness import ADMIN_TOKEN


def config(state: Path, **fax: Any) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(state)},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
            "fax": {"retry_delay": 30, **fax},
        }
    )


@asynccontextmanager
async def centre(state: Path, **fax: Any) -> AsyncIterator[tuple[CallCentre, RpcTestClient]]:
    async with call_centre(config(state, **fax)) as cc:
        yield cc, await cc.client()


def service(cc: CallCentre) -> FaxService:
    fax = cc.app.api.services["fax"]
    assert isinstance(fax, FaxService)
    return fax


async def upload(cc: CallCentre, data: bytes, name: str | None = None) -> dict[str, Any]:
    import json

    target = "/fax/documents" + (f"?name={name}" if name else "")
    status, _, body = await cc.http(
        target, method="POST", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, body=data
    )
    assert status == 201, body
    reply: dict[str, Any] = json.loads(body)
    return reply


def pages_of(data: bytes) -> list[Image.Image]:
    image = Image.open(io.BytesIO(data))
    return [frame.copy() for frame in ImageSequence.Iterator(image)]


async def test_send_a_two_page_tiff_to_a_fax_machine(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path) as (cc, admin):
        await admin.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
        doc = await upload(cc, faximage.make_fax_tiff(["Price list", "Terms"]), name="prices")
        assert doc["pages"] == 2 and doc["source"] == "tiff" and doc["name"] == "prices"
        sent = await admin.call("fax.send", {"to": "5553290", "documents": ["prices"]})
        fax_id = sent["faxID"]
        p = await admin.event("fax.completed")
        progress = [e for e in admin.events if e["method"] == "fax.progress"]
        assert [e["params"]["pages"] for e in progress] == [1, 2]
        assert p["faxID"] == fax_id and p["pages"] == 2 and p["resultCode"] == 0
        assert p["resultText"] == "OK" and p["remoteNumber"] == "5553290"
        row = await admin.call("fax.get", {"faxID": fax_id})
        assert row["state"] == "completed" and row["pages"] == 2 and row["attempts"] == 1
        assert row["remoteStationID"] == "5553290" and row["bitRate"] == 9600
        assert row["documents"] == [doc["documentID"]]
        # The simulated machine got both pages at 9,600 bit/s.
        got = cc.sim.card.finished_faxes[-1]
        assert got.pages_done == 2 and got.direction == "send"
        assert got.ended_at is not None
        assert got.ended_at - got.started_at >= 6.0 + sum(got.page_bytes) * 8 / 9600
        status, headers, pdf = await cc.http(
            row["download"]["pdf"], headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert status == 200 and headers["content-type"] == "application/pdf"
        assert (
            pdf.startswith(b"%PDF-")
            and pdf.count(b"/Type /Page\n")
            + pdf.count(b"/Type /Page\r")
            + pdf.count(b"/Type /Page ")
            >= 1
        )
        status, _, tiff = await cc.http(
            row["download"]["tiff"], headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert status == 200 and len(pages_of(tiff)) == 2
        await service(cc).wait_idle()
        assert cc.sim.held_objects()["faxes"] == 0
