"""Fax in IVR flows and on fax numbers, on the simulator and trio's mock clock."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import trio
from PIL import Image, ImageSequence

from ctid import faximage
from ctid.fax.service import FACT_FAXES, FaxService
from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config
from ctid.testing.harness import ADMIN_TOKEN

FAX_DID = "4008003290"
AUTH = {"authorization": f"Bearer {ADMIN_TOKEN}"}


def receive_flow(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "start": "greet",
        "nodes": {
            "greet": {"type": "play", "prompt": "Send your order now.", "next": "take"},
            "take": {
                "type": "faxReceive",
                "mailbox": "orders",
                "variable": "fax",
                "next": "thanks",
                "on_failure": "sorry",
            },
            "thanks": {"type": "hangup", "prompt": "Thank you."},
            "sorry": {"type": "hangup", "prompt": "Sorry, no fax arrived."},
        },
    }
    doc.update(changes)
    return doc


def config(tmp_path: Path, flows: dict[str, dict[str, Any]], **fax: Any) -> Any:
    folder = tmp_path / "flows"
    folder.mkdir(exist_ok=True)
    for name, doc in flows.items():
        (folder / f"{name}.json").write_text(json.dumps(doc), encoding="utf-8")
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path / "state")},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
            "ivr": {"flows_dir": str(folder), "tts": "silent"},
            "routing": {
                "rules": [
                    {"name": name, "dnis": [f"40080{i:05d}"], "destination": {"flow": name}}
                    for i, name in enumerate(sorted(flows))
                ]
            },
            "fax": fax,
        }
    )


@asynccontextmanager
async def centre(
    tmp_path: Path, flows: dict[str, dict[str, Any]], **fax: Any
) -> AsyncIterator[tuple[CallCentre, RpcTestClient]]:
    async with call_centre(config(tmp_path, flows, **fax)) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
        yield cc, admin


def number_of(flows: dict[str, Any], name: str) -> str:
    return f"40080{sorted(flows).index(name):05d}"


async def fetch(cc: CallCentre, target: str) -> bytes:
    status, _, body = await cc.http(target, headers=AUTH)
    assert status == 200, body
    return body


def pages_of(data: bytes) -> list[Image.Image]:
    image = Image.open(io.BytesIO(data))
    return [frame.copy() for frame in ImageSequence.Iterator(image)]


async def test_receive_a_three_page_fax_through_an_ivr(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    flows = {"faxin": receive_flow()}
    async with centre(tmp_path, flows) as (cc, admin):
        caller = "5551113290"  # a simulated fax machine: three pages
        call_id = str(
            (
                await admin.call(
                    "sim.incomingCall",
                    {"callingNumber": caller, "calledNumber": number_of(flows, "faxin")},
                )
            )["callID"]
        )
        got = await admin.event("fax.received")
        assert got["direction"] == "in" and got["mailbox"] == "orders"
        assert (got["pages"], got["resultCode"], got["resultText"]) == (3, 0, "OK")
        assert got["remoteNumber"] == caller and got["callID"] == call_id
        progress = [e["params"]["pages"] for e in admin.events if e["method"] == "fax.progress"]
        assert progress == [1, 2, 3]
        row = await admin.call("fax.get", {"faxID": got["faxID"]})
        assert row["state"] == "completed" and row["totalPages"] == 3
        assert row["callID"] == call_id and row["sizeBytes"] > 0
        tiff = await fetch(cc, row["download"]["tiff"])
        info = faximage.tiff_info(tiff)
        assert (info.pages, info.width, info.resolution) == (3, 1728, (204.0, 196.0))
        assert all(page.mode == "1" for page in pages_of(tiff))
        pdf = await fetch(cc, row["download"]["pdf"])
        assert pdf.startswith(b"%PDF-")
        on_disk = tmp_path / "state" / "faxes" / "in"
        assert [p.name for p in on_disk.rglob("*.tif")] == [f"{got['faxID']}.tif"]
        # The machine hangs up after the fax; the flow had thanked it.
        await trio.sleep(5)
        assert call_id not in cc.app.model.calls
        fax = cc.app.api.services["fax"]
        assert isinstance(fax, FaxService)
        assert (fax.received_total, fax.pages_total["in"]) == (1, 3)


async def test_a_caller_who_sends_no_fax_takes_the_failure_branch(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    flows = {"faxin": receive_flow()}
    async with centre(tmp_path, flows) as (_cc, admin):
        await admin.call(
            "sim.incomingCall",
            {"callingNumber": "5550001111", "calledNumber": number_of(flows, "faxin")},
        )
        failed = await admin.event("fax.failed")
        assert (failed["resultCode"], failed["resultText"]) == (
            2,
            "Timed out waiting for initial communication",
        )
        assert failed["pages"] == 0 and failed["willRetry"] is False


async def test_fax_back_of_a_document_chosen_in_a_menu(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    flows = {
        "faxback": {
            "start": "menu",
            "nodes": {
                "menu": {
                    "type": "menu",
                    "prompt": "Price list 1, terms 2.",
                    "choices": {"1": "send", "2": "send"},
                    "store": "choice",
                    "on_failure": "bye",
                },
                "send": {
                    "type": "faxSend",
                    "prompt": "Press start on your fax machine.",
                    "document": "doc-${choice}",
                    "header": "Example Trading",
                    "variable": "sent",
                    "next": "bye",
                },
                "bye": {"type": "hangup"},
            },
        }
    }
    async with centre(tmp_path, flows) as (cc, admin):
        for n, texts in ((1, ["Prices"]), (2, ["Terms 1", "Terms 2"])):
            status, _, body = await cc.http(
                f"/fax/documents?name=doc-{n}",
                method="POST",
                headers=AUTH,
                body=faximage.make_fax_tiff(texts),
            )
            assert status == 201, body
        caller = "5552223290"
        await admin.call(
            "sim.incomingCall",
            {"callingNumber": caller, "calledNumber": number_of(flows, "faxback")},
        )
        await trio.sleep(3)
        cc.sim.press_digits(caller, "2")
        done = await admin.event("fax.completed")
        assert (done["direction"], done["pages"], done["totalPages"]) == ("out", 2, 2)
        assert done["remoteNumber"] == caller and done["mailbox"] == "ivr"
        row = await admin.call("fax.get", {"faxID": done["faxID"]})
        assert row["header"] == "Example Trading" and row["attempts"] == 1
        sent = cc.sim.card.fax.finished[-1]
        assert (sent.direction, sent.pages_done, sent.number) == ("send", 2, caller)


async def test_the_fax_tone_switches_a_menu_to_reception(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    flows = {
        "front": receive_flow(
            start="menu",
            on_fax="take",
            nodes={
                **{k: v for k, v in receive_flow()["nodes"].items() if k != "greet"},
                "menu": {
                    "type": "menu",
                    "prompt": "For sales press 1.",
                    "choices": {"1": "thanks"},
                    "timeout": 30,
                    "on_failure": "thanks",
                },
            },
        )
    }
    async with centre(tmp_path, flows) as (_cc, admin):
        caller = "5553333290"
        call_id = str(
            (
                await admin.call(
                    "sim.incomingCall",
                    {"callingNumber": caller, "calledNumber": number_of(flows, "front")},
                )
            )["callID"]
        )
        got = await admin.event("fax.received")
        assert got["pages"] == 3 and got["callID"] == call_id
        # Heard 1 s after the answer: the menu (30 s to answer) was left at once.
        assert trio.current_time() < 30


async def test_a_fax_number_receives_without_a_flow_and_links_the_call(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path, {"faxin": receive_flow()}, numbers={FAX_DID: "sales"}) as (
        cc,
        admin,
    ):
        mailbox = await cc.client()
        await mailbox.call("MonitorStart", {"monitorObject": {"faxObject": "sales"}})
        ended: list[Any] = []
        cc.app.calls.notice_sinks.append(
            lambda n: ended.append(n) if type(n).__name__ == "CallEnded" else None
        )
        await admin.call(
            "sim.incomingCall", {"callingNumber": "5554443290", "calledNumber": FAX_DID}
        )
        got = await mailbox.event("fax.received")
        assert got["mailbox"] == "sales" and got["pages"] == 3
        await trio.sleep(5)
        assert ended and ended[-1].facts[FACT_FAXES] == [got["faxID"]]
        found = (await admin.call("fax.search", {"mailbox": "sales", "direction": "in"}))["faxes"]
        assert [f["faxID"] for f in found] == [got["faxID"]]


async def test_ivr_validate_flow_knows_the_fax_nodes(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    flows = {"faxin": receive_flow()}
    async with centre(tmp_path, flows) as (_, admin):

        async def check(doc: dict[str, Any]) -> list[str]:
            reply = await admin.call(
                "ivr.validateFlow", {"body": json.dumps(doc), "format": "json"}
            )
            return [p["problem"] for p in reply["problems"]]

        assert await check(receive_flow(on_fax="take")) == []
        send_without_document = receive_flow()
        send_without_document["nodes"]["take"] = {"type": "faxSend", "next": "thanks"}
        assert any("document" in p for p in await check(send_without_document))
        assert await check(receive_flow(on_fax="nowhere")) == ["on_fax: no node 'nowhere'"]
        undefined = receive_flow()
        undefined["nodes"]["take"] = {
            "type": "faxSend",
            "document": "doc-${choice}",
            "next": "thanks",
            "on_failure": "sorry",
        }
        assert await check(undefined) == ["document: undefined variable ${choice}"]
