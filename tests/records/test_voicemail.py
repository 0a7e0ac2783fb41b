"""Voicemail boxes on the simulator: callers routed to a queue's, an agent's and a
number's mailbox leave real recordings; the messages are filed with the call's data,
announced to the mailbox's monitors, listed, downloaded, heard, deleted and expired,
each mailbox seen only by whom it belongs to; the counts survive a restart."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import trio

from ctid.testing import CallCentre, RpcErrorReply, RpcTestClient, call_centre, sim_config
from ctid.voicemail.service import VoicemailService

ALICE = "vm-agent-alice-0123456789"  # agent 2001 (sales)
CARL = "vm-agent-carl-01234567890"  # agent 2002 (support), phone 1005
SUE = "vm-supervisor-sue-0123456"  # supervises sales
BOXES = {"4001": "queue:sales", "4002": "agent:2001", "4003": "number:1005"}
SILENT = ("monitorCrossRefID", "seq", "timestamp")


def config(state: Path, **voicemail: Any) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(state)},
            "records": {"enabled": True, "fsync": False, "heartbeat_seconds": 1e6},
            "ivr": {"tts": "silent", "timezone": "UTC"},
            "routing": {
                "rules": [
                    {"name": f"vm{dnis}", "dnis": [dnis], "destination": {"voicemail": box}}
                    for dnis, box in BOXES.items()
                ]
            },
            "voicemail": {"mailboxes": [{"number": "1005", "name": "Carl's line"}], **voicemail},
            "acd": {
                "queues": [{"name": "sales"}, {"name": "support"}],
                "agents": [
                    {"id": "2001", "skills": [{"queue": "sales"}]},
                    {"id": "2002", "skills": [{"queue": "support"}]},
                ],
            },
            "auth": {
                "tokens": [
                    {"role": "agent", "name": "alice", "token": ALICE, "agent_id": "2001"},
                    {
                        "role": "agent",
                        "name": "carl",
                        "token": CARL,
                        "agent_id": "2002",
                        "devices": ["1005"],
                    },
                    {"role": "supervisor", "name": "sue", "token": SUE, "queues": ["sales"]},
                ]
            },
        }
    )


@asynccontextmanager
async def centre(state: Path, **voicemail: Any) -> AsyncIterator[CallCentre]:
    async with call_centre(config(state, **voicemail)) as cc:
        yield cc


def service(cc: CallCentre) -> VoicemailService:
    found = cc.app.api.services["voicemail"]
    assert isinstance(found, VoicemailService)
    return found


async def leave_message(
    cc: CallCentre,
    admin: RpcTestClient,
    caller: str,
    dnis: str,
    seconds: float,
    data: dict[str, Any],
) -> str:
    """A caller dials ``dnis``, is recorded for ``seconds`` and presses #; returns the call."""
    call_id = str(
        (await admin.call("sim.incomingCall", {"callingNumber": caller, "calledNumber": dnis}))[
            "callID"
        ]
    )
    await cc.settle()
    await admin.call("AssociateData", {"existingCall": call_id, "userData": data})
    await trio.sleep(seconds)
    await admin.call("sim.pressDigits", {"device": caller, "digits": "#"})
    await cc.settle()
    await trio.sleep(5)  # the goodbye, then the IVR hangs up
    return call_id


async def refused(client: RpcTestClient, method: str, params: dict[str, Any]) -> int:
    with pytest.raises(RpcErrorReply) as info:
        await client.call(method, params)
    return info.value.code


