"""Faxes after the fact: tags, the call record's link, retention of both directions."""

from __future__ import annotations

from pathlib import Path

import trio

from ctid import faximage
from ctid.testing import RpcErrorReply

from ..records.test_metrics import get, parse, scraper, value
from .test_fax_send import centre, service, upload


async def test_tags_are_added_searched_and_checked(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path) as (cc, admin):
        await upload(cc, faximage.make_fax_tiff(["x"]), name="x")
        one = (await admin.call("fax.send", {"to": "5550013290", "documents": ["x"]}))["faxID"]
        two = (await admin.call("fax.send", {"to": "5550023290", "documents": ["x"]}))["faxID"]
        # In progress: tags go on at once.
        assert await admin.call("fax.tag", {"faxID": one, "tags": ["invoice", "acme"]}) == {
            "faxID": one,
            "tags": ["invoice", "acme"],
        }
        await service(cc).wait_idle()
        # Finished: added to those it has, each once.
        assert await admin.call("fax.tag", {"faxID": one, "tags": ["acme", "paid"]}) == {
            "faxID": one,
            "tags": ["invoice", "acme", "paid"],
        }
        await admin.call("fax.tag", {"faxID": two, "tags": ["invoice"]})
        row = await admin.call("fax.get", {"faxID": one})
        assert row["tags"] == ["invoice", "acme", "paid"] and row["state"] == "completed"
        found = await admin.call("fax.search", {"tags": ["invoice"]})
        assert [f["faxID"] for f in found["faxes"]] == [two, one]
        found = await admin.call("fax.search", {"tags": ["invoice", "paid"]})
        assert [f["faxID"] for f in found["faxes"]] == [one]
        for params, code, reason in (
            ({"faxID": "nope", "tags": ["a"]}, -32006, "no-such-fax"),
            ({"faxID": one, "tags": [""]}, -32602, None),
            ({"faxID": one, "tags": ["x" * 65]}, -32602, None),
            ({"faxID": one, "tags": [f"t{n}" for n in range(30)]}, -32602, None),
        ):
            try:
                await admin.call("fax.tag", params)
            except RpcErrorReply as exc:
                assert exc.code == code
                if reason is not None:
                    assert exc.data["reason"] == reason
            else:
                raise AssertionError(f"fax.tag {params} was accepted")
        assert (await admin.call("fax.get", {"faxID": one}))["tags"] == ["invoice", "acme", "paid"]


async def test_the_call_record_names_the_fax(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path, numbers={"4008003290": "orders"}) as (cc, admin):
        await upload(cc, faximage.make_fax_tiff(["x"]), name="x")
        sent = (await admin.call("fax.send", {"to": "5550013290", "documents": ["x"]}))["faxID"]
        await admin.call(
            "sim.incomingCall", {"callingNumber": "5554443290", "calledNumber": "4008003290"}
        )
        await service(cc).wait_idle()
        await trio.sleep(10)  # the calls end and their records are written
        records = cc.app.api.services["records"]
        await records.wait_committed()
        sent_row = await admin.call("fax.get", {"faxID": sent})
        got = (await admin.call("fax.search", {"direction": "in"}))["faxes"][0]
        for fax in (sent_row, got):
            record = await admin.call("records.get", {"callID": fax["callID"]})
            assert record["faxID"] == fax["faxID"]
        found = (await admin.call("records.search", {}))["records"]
        assert sorted((r["callID"], r["faxID"]) for r in found) == sorted(
            [(sent_row["callID"], sent), (got["callID"], got["faxID"])]
        )
        assert {r["direction"] for r in found} == {"inbound", "outbound"}


async def test_retention_deletes_received_and_sent_faxes_but_keeps_important_ones(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(
        tmp_path, retention_days=1, retention_interval=3600, numbers={"4008003290": "orders"}
    ) as (cc, admin):
        fax = service(cc)
        await upload(cc, faximage.make_fax_tiff(["x"]), name="x")
        await admin.call(
            "sim.incomingCall", {"callingNumber": "5554443290", "calledNumber": "4008003290"}
        )
        batch = await admin.call(
            "fax.send", {"to": ["5550013290", "5550023290"], "documents": ["x"]}
        )
        single = (await admin.call("fax.send", {"to": "5550033290", "documents": ["x"]}))["faxID"]
        await fax.wait_idle()
        kept, dropped = (f["faxID"] for f in batch["faxes"])
        await admin.call("fax.tag", {"faxID": kept, "tags": ["important"]})
        got = (await admin.call("fax.search", {"direction": "in"}))["faxes"][0]["faxID"]
        rows = {
            fax_id: await admin.call("fax.get", {"faxID": fax_id})
            for fax_id in (got, kept, dropped, single)
        }
        on_disk = sorted(
            p.relative_to(fax.directory).as_posix() for p in fax.directory.rglob("*.tif")
        )
        assert len(on_disk) == 4  # the document, the received fax, the batch's image, the single's
        await trio.sleep(2 * 86400)
        await fax.wait_written()
        for fax_id in (got, dropped, single):
            row = await admin.call("fax.get", {"faxID": fax_id})
            assert (row["state"], row["download"]) == ("deleted", None)
        row = await admin.call("fax.get", {"faxID": kept})
        assert row["state"] == "completed" and row["download"] is not None
        left = sorted(p.relative_to(fax.directory).as_posix() for p in fax.directory.rglob("*.tif"))
        # The document stays; the batch's image stays with its important fax.
        assert len(left) == 2 and left[0].startswith("documents/") and left[1].startswith("out/")
        assert rows[kept]["download"] is not None
        assert fax.deleted_total == {"in": 1, "out": 2}
        status, text = await get(scraper(cc), "/metrics")
        samples = parse(text)
        assert status == 200
        assert value(samples, "ctid_faxes_deleted_total", direction="in") == 1
        assert value(samples, "ctid_faxes_deleted_total", direction="out") == 2
        assert value(samples, "ctid_faxes_total", direction="out", result="completed") == 3
        searched = await admin.call("fax.search", {})
        assert [f["faxID"] for f in searched["faxes"]] == [kept]
