"""A fax on a line when ctid is killed goes on when its call is still up after the restart.

The simulator lives on across the two daemons (as a switch does across ctid's
restart): the fax goes on on the simulated line meanwhile, and its result, when
the switch reports it, is taken by the new run as if nothing happened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import trio

from ctid import faximage
from ctid.fax.recover import INTERRUPTED
from ctid.fax.resume import RESULT_GRACE
from ctid.fax.service import FaxService
from ctid.switch_drivers.simulator.driver import SimulatorDriver, config_from_section
from ctid.testing import call_centre, sim_config
from ctid.testing.conformance.freeswitch import FakeFreeSwitchHarness
from ctid.testing.conformance.run import conformance_config
from ctid.testing.harness import ANCHOR_WALL

from ..fax.test_fax_send import upload
from .restart import DEADLINE, EventTap, daemon, store_of

FAX_NUMBER = "4008003290"


def config(state: Path) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(state)},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
            "fax": {"numbers": {FAX_NUMBER: "orders"}, "retries": 0},
        }
    )


def fax_of(cc: Any) -> FaxService:
    service = cc.app.api.services["fax"]
    assert isinstance(service, FaxService)
    return service


async def test_faxes_on_a_line_finish_after_a_kill_and_a_restart(
    tmp_path: Path, autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tap = EventTap(monkeypatch)
    cfg = config(tmp_path)
    sim_cfg, sounds = config_from_section(dict(cfg.driver_section))
    sim = SimulatorDriver(sim_cfg, sounds_dir=sounds)
    async with daemon(cfg, driver=sim) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
        await upload(cc, faximage.make_fax_tiff(["one", "two", "three"]), name="doc")
        sent = await admin.call("fax.send", {"to": "5550013290", "documents": ["doc"]})
        out_id = sent["faxID"]
        await admin.call(
            "sim.incomingCall", {"callingNumber": "5554443290", "calledNumber": FAX_NUMBER}
        )
        await admin.event("fax.progress", faxID=out_id, pages=1)
        in_id = next(
            e["params"]["faxID"]
            for e in admin.events
            if e["method"] == "fax.progress" and e["params"]["direction"] == "in"
        )
        before = {fid: (await admin.call("fax.get", {"faxID": fid})) for fid in (out_id, in_id)}
        await fax_of(cc).wait_written()
        await store_of(cc).flush()
        assert set(store_of(cc).load("fax")) == set()  # loaded at start: empty then
        # kill -9: the context ends without the services' graceful stop.
    assert before[out_id]["state"] == "sending" and before[in_id]["state"] == "receiving"
    tap.events.clear()
    await trio.sleep(5)
    async with daemon(cfg, driver=sim) as cc:
        admin = await cc.client()
        fax = fax_of(cc)
        # Both were kept on their line, and are taken back, not closed.
        assert set(store_of(cc).load("fax")) == {out_id, in_id}
        assert tap.named("fax.failed") == []
        assert set(fax.active) == {out_id, in_id}
        await fax.wait_idle()
        after = {fid: (await admin.call("fax.get", {"faxID": fid})) for fid in (out_id, in_id)}
        await store_of(cc).flush()
    completed = {e["faxID"]: e for e in tap.named("fax.completed")}
    received = {e["faxID"]: e for e in tap.named("fax.received")}
    assert set(completed) == {out_id} and set(received) == {in_id}
    assert tap.named("fax.failed") == []
    for event in (completed[out_id], received[in_id]):
        assert (event["pages"], event["resultCode"], event["resultText"]) == (3, 0, "OK")
    for fid in (out_id, in_id):
        row = after[fid]
        assert (row["state"], row["pages"], row["resultCode"]) == ("completed", 3, 0)
        assert row["callID"] == before[fid]["callID"]
        assert row["attempts"] == 1 and row["download"] is not None
        assert row["createdAt"] == before[fid]["createdAt"]
    # The received image is the whole fax the machine sent.
    path = fax.directory / "in"
    [tif] = list(path.rglob(f"{in_id}.tif"))
    assert len(faximage.tiff_info(tif.read_bytes()).page_bytes) == 3
    assert fax.received_total == 1 and fax.sent_total == 1
    # Nothing of them is left in the live state.
    async with daemon(cfg, driver=sim) as cc:
        assert store_of(cc).load("fax") == {}
        assert fax_of(cc).active == {}


async def test_a_fax_on_a_line_finishes_after_a_restart_on_the_fake_freeswitch(
    tmp_path: Path, autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mod_spandsp names the fax in its result event (``variable_ctid_fax_id``), so the
    restarted driver maps the result of a fax the killed run started."""
    tap = EventTap(monkeypatch)
    harness = FakeFreeSwitchHarness()
    with trio.fail_after(DEADLINE):
        async with trio.open_nursery() as nursery:
            await harness.start(nursery)
            cfg = conformance_config(
                harness.build_driver(),
                {
                    "server": {"state_dir": str(tmp_path)},
                    "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
                    "fax": {"numbers": {FAX_NUMBER: "orders"}},
                },
            )
            async with call_centre(
                cfg, driver=harness.build_driver(), anchor_wall=ANCHOR_WALL + trio.current_time()
            ) as cc:
                admin = await cc.client()
                await admin.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
                await harness.incoming_call("5554443290", FAX_NUMBER)
                first = await admin.event("fax.progress", pages=1)
                fax_id = first["faxID"]
                await fax_of(cc).wait_written()
                await store_of(cc).flush()
            tap.events.clear()
            await trio.sleep(2)
            async with call_centre(
                cfg, driver=harness.build_driver(), anchor_wall=ANCHOR_WALL + trio.current_time()
            ) as cc:
                admin = await cc.client()
                fax = fax_of(cc)
                assert set(fax.active) == {fax_id}
                await fax.wait_idle()
                row = await admin.call("fax.get", {"faxID": fax_id})
            nursery.cancel_scope.cancel()
    assert tap.named("fax.failed") == []
    [received] = tap.named("fax.received")
    assert (received["faxID"], received["pages"], received["resultCode"]) == (fax_id, 3, 0)
    assert (row["state"], row["pages"], row["direction"]) == ("completed", 3, "in")
    assert row["callID"] == first["callID"] and row["download"] is not None