async def test_mailboxes_end_to_end(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    async with centre(tmp_path) as cc:
        admin = await cc.client()
        alice = await cc.client(token=ALICE)
        carl = await cc.client(token=CARL)
        sue = await cc.client(token=SUE)
        await sue.call("MonitorStart", {"monitorObject": {"mailboxObject": "queue:sales"}})
        await alice.call("MonitorStart", {"monitorObject": {"mailboxObject": "agent:2001"}})
        # Nobody may watch a mailbox that is not theirs.
        assert (
            await refused(
                alice, "MonitorStart", {"monitorObject": {"mailboxObject": "queue:sales"}}
            )
            == -32000
        )
        assert (
            await refused(sue, "MonitorStart", {"monitorObject": {"mailboxObject": "agent:2002"}})
            == -32000
        )

        # Alice works at 1001: her mailbox's lamp is that phone's.
        await admin.call(
            "SetAgentState",
            {"device": "1001", "requestedAgentState": "loggedOn", "agentID": "2001"},
        )
        assert lamp(cc, "1001") == lamp(cc, "1005") == (0, 0)

        sales_call = await leave_message(cc, admin, "+15550101", "4001", 8, {"ticket": "T-1"})
        alice_call = await leave_message(cc, admin, "+15550102", "4002", 12, {"lead": "L-7"})
        await leave_message(cc, admin, "+15550103", "4003", 4, {"order": 42})
        await leave_message(cc, admin, "+15550104", "4002", 6, {"lead": "L-8"})

        new = await sue.event("voicemail.new")
        params = {k: v for k, v in new.items() if k not in SILENT}
        message_id = params.pop("messageID")
        assert params == {
            "mailbox": "queue:sales",
            "callID": sales_call,
            "caller": "+15550101",
            "called": "4001",
            "receivedAt": params["receivedAt"],
            "duration": 8.0,
            "userData": {"ticket": "T-1"},
            "newMessages": 1,
            "oldMessages": 0,
        }
        first = await alice.event("voicemail.new", callID=alice_call)
        assert (first["mailbox"], first["newMessages"], first["userData"]) == (
            "agent:2001",
            1,
            {"lead": "L-7"},
        )
        second = await alice.event("voicemail.new", newMessages=2)
        assert second["userData"] == {"lead": "L-8"}
        # Sue watched the sales box only: she heard of no other box.
        heard_of = [
            (e["method"], e["params"]["mailbox"])
            for e in sue.events
            if e["method"].startswith("voicemail.")
        ]
        assert heard_of == [("voicemail.new", "queue:sales")]

        # The lamps: Alice's phone shows her two messages, Carl's line its one.
        assert (lamp(cc, "1001"), lamp(cc, "1005"), lamp(cc, "1002")) == ((2, 0), (1, 0), (0, 0))
        # The same through sim.messageWaiting; a device that is not a phone is refused.
        assert await admin.call("sim.messageWaiting", {"device": "1001"}) == {
            "device": "1001",
            "newMessages": 2,
            "oldMessages": 0,
        }
        assert await refused(admin, "sim.messageWaiting", {"device": "+15550100"}) == -32602

        listed = await sue.call("voicemail.list", {"mailbox": "queue:sales"})
        assert (listed["mailbox"], listed["newMessages"], listed["oldMessages"]) == (
            "queue:sales",
            1,
            0,
        )
        (msg,) = listed["messages"]
        assert msg == {
            "messageID": message_id,
            "mailbox": "queue:sales",
            "callID": sales_call,
            "caller": "+15550101",
            "called": "4001",
            "receivedAt": new["receivedAt"],
            "duration": 8.0,
            "sizeBytes": msg["sizeBytes"],
            "userData": {"ticket": "T-1"},
            "heard": False,
            "heardAt": None,
            "heardBy": None,
            "deleted": False,
            "download": f"/recordings/download?id={message_id}",
        }
        assert msg["sizeBytes"] == 44 + 8 * 8000 * 2  # 8 s of 8 kHz 16-bit audio
        assert await sue.call("voicemail.get", {"messageID": message_id}) == msg

        # Alice's box, newest first; a supervisor of her queue sees it, one of another not.
        mine = await alice.call("voicemail.list", {"mailbox": "agent:2001"})
        assert [m["userData"] for m in mine["messages"]] == [{"lead": "L-8"}, {"lead": "L-7"}]
        assert (await sue.call("voicemail.list", {"mailbox": "agent:2001"}))["newMessages"] == 2
        assert await refused(sue, "voicemail.list", {"mailbox": "agent:2002"}) == -32005
        assert await refused(sue, "voicemail.list", {"mailbox": "number:1005"}) == -32005
        assert await refused(alice, "voicemail.list", {"mailbox": "queue:sales"}) == -32005
        assert await refused(alice, "voicemail.get", {"messageID": message_id}) == -32005
        assert await refused(alice, "voicemail.list", {"mailbox": "sales"}) == -32602
        assert await refused(admin, "voicemail.list", {"mailbox": "sales"}) == -32602
        carls = await carl.call("voicemail.list", {"mailbox": "number:1005"})
        assert [(m["called"], m["userData"]) for m in carls["messages"]] == [
            ("4003", {"order": 42})
        ]

        # Downloads through the recordings' route: the owner gets the WAV, others 403.
        newest = mine["messages"][0]
        status, _, body = await cc.http(
            newest["download"], headers={"authorization": f"Bearer {ALICE}"}
        )
        assert status == 200
        with wave.open(BytesIO(body)) as wav:
            assert (wav.getframerate(), wav.getnframes()) == (8000, 6 * 8000)
        status, _, _ = await cc.http(
            newest["download"], headers={"authorization": f"Bearer {CARL}"}
        )
        assert status == 403

        # Heard: the counts and the lamps' numbers follow, and the box's monitor is told.
        reply = await alice.call("voicemail.markHeard", {"messageID": newest["messageID"]})
        assert reply == {"messageID": newest["messageID"], "heard": True}
        changed = await alice.event("voicemail.changed")
        assert {k: v for k, v in changed.items() if k not in SILENT} == {
            "mailbox": "agent:2001",
            "messageID": newest["messageID"],
            "change": "heard",
            "newMessages": 1,
            "oldMessages": 1,
        }
        await cc.settle()
        assert lamp(cc, "1001") == (1, 1)
        unheard = await alice.call("voicemail.list", {"mailbox": "agent:2001", "unheardOnly": True})
        assert [m["userData"] for m in unheard["messages"]] == [{"lead": "L-7"}]
        heard = await alice.call("voicemail.get", {"messageID": newest["messageID"]})
        assert (heard["heard"], heard["heardBy"]) == (True, "alice")

        # Deleted: the file goes, the row stays, the download is gone.
        path = service(cc).file_path(
            {"path": _row_path(cc, newest["messageID"]), "message_id": newest["messageID"]}
        )
        assert path.exists()
        await alice.call("voicemail.delete", {"messageID": newest["messageID"]})
        assert not path.exists()
        gone = await alice.call("voicemail.get", {"messageID": newest["messageID"]})
        assert gone["deleted"] is True
        await cc.settle()
        assert lamp(cc, "1001") == (1, 0)
        after = await alice.call("voicemail.list", {"mailbox": "agent:2001"})
        assert (after["newMessages"], after["oldMessages"], len(after["messages"])) == (1, 0, 1)
        status, _, _ = await cc.http(
            newest["download"], headers={"authorization": f"Bearer {ALICE}"}
        )
        assert status == 404
        code = await refused(alice, "voicemail.delete", {"messageID": newest["messageID"]})
        assert code == -32006

    # A restart: the counts come back from the database.
    async with centre(tmp_path) as cc:
        admin = await cc.client()
        boxes = {
            box: (await admin.call("voicemail.list", {"mailbox": box}))
            for box in ("queue:sales", "agent:2001", "number:1005")
        }
        assert {b: (r["newMessages"], r["oldMessages"]) for b, r in boxes.items()} == {
            "queue:sales": (1, 0),
            "agent:2001": (1, 0),
            "number:1005": (1, 0),
        }


def lamp(cc: CallCentre, device: str) -> tuple[int, int]:
    """What the simulated phone's voicemail display shows: (new, old)."""
    return cc.sim.card.lines[device].message_waiting


def _row_path(cc: CallCentre, message_id: str) -> str:
    import sqlalchemy as sa

    from ctid.records.schema import voicemail_messages

    engine = service(cc).records.engine
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(voicemail_messages.c.path).where(
                    voicemail_messages.c.message_id == message_id
                )
            ).scalar_one()
        )


@pytest.mark.slow
async def test_retention_expires_old_messages(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with centre(tmp_path, retention_days=1, retention_interval=600) as cc:
        admin = await cc.client()
        await leave_message(cc, admin, "+15550101", "4001", 3, {})
        await trio.sleep(43200)
        await leave_message(cc, admin, "+15550102", "4001", 3, {})
        await service(cc).records.wait_committed()
        assert (await admin.call("voicemail.list", {"mailbox": "queue:sales"}))["newMessages"] == 2
        # The first is a day old after another half day; the second half a day later.
        await trio.sleep(43200 + 700)
        listed = await admin.call("voicemail.list", {"mailbox": "queue:sales"})
        assert [m["caller"] for m in listed["messages"]] == ["+15550102"]
        assert listed["newMessages"] == 1
        await trio.sleep(43200)
        listed = await admin.call("voicemail.list", {"mailbox": "queue:sales"})
        assert (listed["messages"], listed["newMessages"]) == ([], 0)
        assert service(cc).deleted_total == 2
        assert not any((tmp_path / "voicemail").rglob("*.wav"))
