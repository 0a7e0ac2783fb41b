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
        got = cc.sim.card.fax.finished[-1]
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


async def test_a_batch_of_twenty_with_busy_and_failing_numbers_retried(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path, retries=2, max_lines=4) as (cc, admin):
        await admin.call("MonitorStart", {"monitorObject": {"faxObject": "outbox"}})
        doc = await upload(cc, faximage.make_fax_tiff(["Notice to all branches"]))
        good = [f"55501{n:02d}3290" for n in range(16)]
        busy = ["5550200486", "5550201486"]  # a busy line, every time
        page_error = ["5550300003299", "5550301003299"]  # drops the line on page 2
        numbers = good[:8] + busy + good[8:] + page_error
        assert len(numbers) == 20
        reply = await admin.call(
            "fax.send", {"to": numbers, "documents": [doc["documentID"]], "retries": 2}
        )
        assert [f["to"] for f in reply["faxes"]] == numbers
        batch = reply["batchID"]
        fax = service(cc)
        await fax.wait_idle()
        found = (await admin.call("fax.search", {"batchID": batch, "limit": 50}))["faxes"]
        by_number = {row["remoteNumber"]: row for row in found}
        assert len(by_number) == 20
        for number in good:
            row = by_number[number]
            assert (row["state"], row["attempts"], row["pages"]) == ("completed", 1, 1)
        for number in busy:
            row = by_number[number]
            assert (row["state"], row["attempts"]) == ("failed", 3)
            assert row["resultText"] == "not reached: busy" and row["resultCode"] is None
        # A one-page document: a machine that fails on page 2 never sees it fail.
        for number in page_error:
            assert by_number[number]["state"] == "completed"
        events = [e["params"] for e in admin.events if e["method"] == "fax.failed"]
        retried = [e for e in events if e["willRetry"]]
        final = [e for e in events if not e["willRetry"]]
        assert len(retried) == 4 and len(final) == 2
        assert {e["remoteNumber"] for e in final} == set(busy)
        assert not fax.line_calls and not fax.active
        assert (fax.sent_total, fax.failed_total["out"]) == (18, 2)


async def test_a_page_error_mid_transfer_is_retried_then_fails_with_the_t30_result(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path, retries=1) as (cc, admin):
        await admin.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
        doc = await upload(cc, faximage.make_fax_tiff(["one", "two", "three"]))
        fax_id = (
            await admin.call("fax.send", {"to": "5550003299", "documents": [doc["documentID"]]})
        )["faxID"]
        first = await admin.event("fax.failed", faxID=fax_id)
        assert first["willRetry"] is True and first["pages"] == 1
        assert (first["resultCode"], first["resultText"]) == (
            21,
            "No response after sending a page",
        )
        last = await admin.event("fax.failed", faxID=fax_id)
        assert last["willRetry"] is False and last["attempt"] == 2
        row = await admin.call("fax.get", {"faxID": fax_id})
        assert (row["state"], row["attempts"], row["pages"], row["resultCode"]) == (
            "failed",
            2,
            1,
            21,
        )
        assert row["totalPages"] == 3


async def test_a_pdf_is_rendered_to_fax_resolution_by_ghostscript(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    pdf = faximage.tiff_to_pdf(faximage.make_fax_tiff(["A PDF page", "and another"]))
    async with centre(tmp_path) as (cc, _):
        doc = await upload(cc, pdf, name="letter")
        assert (doc["source"], doc["pages"]) == ("pdf", 2)
        status, headers, tiff = await cc.http(
            doc["download"]["tiff"], headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert status == 200 and headers["content-type"] == "image/tiff"
        info = faximage.tiff_info(tiff)
        assert info.pages == 2 and info.width == 1728
        assert info.resolution == (204.0, 196.0)
        assert all(p.mode == "1" for p in pages_of(tiff))


async def test_bad_uploads_and_requests_change_nothing(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path) as (cc, admin):
        auth = {"authorization": f"Bearer {ADMIN_TOKEN}"}
        status, _, body = await cc.http("/fax/documents", method="POST", headers=auth, body=b"hi")
        assert status == 400 and b"PDF or a TIFF" in body
        status, _, _ = await cc.http("/fax/documents", method="POST", body=b"%PDF-1.4")
        assert status == 401
        status, _, body = await cc.http(
            "/fax/documents", method="POST", headers=auth, body=b"%PDF-1.4 broken"
        )
        assert status == 400 and b"Ghostscript" in body
        await upload(cc, faximage.make_fax_tiff(["x"]), name="same")
        status, _, body = await cc.http(
            "/fax/documents?name=same",
            method="POST",
            headers=auth,
            body=faximage.make_fax_tiff(["y"]),
        )
        assert status == 409
        from ctid.testing import RpcErrorReply

        for params, code in (
            ({"to": "55x", "documents": ["same"]}, -32602),
            ({"to": "5551234", "documents": ["nope"]}, None),
            ({"to": [], "documents": ["same"]}, None),
            ({"to": "5551234", "documents": ["same"], "retries": 11}, -32602),
        ):
            try:
                await admin.call("fax.send", params)
            except RpcErrorReply as exc:
                if code is not None:
                    assert exc.code == code
            else:
                raise AssertionError(f"fax.send {params} was accepted")
        assert (await admin.call("fax.search", {}))["faxes"] == []
        status, _, _ = await cc.http("/fax/download?id=nope", headers=auth)
        assert status == 404


async def test_cancel_a_fax_waiting_for_its_retry(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path, retry_delay=600) as (cc, admin):
        await admin.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
        doc = await upload(cc, faximage.make_fax_tiff(["x"]))
        fax_id = (
            await admin.call("fax.send", {"to": "5550000486", "documents": [doc["documentID"]]})
        )["faxID"]
        await admin.event("fax.failed", faxID=fax_id, willRetry=True)
        assert (await admin.call("fax.cancel", {"faxID": fax_id}))["state"] == "cancelled"
        row = await admin.call("fax.get", {"faxID": fax_id})
        assert (row["state"], row["attempts"]) == ("cancelled", 1)
        await trio.sleep(700)
        assert (await admin.call("fax.get", {"faxID": fax_id}))["attempts"] == 1
