"""``record.callClosed`` is read back from the database only when someone would receive
it (issue 12: a campaign day with nobody watching did a read per closed call), and the
webhooks' bus tap makes every event wanted only while a webhook exists.

Real daemon on the simulator, real SQLite, real clock (the writer runs in threads);
every wait is for something the test caused, under a guard.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest
import trio

from ctid.bus import EventBus, Published
from ctid.records.announce import Announcer
from ctid.records.lookup import load_records
from ctid.records.service import RecordsService
from ctid.records.wire import record_to_wire
from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config

GUARD: Final = 30.0


def overrides(state: Path, **extra: Any) -> dict[str, Any]:
    return {
        "server": {"state_dir": str(state)},
        "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
        **extra,
    }


def announcer_of(records: RecordsService) -> Announcer:
    for observer in records.writer.applied_observers:
        owner = getattr(observer, "__self__", None)
        if isinstance(owner, Announcer):
            return owner
    raise AssertionError("no announcer on the records writer")


async def a_call(admin: RpcTestClient, cc: CallCentre, caller: str, device: str) -> str:
    call_id = (
        await admin.call("sim.incomingCall", {"callingNumber": caller, "calledNumber": device})
    )["callID"]
    await admin.call("sim.offHook", {"device": device})
    await admin.call("sim.onHook", {"device": device})
    assert isinstance(call_id, str)
    return call_id


async def until(check: Callable[[], bool]) -> None:
    # The announcer runs after commits in worker threads; it has no event to wait on.
    while not check():  # noqa: ASYNC110
        await trio.sleep(0.01)


async def test_closed_calls_are_read_back_only_for_someone(tmp_path: Path) -> None:
    with trio.fail_after(GUARD):
        async with call_centre(sim_config(overrides(tmp_path))) as cc:
            admin = await cc.client()
            records = cc.app.api.services["records"]
            assert isinstance(records, RecordsService)
            announcer = announcer_of(records)
            read_back: list[list[str]] = []
            real_read = records.read

            async def counting(fn: Any, *args: Any) -> Any:
                if fn is load_records:
                    read_back.append(list(args[0]))
                return await real_read(fn, *args)

            records.read = counting  # type: ignore[method-assign]
            # Nobody watches device 1001, its calls or a queue; no webhook exists.
            assert not cc.app.bus.wants(devices=["1001", "5550001"], topics=["queues"])
            unheard = await a_call(admin, cc, "5550001", "1001")
            await records.writer.wait_committed()
            await until(lambda: announcer.published == 1)
            assert read_back == []
            # ... yet the record is complete in the database.
            (stored,) = await records.read(load_records, [unheard])
            assert stored["state"] == "closed"
            assert [leg["device"] for leg in stored["legs"]] == ["5550001", "1001"]

            # A monitor of 1002: its call's record is read back and published, whole.
            await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1002"}})
            heard = await a_call(admin, cc, "5550002", "1002")
            event = await admin.event("record.callClosed", callID=heard)
            assert read_back[-1] == [heard]
            assert announcer.published == 2
            (row,) = await real_read(load_records, [heard])
            assert {
                k: v for k, v in event.items() if k not in ("monitorCrossRefID", "seq", "timestamp")
            } == record_to_wire(row)
            # Still nobody for 1001: read back only the heard ones.
            before = len(read_back)
            await a_call(admin, cc, "5550003", "1001")
            await records.writer.wait_committed()
            await until(lambda: announcer.published == 3)
            assert len(read_back) == before


async def test_the_webhook_tap_wants_events_only_while_a_webhook_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_SECRET", "whsec-announce-test-0123456789")
    hook = {
        "name": "crm",
        "url": "http://127.0.0.1:9/hook",
        "secret_env": "CRM_SECRET",
        "events": ["record.callClosed"],
        "enabled": False,
    }
    with trio.fail_after(GUARD):
        async with call_centre(sim_config(overrides(tmp_path / "none"))) as cc:
            assert cc.app.bus.taps  # the webhook service is there, its tap on the bus
            assert not cc.app.bus.wants(devices=["1001"], calls=["c1"], topics=["queues"])
        config = sim_config(overrides(tmp_path / "one", webhooks=[hook]))
        async with call_centre(config) as cc:
            assert cc.app.bus.wants(devices=["1001"])


def test_taps_wanted_decides_for_the_taps() -> None:
    bus = EventBus()
    tapped: list[str] = []

    def tap(event: Published, topics: tuple[str, ...]) -> None:
        tapped.append(event.name)

    assert not bus.wants(devices=["1001"])
    bus.taps.append(tap)
    assert bus.wants(devices=["1001"])  # a tap with no say: every event is wanted
    listening = False
    bus.taps_wanted = lambda: listening
    assert not bus.wants(devices=["1001"], calls=["c1"], topics=["queues"])
    listening = True
    assert bus.wants(devices=["1001"])
    bus.publish(Published(name="X", params={}, timestamp="t"))
    assert tapped == ["X"]
