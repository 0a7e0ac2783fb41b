"""Recording calls: on demand and by policy, events, files, metadata, permissions, download,
search, retention on MockClock, and export/import of an archive."""

from __future__ import annotations

import hashlib
import shutil
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trio
import trio.testing

from ctid import facts as f
from ctid.api.methods.recording import DOWNLOAD_CHUNK
from ctid.cli import main
from ctid.recording.service import RecordingService
from ctid.records.schema import calls, recordings
from ctid.records.service import RecordsService
from ctid.testing import CallCentre, RpcErrorReply, RpcTestClient, call_centre, sim_config
from ctid.testing.harness import ADMIN_TOKEN

AGENT_TOKEN = "agent-one-token-0123456789"
OTHER_AGENT_TOKEN = "agent-two-token-0123456789"
SUPERVISOR_TOKEN = "supervisor-token-0123456789"


def config(state: Path, **recording: Any) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(state)},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
            "recording": recording,
            "auth": {
                "tokens": [
                    {"role": "agent", "name": "ann", "token": AGENT_TOKEN, "devices": ["1001"]},
                    {
                        "role": "agent",
                        "name": "bob",
                        "token": OTHER_AGENT_TOKEN,
                        "devices": ["1002"],
                    },
                    {
                        "role": "supervisor",
                        "name": "sue",
                        "token": SUPERVISOR_TOKEN,
                        "queues": ["sales"],
                    },
                ]
            },
        }
    )


@asynccontextmanager
async def centre(state: Path, **recording: Any) -> AsyncIterator[tuple[CallCentre, RpcTestClient]]:
    async with call_centre(config(state, **recording)) as cc:
        yield cc, await cc.client()


def services(cc: CallCentre) -> tuple[RecordingService, RecordsService]:
    recording = cc.app.api.services["recording"]
    records = cc.app.api.services["records"]
    assert isinstance(recording, RecordingService)
    assert isinstance(records, RecordsService)
    return recording, records


async def answered_call(
    cc: CallCentre, admin: RpcTestClient, caller: str, ext: str, facts: dict[str, Any] | None = None
) -> str:
    call_id = str(
        (await admin.call("sim.incomingCall", {"callingNumber": caller, "calledNumber": ext}))[
            "callID"
        ]
    )
    await cc.settle()
    if facts:
        cc.app.model.calls[call_id].facts.update(facts)
    await admin.call("sim.offHook", {"device": ext})
    await cc.settle()
    return call_id


async def hang_up(cc: CallCentre, admin: RpcTestClient, device: str) -> None:
    await admin.call("sim.onHook", {"device": device})
    await cc.settle()


async def finished(cc: CallCentre) -> None:
    """Every recording the switch finished is checked and in the database."""
    recording, records = services(cc)
    await recording.wait_idle()
    await records.wait_committed()


def rows(cc: CallCentre, table: sa.Table) -> list[Any]:
    _, records = services(cc)
    with records.engine.connect() as conn:
        return list(conn.execute(sa.select(table)).all())


