"""Faxes after the fact: tags, the call record's link, retention of both directions."""

from __future__ import annotations

from pathlib import Path

import trio

from ctid import faximage
from ctid.testing import RpcErrorReply
from ctid.testing.harness import ADMIN_TOKEN

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


async def test_export_and_import_round_trip_into_a_fresh_state_directory(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    from ctid.cli import main

    source = tmp_path / "source"
    auth = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    async with centre(source, numbers={"4008003290": "orders"}) as (cc, admin):
        fax = service(cc)
        await upload(cc, faximage.make_fax_tiff(["p1", "p2"]), name="terms")
        await admin.call(
            "sim.incomingCall", {"callingNumber": "5554443290", "calledNumber": "4008003290"}
        )
        await admin.call("fax.send", {"to": ["5550013290", "5550023290"], "documents": ["terms"]})
        await fax.wait_idle()
        await trio.sleep(86400)  # the next day: outside the exported range
        late = (await admin.call("fax.send", {"to": "5550033290", "documents": ["terms"]}))["faxID"]
        await fax.wait_idle()
        await trio.sleep(10)
        await cc.app.api.services["records"].wait_committed()
        before = (await admin.call("fax.search", {"to": "2027-01-16T00:00:00Z"}))["faxes"]
        images = {}
        for row in before:
            status, _, body = await cc.http(row["download"]["tiff"], headers=auth)
            assert status == 200
            images[row["faxID"]] = body
        records_before = {
            row["callID"]: await admin.call("records.get", {"callID": row["callID"]})
            for row in before
        }
    assert len(before) == 3 and late not in {row["faxID"] for row in before}
    for path, state in (
        (tmp_path / "source.toml", source),
        (tmp_path / "dest.toml", tmp_path / "dest"),
    ):
        path.write_text(f'[server]\nstate_dir = "{state}"\n[records]\nfsync = false\n')
    archive = tmp_path / "faxes.tar"
    export = ["fax", "export", "--config", str(tmp_path / "source.toml")]
    export += ["--from", "2027-01-15", "--to", "2027-01-16", "--out", str(archive)]
    assert main(export) == 0
    assert not (tmp_path / "dest").exists()
    restore = ["fax", "import", "--config", str(tmp_path / "dest.toml"), str(archive)]
    assert main(restore) == 0
    assert main(restore) == 0  # again: nothing changes
    async with centre(tmp_path / "dest") as (cc, admin):
        after = (await admin.call("fax.search", {}))["faxes"]
        assert after == before
        for row in after:
            status, _, body = await cc.http(row["download"]["tiff"], headers=auth)
            assert (status, body) == (200, images[row["faxID"]])
            assert (
                await admin.call("records.get", {"callID": row["callID"]})
                == (records_before[row["callID"]])
            )
        # The documents the faxes were made of came back too, name and all.
        status, _, _ = await cc.http("/fax/download?document=terms", headers=auth)
        assert status == 200
    broken = tmp_path / "not-an-archive.tar"
    broken.write_bytes(b"nothing")
    assert main(["fax", "import", "--config", str(tmp_path / "dest.toml"), str(broken)]) == 2
