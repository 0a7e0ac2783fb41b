"""Reconnecting against the real server: resume, re-login, and the codes that forbid it.

Every test here cuts the client off on the server side and checks what the
application sees. ``GatedConnector`` lets a test change the server while the
client is disconnected, before its next connection; there are no sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
import trio_websocket
from ctid_client import (
    Client,
    ConnectionClosed,
    ConnectionState,
    Event,
    ReplayGap,
    SessionLost,
    SessionRestarted,
)

from .helpers import (
    DEADLINE,
    GatedConnector,
    client,
    next_event,
    on_server,
    retry_on_loss,
    take_until,
)
from .server import ADMIN_TOKEN, ServerThread


def seqs(items: list[Any]) -> list[int | None]:
    return [i.seq for i in items if isinstance(i, Event)]


async def test_resume_after_the_server_drops_the_socket(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c, c.events() as events:
            await c.monitor_start("1001")
            await c.make_call("1001", "1002", auto_originate="doNotPrompt")
            before = await take_until(events, "DeliveredEvent")
            session = c.session
            assert await on_server(server.drop_connections) == 1
            # Requests wait for the next connection; the session goes on.
            await retry_on_loss(lambda: c.monitor_start("1003"))
            await c.make_call("1003", "1004", auto_originate="doNotPrompt")
            after = await take_until(events, "DeliveredEvent")
            assert seqs(before + after) == [1, 2, 3, 4, 5, 6]
            assert not any(isinstance(i, SessionRestarted) for i in after)
            assert c.session == session
            stats = c.statistics()
            assert (stats.connections, stats.resumes, stats.restarts) == (2, 1, 0)
            assert stats.state is ConnectionState.CONNECTED


async def test_resume_replays_the_events_missed_while_away(server: ServerThread) -> None:
    async with client(server) as helper, helper.events() as helper_events:
        await helper.monitor_start("1001")

        async def while_away() -> None:
            # The monitored phone makes a call while the client is cut off.
            await helper.make_call("1001", "1002", auto_originate="doNotPrompt")
            await next_event(helper_events, "DeliveredEvent")

        gate = GatedConnector(while_away)
        with anyio.fail_after(DEADLINE):
            async with client(server, connector=gate) as c, c.events() as events:
                await c.monitor_start("1001")
                assert c.session is not None
                await on_server(server.drop_connections, c.session.session_id)
                missed = await take_until(events, "DeliveredEvent")
                assert [i.name for i in missed if isinstance(i, Event)] == [
                    "ServiceInitiatedEvent",
                    "OriginatedEvent",
                    "DeliveredEvent",
                ]
                assert seqs(missed) == [1, 2, 3]
                assert gate.attempts == 2
                assert c.statistics().resumes == 1


async def test_slow_consumer_close_4000_resumes(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c:
            session = c.session
            assert await on_server(server.close_connections, 4000, "slow consumer: test") == 1
            # A ping that reaches the server before it sends its close frame is
            # answered on the old connection: ask until the client has resumed.
            while c.statistics().resumes == 0:
                assert isinstance(await retry_on_loss(c.ping), str)
            assert c.session == session
            assert c.statistics().resumes == 1


async def test_server_restart_1001_reconnects(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c:
            assert await on_server(server.close_connections, 1001, "server shutting down") == 1
            while c.statistics().connections == 1:  # see test_slow_consumer_close_4000_resumes
                assert isinstance(await retry_on_loss(c.ping), str)
            assert c.statistics().connections == 2


async def test_relogin_when_the_session_is_gone(server: ServerThread) -> None:
    restarts: list[SessionRestarted] = []
    old_session = ""

    async def while_away() -> None:
        await on_server(server.end_session, old_session)

    gate = GatedConnector(while_away)
    with anyio.fail_after(DEADLINE):
        async with client(server, connector=gate) as c, c.events() as events:
            c.on_restart(restarts.append)
            assert await c.monitor_start("1001") == "m1"
            await c.monitor_start("1002")
            await c.make_call("1001", "1003", auto_originate="doNotPrompt")
            await take_until(events, "DeliveredEvent")
            assert c.session is not None
            old_session = c.session.session_id
            await on_server(server.drop_connections, old_session)
            notice = await events.__anext__()
            assert isinstance(notice, SessionRestarted)
            assert type(notice.reason) is SessionLost
            assert notice.old_session_id == old_session
            assert notice.new_session_id == c.session.session_id != old_session
            assert notice.last_seq == 3
            assert dict(notice.monitors) == {"m1": "m1", "m2": "m2"}
            assert dict(notice.failed_monitors) == {}
            assert restarts == [notice]
            # The monitors work in the new session, whose events count from 1.
            await retry_on_loss(lambda: c.make_call("1002", "1004", auto_originate="doNotPrompt"))
            fresh = await take_until(events, "DeliveredEvent")
            assert seqs(fresh) == list(range(1, len(fresh) + 1))
            assert {i.monitor_cross_ref_id for i in fresh if isinstance(i, Event)} == {"m2"}
            stats = c.statistics()
            assert (stats.resumes, stats.restarts, stats.last_seq) == (0, 1, len(fresh))


@pytest.fixture
def small_window_server() -> Iterator[ServerThread]:
    """A server whose sessions keep only their last two events for replay."""
    with ServerThread({"events": {"replay_events": 2}}) as running:
        yield running


async def test_replay_gap_logs_in_again(small_window_server: ServerThread) -> None:
    server = small_window_server
    async with client(server) as helper, helper.events() as helper_events:
        await helper.monitor_start("1001")

        async def while_away() -> None:
            # Three events on the monitored phone: more than the window keeps.
            await helper.make_call("1001", "1002", auto_originate="doNotPrompt")
            await next_event(helper_events, "DeliveredEvent")

        gate = GatedConnector(while_away)
        with anyio.fail_after(DEADLINE):
            async with client(server, connector=gate) as c, c.events() as events:
                await c.monitor_start("1001")
                assert c.session is not None
                await on_server(server.drop_connections, c.session.session_id)
                notice = await events.__anext__()
                assert isinstance(notice, SessionRestarted)
                assert isinstance(notice.reason, ReplayGap)
                assert notice.reason.oldest_seq == 2
                assert notice.last_seq == 0
                assert dict(notice.monitors) == {"m1": "m1"}


async def test_a_call_monitor_of_an_ended_call_cannot_restart(server: ServerThread) -> None:
    old_session = ""

    async def while_away() -> None:
        await on_server(server.end_session, old_session)

    gate = GatedConnector(while_away)
    with anyio.fail_after(DEADLINE):
        async with client(server, connector=gate) as c, c.events() as events:
            await c.monitor_start("1001")
            made = await c.make_call("1001", "1002", auto_originate="doNotPrompt")
            await next_event(events, "DeliveredEvent")
            call_monitor = await c.monitor_start(call=made.call_id)
            assert c.session is not None
            old_session = c.session.session_id
            await on_server(server.drop_connections, old_session)
            notice = await next_restart(events)
            # The old session's calls live on in the switch, so the call monitor restarts too;
            # what cannot restart is reported, not dropped silently.
            assert set(notice.monitors) | set(notice.failed_monitors) == {"m1", call_monitor}


async def next_restart(events: Any) -> SessionRestarted:
    async for item in events:
        if isinstance(item, SessionRestarted):
            return item
    raise AssertionError("no SessionRestarted")


async def test_taken_over_4001_never_reconnects(server: ServerThread) -> None:
    async def take_over(session_id: str) -> dict[str, Any]:
        async with trio_websocket.open_websocket_url(
            server.url, subprotocols=["ctid.v1.json"]
        ) as ws:
            request = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "session.resume",
                "params": {"token": ADMIN_TOKEN, "sessionID": session_id, "lastSeq": 0},
            }
            await ws.send_message(json.dumps(request))
            reply: dict[str, Any] = json.loads(await ws.get_message())
            return reply

    with anyio.fail_after(DEADLINE):
        async with client(server) as c, c.events() as events:
            assert c.session is not None
            reply = await on_server(server.run, take_over, c.session.session_id)
            assert "result" in reply
            with pytest.raises(ConnectionClosed) as caught:
                await events.__anext__()
            assert caught.value.code == 4001
            assert caught.value.fatal
            assert c.state is ConnectionState.CLOSED
            with pytest.raises(ConnectionClosed):
                await c.ping()
            assert c.statistics().connections == 1


async def test_reconnect_off_closes_on_loss(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with Client(server.url, token=ADMIN_TOKEN, reconnect=None) as c, c.events() as ev:
            await on_server(server.drop_connections)
            with pytest.raises(ConnectionClosed) as caught:
                await ev.__anext__()
            assert caught.value.code == 1006
            assert c.state is ConnectionState.CLOSED