async def test_a_fax_taken_back_whose_switch_never_reports_is_closed_when_its_call_ends(
    tmp_path: Path, autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A switch that lost track of the fax across the restart (as Asterisk's restarted
    driver does) never reports it: once its call ends, the fax is closed interrupted
    ``RESULT_GRACE`` seconds later, not left in progress for ever."""
    tap = EventTap(monkeypatch)
    cfg = config(tmp_path)
    sim_cfg, sounds = config_from_section(dict(cfg.driver_section))
    sim = SimulatorDriver(sim_cfg, sounds_dir=sounds)
    async with daemon(cfg, driver=sim) as cc:
        admin = await cc.client()
        await admin.call("MonitorStart", {"monitorObject": {"faxObject": "*"}})
        await admin.call(
            "sim.incomingCall", {"callingNumber": "5554443290", "calledNumber": FAX_NUMBER}
        )
        first = await admin.event("fax.progress", pages=1)
        await fax_of(cc).wait_written()
        await store_of(cc).flush()
    fax_id = first["faxID"]
    # The switch forgets the transfer (the line stays up).
    del sim.card.fax.active[fax_id]
    sim.card._cancel(f"fax:{fax_id}")
    tap.events.clear()
    async with daemon(cfg, driver=sim) as cc:
        admin = await cc.client()
        fax = fax_of(cc)
        assert set(fax.active) == {fax_id}
        await trio.sleep(120)
        assert set(fax.active) == {fax_id}  # the call is up: it may still report
        cc.sim.on_hook("5554443290")
        ended = trio.current_time()
        await fax.wait_idle()
        closed = trio.current_time()
        row = await admin.call("fax.get", {"faxID": fax_id})
    assert closed - ended == pytest.approx(RESULT_GRACE)
    [failed] = tap.named("fax.failed")
    assert (failed["faxID"], failed["resultText"], failed["willRetry"]) == (
        fax_id,
        INTERRUPTED,
        False,
    )
    assert (row["state"], row["resultText"], row["download"]) == ("failed", INTERRUPTED, None)
