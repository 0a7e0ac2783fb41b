"""The call keeper: what it writes to the live store, and when (coalesced)."""

from __future__ import annotations

from typing import Any

import trio
import trio.testing

from ctid.calls.keep import KIND_CALL, KIND_LEG, CallKeeper
from ctid.testing.harness import call_centre


class RowStore:
    """The LiveStore API over dicts, counting writes."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.puts: list[tuple[str, str]] = []
        self.deletes: list[tuple[str, str]] = []

    def load(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for (kd, k), v in self.rows.items() if kd == kind}

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        self.rows[kind, key] = value
        self.puts.append((kind, key))

    def delete(self, kind: str, key: str) -> None:
        self.rows.pop((kind, key), None)
        self.deletes.append((kind, key))


async def test_a_call_is_kept_while_it_lasts(autojump_clock: trio.testing.MockClock) -> None:
    store = RowStore()
    async with call_centre() as cc:
        keeper = CallKeeper(store, cc.app.clock.at)
        cc.app.calls.keeper = keeper
        keeper.adopt(cc.app.model)
        client = await cc.client()
        reply = await client.call(
            "MakeCall",
            {
                "callingDevice": "1001",
                "calledDirectoryNumber": "1002",
                "autoOriginate": "doNotPrompt",
                "correlatorData": "x-1",
            },
        )
        call_id = reply["callingDevice"]["callID"]
        await cc.settle()
        cc.sim.off_hook("1002")
        await cc.settle()
        row = store.rows[KIND_CALL, call_id]
        states = {c["device"]: c["state"] for c in row["connections"]}
        assert states == {"1001": "connected", "1002": "connected"}
        assert row["correlator_data"] == "x-1"
        assert row["calling_device"] == "1001" and row["called_device"] == "1002"
        legs = [c["channel_id"] for c in row["connections"]]
        for channel_id in legs:
            assert store.rows[KIND_LEG, channel_id] == {"call_id": call_id, "call_ids": [call_id]}
        # Nothing changed: nothing written.
        writes = len(store.puts)
        await client.call("SnapshotCall", {"snapshotObject": call_id})
        await cc.settle()
        assert len(store.puts) == writes
        await client.call("AssociateData", {"existingCall": call_id, "userData": {"k": 1}})
        await cc.settle()
        assert store.rows[KIND_CALL, call_id]["user_data"] == {"k": 1}
        assert store.puts[writes:] == [(KIND_CALL, call_id)]
        await client.call("ClearCall", {"callToBeCleared": call_id})
        await cc.settle()
        assert store.rows == {}
        assert (KIND_CALL, call_id) in store.deletes
        assert not cc.app.model.dirty


async def _consulting(cc: Any, store: RowStore) -> tuple[Any, str, str]:
    """1001 calls 1002 (answered), then consults 1003 (answered), with the keeper on."""
    keeper = CallKeeper(store, cc.app.clock.at)
    cc.app.calls.keeper = keeper
    keeper.adopt(cc.app.model)
    client = await cc.client()
    reply = await client.call(
        "MakeCall",
        {"callingDevice": "1001", "calledDirectoryNumber": "1002", "autoOriginate": "doNotPrompt"},
    )
    first = reply["callingDevice"]["callID"]
    await cc.settle()
    cc.sim.off_hook("1002")
    await cc.settle()
    reply = await client.call(
        "ConsultationCall",
        {"existingCall": {"callID": first, "deviceID": "1001"}, "consultedDevice": "1003"},
    )
    second = reply["initiatedCall"]["callID"]
    await cc.settle()
    cc.sim.off_hook("1003")
    await cc.settle()
    assert {k for (kind, k) in store.rows if kind == KIND_CALL} == {first, second}
    return client, first, second


async def test_a_conferenced_consultation_is_deleted(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The consultation merged into the first call by ConferenceCall leaves the store.

    Found on the lab's Asterisk 22.10.1: a conference made before a ``kill -9`` came
    back with the merged consultation call alive again at the conferencing phone and
    the added party (its row had stayed), so RetrieveCall was refused."""
    store = RowStore()
    async with call_centre() as cc:
        client, first, second = await _consulting(cc, store)
        await client.call(
            "ConferenceCall",
            {
                "heldCall": {"callID": first, "deviceID": "1001"},
                "activeCall": {"callID": second, "deviceID": "1001"},
            },
        )
        await cc.settle()
        assert {k for (kind, k) in store.rows if kind == KIND_CALL} == {first}
        assert (KIND_CALL, second) in store.deletes
        states = {c["device"]: c["state"] for c in store.rows[KIND_CALL, first]["connections"]}
        assert states == {"1001": "connected", "1002": "connected", "1003": "connected"}
        for (kind, _), row in store.rows.items():
            if kind == KIND_LEG:
                assert row["call_ids"] == [first]


async def test_a_transferred_consultation_is_deleted(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """TransferCall merges the consultation into the first call: its row goes too."""
    store = RowStore()
    async with call_centre() as cc:
        client, first, second = await _consulting(cc, store)
        await client.call(
            "TransferCall",
            {
                "heldCall": {"callID": first, "deviceID": "1001"},
                "activeCall": {"callID": second, "deviceID": "1001"},
            },
        )
        await cc.settle()
        assert {k for (kind, k) in store.rows if kind == KIND_CALL} == {first}
        states = {c["device"]: c["state"] for c in store.rows[KIND_CALL, first]["connections"]}
        assert states == {"1002": "connected", "1003": "connected"}
        for (kind, _), row in store.rows.items():
            if kind == KIND_LEG:
                assert row["call_ids"] == [first]
