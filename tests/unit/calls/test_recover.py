"""Calls restored from the live store after a restart, against the switch's snapshot.

The rows come from a real run (the simulator, a caller put on hold and a
consultation); a fresh model then gets them with the switch's snapshot, as a
restarted ctid does, with or without some channels gone meanwhile.
"""

from __future__ import annotations

from typing import Any

import trio
import trio.testing

from ctid.calls.directory import Directory
from ctid.calls.invariants import problems
from ctid.calls.keep import KIND_CALL, KIND_LEG, CallKeeper
from ctid.calls.model import CallModel
from ctid.calls.notices import CallEnded
from ctid.calls.recover import clear_ended_while_down
from ctid.calls.states import ConnectionState
from ctid.ids import IdFactory
from ctid.switch_drivers import base as sw
from ctid.testing.harness import call_centre
from ctid.testing.rows import MemoryRows

S = ConnectionState


async def _consultation(store: MemoryRows) -> tuple[str, str, sw.Resynchronized]:
    """An outside caller -> 1001 (answered, with data), 1001 consults 1002 (answered)."""
    async with call_centre() as cc:
        keeper = CallKeeper(store, cc.app.clock.at)
        cc.app.calls.keeper = keeper
        client = await cc.client()
        for device in ("1001", "1002"):
            await client.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
        cc.sim.incoming_call("5550001", "1001")
        await cc.settle()
        cc.sim.off_hook("1001")
        await cc.settle()
        (first,) = cc.app.model.calls
        await client.call(
            "AssociateData",
            {"existingCall": first, "userData": {"customer": "C-42"}, "correlatorData": "k"},
        )
        await client.call(
            "ConsultationCall",
            {"existingCall": {"callID": first, "deviceID": "1001"}, "consultedDevice": "1002"},
        )
        await cc.settle()
        cc.sim.off_hook("1002")
        await cc.settle()
        (second,) = [c for c in cc.app.model.calls if c != first]
        return first, second, cc.sim.card.snapshot()


def _fresh(store: MemoryRows) -> tuple[CallModel, CallKeeper]:
    model = CallModel(
        ids=IdFactory("t2", deterministic=True),
        directory=Directory(extensions={f"100{i}" for i in range(1, 10)}),
        now=trio.current_time,
    )
    keeper = CallKeeper(store, lambda t: t)
    keeper.adopt(model)
    return model, keeper


def _states(model: CallModel, call_id: str) -> dict[str, S]:
    return {d: c.state for d, c in model.calls[call_id].connections.items()}


async def test_a_consultation_comes_back_as_two_calls_on_one_line(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryRows()
    first, second, snapshot = await _consultation(store)
    stored: dict[str, Any] = store.load(KIND_CALL)
    assert set(stored) == {first, second}
    model, keeper = _fresh(store)
    model.apply(sw.LinkStateChanged(state=sw.LinkState.SYNCING))
    commands = model.apply(snapshot)
    assert set(model.calls) == {first, second}
    assert _states(model, first) == {"5550001": S.CONNECTED, "1001": S.HOLD}
    assert _states(model, second) == {"1001": S.CONNECTED, "1002": S.CONNECTED}
    call = model.calls[first]
    assert (call.user_data, call.correlator_data) == ({"customer": "C-42"}, "k")
    assert (call.calling_device, call.called_device, call.direction) == (
        "5550001",
        "1001",
        "inbound",
    )
    agent = model.calls[first].connections["1001"].leg
    assert agent is model.calls[second].connections["1001"].leg
    assert agent is not None and agent.answered
    # The switch shows everything where it should be: nothing to ask again.
    assert [type(c).__name__ for c in commands] == []
    assert not [e for e in model.outbox if e.event.__class__.__name__ != "SystemStatusEvent"]
    assert problems(model) == []
    keeper.sync(model)
    assert set(store.load(KIND_CALL)) == {first, second}
    assert store.load(KIND_LEG)[agent.channel_id] == {
        "call_id": first,
        "call_ids": [first, second],
    }


async def test_a_party_gone_while_ctid_was_away_is_cleared(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryRows()
    first, second, snapshot = await _consultation(store)
    consulted = next(c for c in snapshot.channels if c.device == "1002")
    without = sw.Resynchronized(
        channels=tuple(c for c in snapshot.channels if c is not consulted),
        bridges=snapshot.bridges,
    )
    model, keeper = _fresh(store)
    commands = model.apply(without)
    # The consultation lost its other party: it ends; the held call stays.
    assert set(model.calls) == {first}
    assert _states(model, first) == {"5550001": S.CONNECTED, "1001": S.HOLD}
    names = [e.event.__class__.__name__ for e in model.outbox]
    assert names == ["ConnectionClearedEvent", "ConnectionClearedEvent", "CallClearedEvent"]
    assert all(e.calls == (second,) for e in model.outbox)
    # (ctid's bridge ids are the call id and "-b".)
    assert sw.BridgeDestroy(bridge_id=f"{second}-b") in commands
    keeper.sync(model)
    assert set(store.load(KIND_CALL)) == {first}
    assert consulted.channel_id not in store.load(KIND_LEG)
    assert problems(model) == []


async def test_stored_calls_whose_channels_are_all_gone_end_once_the_services_are_back(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryRows()
    first, second, _ = await _consultation(store)
    model, keeper = _fresh(store)
    model.apply(sw.Resynchronized())
    # They come back without channels, and nothing is said yet: the services
    # (ACD, records) restore their part of them first.
    assert set(model.calls) == {first, second}
    assert model.ended_while_down == [first, second]
    assert all(c.leg is None for call in model.calls.values() for c in call.connections.values())
    assert model.outbox == []
    assert model.notices == []
    assert clear_ended_while_down(model) == [first, second]
    # Then they end as if their parties hung up now.
    assert model.calls == {}
    assert model.ended_while_down == []
    events = [(e.event.__class__.__name__, e.calls) for e in model.outbox]
    assert events == [
        ("ConnectionClearedEvent", (first,)),
        ("ConnectionClearedEvent", (first,)),
        ("CallClearedEvent", (first,)),
        ("ConnectionClearedEvent", (second,)),
        ("ConnectionClearedEvent", (second,)),
        ("CallClearedEvent", (second,)),
    ]
    assert [n.call_id for n in model.notices if isinstance(n, CallEnded)] == [first, second]
    keeper.sync(model)
    assert store.rows == {}
    # From then on, one found at a later resynchronisation ends at once.
    assert model.services_ready


async def test_a_row_that_cannot_be_read_is_left_out_and_deleted(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryRows()
    first, second, snapshot = await _consultation(store)
    bad = store.rows[KIND_CALL, second]
    bad["connections"][0]["state"] = "ringingSomehow"
    model, keeper = _fresh(store)
    model.apply(snapshot)
    # The consultation's row is refused whole; its channel that no other stored
    # call names comes back as a new call, as without a store.
    assert first in model.calls and second not in model.calls
    (guessed,) = [c for c in model.calls if c != first]
    assert list(model.calls[guessed].connections) == ["1002"]
    assert problems(model) == []
    keeper.sync(model)
    assert set(store.load(KIND_CALL)) == {first, guessed}