async def http(
    cc: CallCentre, target: str, token: str | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return await cc.http(target, method=method, headers=headers)


# --------------------------------------------------------------- on demand


async def test_record_on_demand_with_a_pause(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path) as (cc, admin):
        recording, _ = services(cc)
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        call_id = await answered_call(cc, admin, "5550001", "1001")
        await trio.sleep(5)
        started = await admin.call("recording.start", {"callID": call_id, "tags": ["vip"]})
        rid = started["recordingID"]
        assert started == {
            "recordingID": rid,
            "callID": call_id,
            "state": "recording",
            "startedBy": "admin",
            "tags": ["vip"],
        }
        event = await admin.event("RecordingStartedEvent")
        assert (event["recordingID"], event["callID"], event["state"]) == (
            rid,
            call_id,
            "recording",
        )
        with pytest.raises(RpcErrorReply) as again:
            await admin.call("recording.start", {"callID": call_id})
        assert again.value.data == {"reason": "already-recording"}
        await trio.sleep(10)
        await admin.call("recording.pause", {"recordingID": rid})
        await admin.event("RecordingPausedEvent", recordingID=rid, state="paused")
        await trio.sleep(4)
        await admin.call("recording.resume", {"recordingID": rid})
        await admin.event("RecordingResumedEvent", recordingID=rid, state="recording")
        await trio.sleep(6)
        await hang_up(cc, admin, "5550001")
        stopped = await admin.event("RecordingStoppedEvent", recordingID=rid)
        assert (stopped["state"], stopped["duration"]) == ("done", 20.0)
        await finished(cc)
        (row,) = rows(cc, recordings)
        (call,) = rows(cc, calls)
    assert call.recording_ids == [rid]
    assert (row.call_id, row.state, row.duration, row.paused_seconds) == (
        call_id,
        "done",
        20.0,
        4.0,
    )
    assert (row.caller, row.called, row.started_by, row.tags) == (
        "5550001",
        "1001",
        "admin",
        ["vip"],
    )
    assert row.path == f"2027/01/15/{rid}.wav"
    path = recording.directory / row.path
    data = path.read_bytes()
    assert (row.size_bytes, row.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    with wave.open(str(path)) as wav:
        assert wav.getnframes() == 20 * 8000


async def test_a_recording_the_switch_cannot_write_fails_and_says_why(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path) as (cc, admin):
        recording, _ = services(cc)
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        call_id = await answered_call(cc, admin, "5550001", "1001")
        rid = (await admin.call("recording.start", {"callID": call_id}))["recordingID"]
        await trio.sleep(2)
        # The recordings directory is replaced by a file: the card cannot write the WAV.
        shutil.rmtree(recording.directory, ignore_errors=True)
        recording.directory.write_text("not a directory")
        await hang_up(cc, admin, "1001")
        await finished(cc)
        (event,) = [e for e in admin.events if e["method"] == "RecordingFailedEvent"]
        params = event["params"]
        assert (params["recordingID"], params["callID"], params["state"]) == (
            rid,
            call_id,
            "failed",
        )
        assert "Not a directory" in params["detail"]
        assert not [e for e in admin.events if e["method"] == "RecordingStoppedEvent"]
        got = await admin.call("recording.get", {"recordingID": rid})
        assert (got["state"], got["detail"]) == ("failed", params["detail"])
        status, _, _ = await http(cc, f"/recordings/download?id={rid}", ADMIN_TOKEN)
        assert status == 404
        assert recording.failed_total == 1


async def test_download_needs_a_token_and_the_right_to_see_it(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path) as (cc, admin):
        recording, _ = services(cc)
        call_id = await answered_call(cc, admin, "5550001", "1001")
        rid = (await admin.call("recording.start", {"callID": call_id}))["recordingID"]
        status, _, _ = await http(cc, f"/recordings/download?id={rid}", ADMIN_TOKEN)
        assert status == 404  # still being recorded
        await trio.sleep(10)  # 160 KB: the download goes out in several chunks
        await hang_up(cc, admin, "1001")
        await finished(cc)
        target = f"/recordings/download?id={rid}"
        status, headers, body = await http(cc, target, ADMIN_TOKEN)
        assert status == 200
        assert headers["content-type"] == "audio/wav"
        assert headers["content-disposition"] == f'attachment; filename="{rid}.wav"'
        (row,) = rows(cc, recordings)
        assert body == (recording.directory / row.path).read_bytes()
        assert len(body) > 2 * DOWNLOAD_CHUNK
        assert headers["content-length"] == str(len(body))
        status, headers, nothing = await http(cc, target, ADMIN_TOKEN, method="HEAD")
        assert (status, headers["content-length"], nothing) == (200, str(len(body)), b"")
        assert (await http(cc, target))[0] == 401
        assert (await http(cc, target, "wrong-token-0123456789"))[0] == 401
        # Agent ann has 1001, which took part: allowed. Bob (1002) did not: forbidden.
        assert (await http(cc, target, AGENT_TOKEN))[0] == 200
        assert (await http(cc, target, OTHER_AGENT_TOKEN))[0] == 403
        # The supervisor of "sales" may not see a call of no queue.
        assert (await http(cc, target, SUPERVISOR_TOKEN))[0] == 403
        assert (await http(cc, "/recordings/download?id=nope", ADMIN_TOKEN))[0] == 404
        assert (await http(cc, target, ADMIN_TOKEN, method="POST"))[0] == 405


async def test_who_may_record_which_call(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path) as (cc, admin):
        own = await answered_call(cc, admin, "5550001", "1001")
        other = await answered_call(cc, admin, "5550002", "1002", {f.FACT_QUEUE: "sales"})
        third = await answered_call(cc, admin, "5550003", "1003", {f.FACT_QUEUE: "support"})
        ann = await cc.client(token=AGENT_TOKEN)
        sue = await cc.client(token=SUPERVISOR_TOKEN)
        mine = await ann.call("recording.start", {"callID": own})
        assert mine["startedBy"] == "ann"
        with pytest.raises(RpcErrorReply) as refused:
            await ann.call("recording.start", {"callID": other})
        assert refused.value.code == -32005
        # The supervisor of sales records sales calls, not support's.
        await sue.call("recording.start", {"callID": other})
        with pytest.raises(RpcErrorReply):
            await sue.call("recording.start", {"callID": third})
        # Ann may pause her own recording, not stop the supervisor's.
        await ann.call("recording.pause", {"recordingID": mine["recordingID"]})
        sales_rid = services(cc)[0].by_call[other]
        with pytest.raises(RpcErrorReply):
            await ann.call("recording.stop", {"recordingID": sales_rid})
        with pytest.raises(RpcErrorReply) as unknown:
            await admin.call("recording.start", {"callID": "no-such-call"})
        assert unknown.value.data == {"reason": "no-such-call"}


async def test_stop_before_the_call_ends(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path) as (cc, admin):
        await admin.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        call_id = await answered_call(cc, admin, "5550001", "1001")
        rid = (await admin.call("recording.start", {"callID": call_id}))["recordingID"]
        await trio.sleep(7)
        await admin.call("recording.stop", {"recordingID": rid})
        event = await admin.event("RecordingStoppedEvent", recordingID=rid)
        assert event["duration"] == 7.0
        # Recording again after a stop is allowed: a second file.
        second = (await admin.call("recording.start", {"callID": call_id}))["recordingID"]
        await trio.sleep(2)
        await hang_up(cc, admin, "1001")
        await finished(cc)
        (call,) = rows(cc, calls)
        assert call.recording_ids == [rid, second]


# ------------------------------------------------------------------ policies


async def test_record_all_calls(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path, record="all") as (cc, admin):
        await answered_call(cc, admin, "5550001", "1001")
        unanswered = str(
            (
                await admin.call(
                    "sim.incomingCall", {"callingNumber": "5550002", "calledNumber": "1002"}
                )
            )["callID"]
        )
        await trio.sleep(5)
        await hang_up(cc, admin, "5550001")
        await hang_up(cc, admin, "5550002")
        await finished(cc)
        recs = rows(cc, recordings)
        by_call = {c.call_id: c for c in rows(cc, calls)}
    assert [(r.started_by, r.duration) for r in recs] == [("policy:all", 5.0)]
    assert by_call[unanswered].recording_ids == []


async def test_record_by_queue_and_by_agent(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path, queues=["sales"], agents=["agent-9"]) as (cc, admin):
        app = cc.app
        # Where agent-9 is logged on, from the agent state log (facts.py notice).
        app.model.notify(
            f.AgentStateChanged(
                agent_id="agent-9",
                device="1003",
                old_state="loggedOff",
                new_state="ready",
                reason_code=None,
                at=trio.current_time(),
            )
        )
        app.calls.sync()
        sales = await answered_call(cc, admin, "5550001", "1001", {f.FACT_QUEUE: "sales"})
        support = await answered_call(cc, admin, "5550002", "1002", {f.FACT_QUEUE: "support"})
        agent = await answered_call(cc, admin, "5550003", "1003")
        await trio.sleep(2)
        for caller in ("5550001", "5550002", "5550003"):
            await hang_up(cc, admin, caller)
        await finished(cc)
        recs = {r.call_id: r for r in rows(cc, recordings)}
    assert recs[sales].started_by == "policy:queue"
    assert recs[sales].queue == "sales"
    assert recs[agent].started_by == "policy:agent"
    assert recs[agent].agent_id == "agent-9"
    assert support not in recs


# ------------------------------------------------------------------- search


async def test_search(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path, record="all") as (cc, admin):
        plan = [
            ("5550001", "1001", {f.FACT_QUEUE: "sales", f.FACT_AGENT: "a1"}, 30),
            ("5550002", "1002", {f.FACT_QUEUE: "support", f.FACT_AGENT: "a2"}, 90),
            ("5550001", "1003", {f.FACT_QUEUE: "sales", f.FACT_AGENT: "a3"}, 200),
        ]
        ids = []
        for caller, ext, facts, seconds in plan:
            call_id = await answered_call(cc, admin, caller, ext, facts)
            await trio.sleep(seconds)
            await hang_up(cc, admin, caller)
            ids.append(call_id)
            await trio.sleep(3600)
        await finished(cc)
        first = (await admin.call("recording.search", {"queue": "sales", "agentID": "a1"}))[
            "recordings"
        ][0]
        await admin.call("recording.tag", {"recordingID": first["recordingID"], "tags": ["x"]})

        async def found(**criteria: Any) -> list[str]:
            result = await admin.call("recording.search", criteria)
            return [r["callID"] for r in result["recordings"]]

        assert await found() == ids[::-1]
        assert await found(queue="sales") == [ids[2], ids[0]]
        assert await found(caller="5550001") == [ids[2], ids[0]]
        assert await found(called="1002") == [ids[1]]
        assert await found(agentID="a3") == [ids[2]]
        assert await found(minDuration=60) == [ids[2], ids[1]]
        assert await found(minDuration=60, maxDuration=100) == [ids[1]]
        assert await found(tags=["x"]) == [ids[0]]
        assert await found(**{"from": "2027-01-15T09:00:00Z"}) == [ids[2], ids[1]]
        assert await found(**{"from": "2027-01-15T09:00:00Z", "to": "2027-01-15T10:00:00Z"}) == [
            ids[1]
        ]
        assert await found(limit=1) == [ids[2]]
        # What others may find: the sales supervisor sales calls, agent ann her own.
        sue = await cc.client(token=SUPERVISOR_TOKEN)
        got = (await sue.call("recording.search"))["recordings"]
        assert sorted(r["callID"] for r in got) == sorted([ids[0], ids[2]])
        ann = await cc.client(token=AGENT_TOKEN)
        assert [r["callID"] for r in (await ann.call("recording.search"))["recordings"]] == [ids[0]]
        one = await admin.call("recording.get", {"recordingID": first["recordingID"]})
        assert one["tags"] == ["x"]
        assert one["download"] == f"/recordings/download?id={first['recordingID']}"
        with pytest.raises(RpcErrorReply):
            await ann.call("recording.get", {"recordingID": one["recordingID"] + "x"})


# ---------------------------------------------------------------- retention


@pytest.mark.slow
async def test_retention_per_queue_on_the_trio_clock(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(
        tmp_path, record="all", retention_days=3, retention={"sales": 1}, retention_interval=600
    ) as (cc, admin):
        recording, _ = services(cc)
        sales = await answered_call(cc, admin, "5550001", "1001", {f.FACT_QUEUE: "sales"})
        other = await answered_call(cc, admin, "5550002", "1002")
        await trio.sleep(10)
        await hang_up(cc, admin, "5550001")
        await hang_up(cc, admin, "5550002")
        await finished(cc)
        paths = {r.call_id: recording.directory / r.path for r in rows(cc, recordings)}
        assert all(p.exists() for p in paths.values())

        def states() -> dict[str, str]:
            return {r.call_id: r.state for r in rows(cc, recordings)}

        # Just under a day: both kept.
        await trio.sleep(86400 - 700)
        await finished(cc)
        assert states() == {sales: "done", other: "done"}
        # A sweep every 10 minutes: the sales recording goes within one.
        await trio.sleep(1300)
        await finished(cc)
        assert states() == {sales: "deleted", other: "done"}
        assert not paths[sales].exists()
        assert paths[other].exists()
        await trio.sleep(2 * 86400)
        await finished(cc)
        assert states() == {sales: "deleted", other: "deleted"}
        assert not paths[other].exists()
        assert recording.deleted_total == 2
        # The day directories went with them.
        assert not any(recording.directory.rglob("*.wav"))


# ------------------------------------------------------------ export/import


@pytest.mark.slow
async def test_export_and_import_round_trip(
    tmp_path: Path, autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source"
    async with centre(source, record="all") as (cc, admin):
        for caller, ext, queue in (("5550001", "1001", "sales"), ("5550002", "1002", "support")):
            await answered_call(cc, admin, caller, ext, {f.FACT_QUEUE: queue})
            await trio.sleep(12)
            await hang_up(cc, admin, caller)
        # One more on the next day: outside the exported range.
        await trio.sleep(86400)
        await answered_call(cc, admin, "5550003", "1003")
        await trio.sleep(5)
        await hang_up(cc, admin, "1003")
        await finished(cc)
        recording, _ = services(cc)
        kept = {
            r.recording_id: (recording.directory / r.path).read_bytes()
            for r in rows(cc, recordings)
        }
        before = await admin.call("recording.search", {"to": "2027-01-16T00:00:00Z"})
    assert len(before["recordings"]) == 2
    for path, state in (
        (tmp_path / "source.toml", source),
        (tmp_path / "dest.toml", tmp_path / "dest"),
    ):
        path.write_text(f'[server]\nstate_dir = "{state}"\n[records]\nfsync = false\n')
    archive = tmp_path / "backup.tar"
    code = main(
        [
            "recording",
            "export",
            "--config",
            str(tmp_path / "source.toml"),
            "--from",
            "2027-01-15",
            "--to",
            "2027-01-16",
            "--out",
            str(archive),
        ]
    )
    assert code == 0
    # Restored into a fresh state directory, with no 'ctid db upgrade' first.
    assert not (tmp_path / "dest").exists()
    restore = ["recording", "import", "--config", str(tmp_path / "dest.toml"), str(archive)]
    assert main(restore) == 0
    assert main(restore) == 0  # again: nothing changes
    async with centre(tmp_path / "dest") as (cc, admin):
        after = await admin.call("recording.search")
        recording, _ = services(cc)
        for r in after["recordings"]:
            row = await admin.call("recording.get", {"recordingID": r["recordingID"]})
            assert row == r
            status, _, body = await http(cc, r["download"], ADMIN_TOKEN)
            assert status == 200
            assert body == kept[r["recordingID"]]
        assert len(rows(cc, calls)) == 2
    assert after == before
