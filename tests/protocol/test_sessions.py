"""Sessions outlive sockets: resume, replay window, takeover, slow consumers, timeouts."""

from __future__ import annotations

import re
from typing import Any

import pytest
import trio

from ctid.api import rpc
from ctid.testing import CallCentre, RpcErrorReply, RpcTestClient, call_centre, sim_config
from ctid.testing.harness import ADMIN_TOKEN

from .conftest import raw_client


async def make_events(
    cc: CallCentre, admin: RpcTestClient, n_calls: int, device: str = "1001"
) -> None:
    """Calls to ``device`` that ring and are answered and hung up: 4 events each on its monitor."""
    for i in range(n_calls):
        await admin.call(
            "sim.incomingCall", {"callingNumber": f"555000{i}", "calledNumber": device}
        )
        await cc.settle()
        await admin.call("sim.offHook", {"device": device})
        await cc.settle()
        await admin.call("sim.onHook", {"device": device})
        await cc.settle()


async def test_resume_replays_exactly_what_was_missed(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        admin = await cc.client()
        first = await cc.client(token=None)
        welcome = await first.login(ADMIN_TOKEN)
        await first.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        await make_events(cc, admin, 1)
        await first.wait_for(lambda: len(first.events) == 4)
        seen = [e["params"]["seq"] for e in first.events]
        assert seen == [1, 2, 3, 4]
        await first.ws.aclose()  # the socket is lost
        await cc.settle()
        await make_events(cc, admin, 2)  # 8 more events while nobody listens
        second = await cc.client(token=None)
        reply = await second.call(
            "session.resume",
            {"token": ADMIN_TOKEN, "sessionID": welcome["sessionID"], "lastSeq": 4},
        )
        assert (reply["sessionID"], reply["lastSeq"], reply["replayed"]) == (
            welcome["sessionID"],
            12,
            8,
        )
        assert reply["lastCloseReason"] is None
        await second.wait_for(lambda: len(second.events) == 8)
        assert [e["params"]["seq"] for e in second.events] == list(range(5, 13))
        assert [e["method"] for e in second.events][:4] == [
            "DeliveredEvent",
            "EstablishedEvent",
            "ConnectionClearedEvent",
            "CallClearedEvent",
        ]
        # Live events continue the same numbering, and the monitor is still there.
        await make_events(cc, admin, 1)
        await second.wait_for(lambda: len(second.events) == 12)
        assert [e["params"]["seq"] for e in second.events][-4:] == [13, 14, 15, 16]
        # Resuming from further back replays the overlap again (the client asked for it).
        third = await cc.client(token=None)
        reply = await third.call(
            "session.resume",
            {"token": ADMIN_TOKEN, "sessionID": welcome["sessionID"], "lastSeq": 14},
        )
        assert reply["replayed"] == 2
        await third.wait_for(lambda: len(third.events) == 2)
        # The second socket was taken over.
        await second.wait_for(lambda: second.closed is not None)
        assert second.closed is not None and second.closed.reason.code == 4001


async def test_resume_errors(autojump_clock: trio.testing.MockClock) -> None:
    config = sim_config(
        {
            "events": {"replay_events": 5},
            "auth": {
                "tokens": [
                    {
                        "role": "agent",
                        "name": "a1",
                        "token": "agent-token-0123456789",
                        "devices": ["1001"],
                    }
                ]
            },
        }
    )
    async with call_centre(config) as cc:
        admin = await cc.client()
        watcher = await cc.client(token=None)
        welcome = await watcher.login(ADMIN_TOKEN)
        session_id = welcome["sessionID"]
        await watcher.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        await watcher.ws.aclose()
        await make_events(cc, admin, 2)  # 8 events, only the last 5 are kept
        client = await cc.client(token=None)
        cases: list[tuple[dict[str, Any], int]] = [
            ({"token": ADMIN_TOKEN, "sessionID": session_id, "lastSeq": 0}, rpc.REPLAY_GAP),
            ({"token": ADMIN_TOKEN, "sessionID": "nope", "lastSeq": 0}, rpc.UNKNOWN_SESSION),
            (
                {"token": "agent-token-0123456789", "sessionID": session_id, "lastSeq": 3},
                rpc.UNKNOWN_SESSION,
            ),
            ({"token": ADMIN_TOKEN, "sessionID": session_id, "lastSeq": 99}, rpc.INVALID_PARAMS),
        ]
        for params, code in cases:
            with pytest.raises(RpcErrorReply) as info:
                await client.call("session.resume", params)
            assert info.value.code == code, params
        with pytest.raises(RpcErrorReply) as info:
            await client.call(
                "session.resume", {"token": ADMIN_TOKEN, "sessionID": session_id, "lastSeq": 1}
            )
        assert info.value.data == {"oldestSeq": 4, "lastSeq": 8}
        assert "take snapshots again" in info.value.message
        reply = await client.call(
            "session.resume", {"token": ADMIN_TOKEN, "sessionID": session_id, "lastSeq": 3}
        )
        assert reply["replayed"] == 5


async def test_sessions_expire_after_the_linger_and_logout_ends_them(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre(sim_config({"events": {"replay_seconds": 60}})) as cc:
        client = await cc.client(token=None)
        session_id = (await client.login(ADMIN_TOKEN))["sessionID"]
        await client.ws.aclose()
        await trio.sleep(59)
        again = await cc.client(token=None)
        await again.call(
            "session.resume", {"token": ADMIN_TOKEN, "sessionID": session_id, "lastSeq": 0}
        )
        await again.ws.aclose()
        await trio.sleep(61)
        late = await cc.client(token=None)
        with pytest.raises(RpcErrorReply) as info:
            await late.call(
                "session.resume", {"token": ADMIN_TOKEN, "sessionID": session_id, "lastSeq": 0}
            )
        assert info.value.code == rpc.UNKNOWN_SESSION
        session_id = (await late.login(ADMIN_TOKEN))["sessionID"]
        assert await late.call("session.logout") == {}
        await late.wait_for(lambda: late.closed is not None)
        assert late.closed is not None
        assert (late.closed.reason.code, late.closed.reason.reason) == (4002, "logged out")
        assert cc.app.api.sessions.get(session_id) is None


async def test_backlog_over_the_limit_closes_with_a_reason_and_resume_recovers(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre(sim_config({"events": {"max_pending": 2}})) as cc:
        admin = await cc.client()
        raw = await raw_client(cc, ["ctid.v1.json"])
        await raw.send_json(
            {"jsonrpc": "2.0", "id": 1, "method": "session.login", "params": {"token": ADMIN_TOKEN}}
        )
        session_id = (await raw.receive_json())["result"]["sessionID"]
        await raw.send_json(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "MonitorStart",
                "params": {"monitorObject": {"deviceObject": "1001"}},
            }
        )
        await raw.receive_json()
        call_id = (
            await admin.call(
                "sim.incomingCall", {"callingNumber": "5550001", "calledNumber": "1001"}
            )
        )["callID"]
        await admin.call("sim.offHook", {"device": "1001"})
        await cc.settle()
        assert [(await raw.receive_json())["params"]["seq"] for _ in range(2)] == [1, 2]
        # A consultation emits three events for 1001 at once: more than may wait.
        await admin.call(
            "ConsultationCall",
            {"existingCall": {"callID": call_id, "deviceID": "1001"}, "consultedDevice": "1002"},
        )
        close = await raw.wait_closed()
        assert close is not None and close.code == 4000
        # Three events of the consultation are over the limit at once; whether the
        # consulted phone's DeliveredEvent is queued before the close is decided
        # depends on trio's (deliberately shuffled) task order: 3 or 4.
        unread = re.fullmatch(
            r"slow consumer: (\d+) events unread; resume to continue", close.reason
        )
        assert unread is not None and int(unread.group(1)) in (3, 4), close.reason
        # Nothing is lost: resume from the last event the client saw.
        client = await cc.client(token=None)
        reply = await client.call(
            "session.resume", {"token": ADMIN_TOKEN, "sessionID": session_id, "lastSeq": 2}
        )
        assert reply["lastCloseReason"] == close.reason
        await client.wait_for(lambda: len(client.events) == reply["replayed"] >= 3)
        assert [e["method"] for e in client.events][:3] == [
            "HeldEvent",
            "ServiceInitiatedEvent",
            "OriginatedEvent",
        ]
        assert [e["params"]["seq"] for e in client.events] == list(range(3, reply["lastSeq"] + 1))


async def test_client_that_stops_reading_cannot_block_anyone(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre(sim_config({"events": {"max_pending": 20}})) as cc:
        admin = await cc.client()
        other = await cc.client()
        await other.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        stuck = await raw_client(cc, ["ctid.v1.json"], lockstep=True)
        await stuck.send_json(
            {"jsonrpc": "2.0", "id": 1, "method": "session.login", "params": {"token": ADMIN_TOKEN}}
        )
        session_id = (await stuck.receive_json())["result"]["sessionID"]
        await stuck.send_json(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "MonitorStart",
                "params": {"monitorObject": {"deviceObject": "1001"}},
            }
        )
        await stuck.receive_json()
        # From here the stuck client reads nothing: the server's write to it blocks.
        await make_events(cc, admin, 8)
        await other.wait_for(lambda: len(other.events) == 32)  # the others were not slowed
        session = cc.app.api.sessions.get(session_id)
        assert session is not None and session.attachment is None
        assert session.last_close_reason is not None and session.last_close_reason.startswith(
            "slow consumer"
        )
        resumed = await cc.client(token=None)
        reply = await resumed.call(
            "session.resume", {"token": ADMIN_TOKEN, "sessionID": session_id, "lastSeq": 0}
        )
        assert reply["replayed"] == 32
        await resumed.wait_for(lambda: len(resumed.events) == 32)
        assert [e["params"]["seq"] for e in resumed.events] == list(range(1, 33))


async def test_login_timeout_and_failed_logins(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        quiet = await raw_client(cc, ["ctid.v1.json"])
        start = trio.current_time()
        close = await quiet.wait_closed()
        assert close is not None and close.code == 4003
        assert trio.current_time() - start == pytest.approx(30.0)
        guesser = await raw_client(cc, ["ctid.v1.json"])
        for i in range(3):
            await guesser.send_json(
                {
                    "jsonrpc": "2.0",
                    "id": i,
                    "method": "session.login",
                    "params": {"token": f"guess{i}"},
                }
            )
            assert (await guesser.receive_json())["error"]["code"] == rpc.AUTHENTICATION_FAILED
        close = await guesser.wait_closed()
        assert close is not None and close.code == 4004


async def test_keep_alive(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre(sim_config({"api": {"ping_interval": 10}})) as cc:
        healthy = await cc.client()  # trio-websocket answers pings
        mute = await raw_client(cc, ["ctid.v1.json"])
        await mute.send_json(
            {"jsonrpc": "2.0", "id": 1, "method": "session.login", "params": {"token": ADMIN_TOKEN}}
        )
        await mute.receive_json()
        start = trio.current_time()
        close = await mute.wait_closed()
        assert close is not None and close.code == 4005 and mute.pings == 1
        assert trio.current_time() - start == pytest.approx(20.0)
        await trio.sleep(60)
        assert healthy.closed is None
        assert await healthy.call("session.ping")


async def test_many_sessions_on_one_device(autojump_clock: trio.testing.MockClock) -> None:
    async with call_centre() as cc:
        admin = await cc.client()
        clients = [await cc.client(msgpack=i % 2 == 1) for i in range(10)]
        for client in clients:
            await client.call("MonitorStart", {"monitorObject": {"deviceObject": "1001"}})
        await make_events(cc, admin, 3)
        for client in clients:
            await client.wait_for(lambda c=client: len(c.events) == 12)
            assert [e["params"]["seq"] for e in client.events] == list(range(1, 13))
        assert len({tuple(e["method"] for e in c.events) for c in clients}) == 1


async def test_close_frames_crossing_keep_the_servers_reason(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with call_centre() as cc:
        raw = await raw_client(cc, ["ctid.v1.json"])
        await raw.send_json(
            {"jsonrpc": "2.0", "id": 1, "method": "session.login", "params": {"token": ADMIN_TOKEN}}
        )
        await raw.receive_json()
        # The client closes at once after asking to log out: both close frames cross.
        await raw.send_json({"jsonrpc": "2.0", "id": 2, "method": "session.logout"})
        from wsproto.events import CloseConnection

        await raw.stream.send_all(raw.ws.send(CloseConnection(code=1000, reason="bye")))
        close = await raw.wait_closed()
        assert close is not None and (close.code, close.reason) == (4002, "logged out")
