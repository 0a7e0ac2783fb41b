"""Stopping a fax on FreeSWITCH (fax.cancel of an IVR's fax): mod_spandsp's ``stopfax``.

Found on the lab's FreeSWITCH 1.10.12 (mod_spandsp against spandsp 3.0.0), 2026-12-07:
``uuid_break <uuid> all`` does not stop ``rxfax``/``txfax`` (their loop in
mod_spandsp_fax.c never looks at ``CF_BREAK``): ctid answered fax.cancel, and the fax
went on and was received whole, 3 pages, "OK". ``sendmsg execute stopfax`` is run by
the loop's ``switch_ivr_parse_all_events`` and sets the fax's ``done``: phase E then
reports 49 "The call dropped prematurely" at once and the call stays up. The real
phase E events of both cases are in tests/fixtures/esl/lab-mwi-faxstop-events.txt.
"""

from __future__ import annotations

from pathlib import Path

import trio
import trio.testing
from test_fs_driver import running

from ctid.switch_drivers.base import (
    ChannelCreated,
    ChannelHungUp,
    FaxFinished,
    FaxProgress,
    ReceiveFax,
    StopFax,
)
from ctid.switch_drivers.freeswitch.bridges import BridgeBook
from ctid.switch_drivers.freeswitch.endpoints import EndpointConfig
from ctid.switch_drivers.freeswitch.frames import parse_event_plain
from ctid.switch_drivers.freeswitch.framing import FrameReader
from ctid.switch_drivers.freeswitch.mapping import EventMapper
from ctid.testing.fake_freeswitch import DialplanKind, FakeFreeSwitch

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "esl" / "lab-mwi-faxstop-events.txt"


async def test_stop_fax_runs_stopfax_and_the_fax_ends_at_once(
    autojump_clock: trio.testing.MockClock, tmp_path: Path
) -> None:
    async with running(FakeFreeSwitch(dialplan=DialplanKind.CTID)) as h:
        uuid = h.fake.outside_calls("5551113290", "8200")  # a fax machine (…329…)
        await h.wait_for(ChannelCreated, channel_id=uuid)
        path = str(tmp_path / "t-fx1.tif")
        await h.driver.execute(ReceiveFax(fax_id="t-fx1", channel_id=uuid, path=path))
        # Into phase B (6 s) and the first page: nothing has ended yet.
        await trio.sleep(8)
        assert h.of(FaxFinished) == []
        started = trio.current_time()
        await h.driver.execute(StopFax(fax_id="t-fx1", channel_id=uuid))
        assert h.fake.commands[-1] == f"sendmsg {uuid}"
        assert "uuid_break" not in " ".join(h.fake.commands)
        finished = await h.wait_for(FaxFinished, fax_id="t-fx1")
        assert trio.current_time() - started < 1
        assert (finished.success, finished.pages, finished.result_code, finished.result_text) == (
            False, 0, 49, "The call dropped prematurely",
        )  # fmt: skip
        assert h.of(FaxProgress) == []
        # The call goes on (the flow decides what comes next).
        assert not h.fake.switch.channels[uuid].hungup
        assert [e for e in h.of(ChannelHungUp) if e.channel_id == uuid] == []


async def test_uuid_break_leaves_a_fax_running_as_on_the_real_switch(
    autojump_clock: trio.testing.MockClock, tmp_path: Path
) -> None:
    """The fake is true to the switch: a fax outlives ``uuid_break``."""
    async with running(FakeFreeSwitch(dialplan=DialplanKind.CTID)) as h:
        uuid = h.fake.outside_calls("5551113290", "8200")
        await h.wait_for(ChannelCreated, channel_id=uuid)
        path = str(tmp_path / "t-fx2.tif")
        await h.driver.execute(ReceiveFax(fax_id="t-fx2", channel_id=uuid, path=path))
        await trio.sleep(8)
        await h.fake.api(f"uuid_break {uuid} all")
        finished = await h.wait_for(FaxFinished, fax_id="t-fx2")
        assert (finished.success, finished.pages, finished.result_code) == (True, 3, 0)


def test_the_real_phase_e_after_stopfax() -> None:
    """The lab's frames: fax.cancel of an IVR reception (3m9yxpk-fx4, rxfax) and of a
    fax-back (3m9yxpk-fx11, txfax), each about 8 s in, ended 49 with no page."""
    reader = FrameReader()
    reader.feed(FIXTURE.read_bytes())
    mapper = EventMapper(EndpointConfig(), BridgeBook())
    out = []
    while (frame := reader.next_frame()) is not None:
        if frame.get("Content-Type") == "text/event-plain":
            out.extend(mapper.feed(parse_event_plain(frame.body)))
    finished = [o for o in out if isinstance(o, FaxFinished)]
    assert [
        (f.fax_id, f.success, f.pages, f.result_code, f.result_text, f.remote_station_id)
        for f in finished
    ] == [
        ("3m9yxpk-fx4", False, 0, 49, "The call dropped prematurely", "5551234"),
        ("3m9yxpk-fx11", False, 0, 49, "The call dropped prematurely", "5552222"),
    ]
