"""The async client against the real ctid server over real sockets, on asyncio and on trio.

anyio's pytest plugin runs every test here once per event loop. The server
runs in its own thread (``ServerThread``); nothing waits on the clock.
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest
from ctid_client import (
    AuthenticationError,
    ConnectionClosed,
    ConnectionState,
    CstaError,
    ErrorCode,
    Event,
    EventBufferFull,
    RpcError,
    SessionRestarted,
)

from .helpers import DEADLINE, client, next_event, take_until
from .server import ServerThread


@pytest.fixture(params=["json", "msgpack"])
def codec(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_login(server: ServerThread, codec: Any) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server, codec=codec) as c:
            assert c.state is ConnectionState.CONNECTED
            assert c.session is not None
            assert c.session.role == "admin"
            assert c.session.protocol_version == "1.0"
            assert isinstance(await c.ping(), str)
        assert c.statistics().state is ConnectionState.CLOSED


async def test_make_call_and_its_events(server: ServerThread, codec: Any) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server, codec=codec) as c, c.events() as events:
            xref = await c.monitor_start("1001")
            made = await c.make_call("1001", "1002", auto_originate="doNotPrompt")
            assert made.device_id == "1001"
            got = await take_until(events, "DeliveredEvent")
            assert all(isinstance(e, Event) for e in got)
            seen = [e for e in got if isinstance(e, Event)]
            assert [e.name for e in seen] == [
                "ServiceInitiatedEvent",
                "OriginatedEvent",
                "DeliveredEvent",
            ]
            assert [e.seq for e in seen] == [1, 2, 3]
            assert {e.monitor_cross_ref_id for e in seen} == {xref}
            delivered = seen[-1]
            assert delivered["alertingDevice"] == "1002"
            assert delivered.connection("connection") is not None
            assert delivered.connection("connection").call_id == made.call_id  # type: ignore[union-attr]
            assert delivered.local_connection_info == "connected"
            assert delivered.timestamp is not None
            [at_1001] = await c.snapshot_device("1001")
            assert at_1001.connection == made
            call = await c.snapshot_call(made.call_id)
            assert {p.device for p in call.parties} == {"1001", "1002"}
            assert c.statistics().events == 3


async def test_csta_error(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c:
            with pytest.raises(CstaError) as caught:
                await c.clear_call("no-such-call")
            assert caught.value.csta_error == "invalidCallIdentifier"
            assert caught.value.code == ErrorCode.CSTA_ERROR
            assert caught.value.method == "ClearCall"
            # The client goes on after a refused request.
            assert await c.snapshot_device("1001") == ()


async def test_invalid_params_and_unknown_method(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c:
            with pytest.raises(RpcError) as caught:
                await c.call("MakeCall", {"callingDevice": 1001})
            assert caught.value.code == ErrorCode.INVALID_PARAMS
            with pytest.raises(RpcError) as caught:
                await c.call("no.such.method")
            assert caught.value.code == ErrorCode.METHOD_NOT_FOUND


async def test_bad_token(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE), pytest.raises(AuthenticationError):
        async with client(server, token="not-a-token"):
            raise AssertionError("logged in with a bad token")  # pragma: no cover


async def test_discover(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c:
            found = await c.discover()
            assert "MakeCall" in {m.name for m in found.methods}
            assert "DeliveredEvent" in found.events


async def test_batch(server: ServerThread, codec: Any) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server, codec=codec) as c:
            outcomes = await c.call_batch(
                [
                    ("MonitorStart", {"monitorObject": {"deviceObject": "1003"}}),
                    ("ClearCall", {"callToBeCleared": "nope"}),
                    ("SnapshotDevice", {"snapshotObject": "1003"}),
                ]
            )
            assert outcomes[0].unwrap() == {"monitorCrossRefID": "m1"}
            assert isinstance(outcomes[1].error, CstaError)
            with pytest.raises(CstaError):
                outcomes[1].unwrap()
            assert outcomes[2].result == {"snapshotData": []}
            # A monitor started in a batch is tracked like any other.
            assert list(c.monitors) == ["m1"]


async def test_callbacks_and_unsubscribe(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c, c.events("DeliveredEvent") as rings:
            names: list[str] = []
            delivered: list[Event] = []
            stop_all = c.on("*", lambda e: names.append(e.name))
            stop_delivered = c.on("DeliveredEvent", delivered.append)
            await c.monitor_start("1001")
            await c.make_call("1001", "1002", auto_originate="doNotPrompt")
            await next_event(rings, "DeliveredEvent")
            assert names == ["ServiceInitiatedEvent", "OriginatedEvent", "DeliveredEvent"]
            assert [e.name for e in delivered] == ["DeliveredEvent"]
            stop_all()
            stop_delivered()
            stop_delivered()  # harmless twice
            await c.monitor_start("1003")
            await c.make_call("1003", "1004", auto_originate="doNotPrompt")
            await next_event(rings, "DeliveredEvent")
            assert len(names) == 3
            assert len(delivered) == 1


async def test_a_reader_that_falls_behind_gets_event_buffer_full(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c, c.events() as everything:
            small = c.events(maxsize=2)
            await c.monitor_start("1001")
            await c.make_call("1001", "1002", auto_originate="doNotPrompt")
            await next_event(everything, "DeliveredEvent")  # three events have arrived
            first = await small.__anext__()
            second = await small.__anext__()
            assert isinstance(first, Event)
            assert isinstance(second, Event)
            assert [first.seq, second.seq] == [1, 2]
            with pytest.raises(EventBufferFull):
                await small.__anext__()
            with pytest.raises(StopAsyncIteration):
                await small.__anext__()


async def test_the_body_s_exception_is_not_wrapped(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        with pytest.raises(ValueError, match="mine") as caught:
            async with client(server):
                raise ValueError("mine")
        assert not isinstance(caught.value, BaseExceptionGroup)


async def test_a_callback_s_exception_comes_out_of_async_with(server: ServerThread) -> None:
    def explode(event: Event) -> None:
        raise KeyError(event.name)

    async def use_the_client() -> None:
        async with client(server) as c:
            c.on("ServiceInitiatedEvent", explode)
            await c.monitor_start("1001")
            await c.make_call("1001", "1002", auto_originate="doNotPrompt")
            await anyio.sleep_forever()  # cancelled when the callback fails

    with anyio.fail_after(DEADLINE):
        with pytest.raises(KeyError, match="ServiceInitiatedEvent") as caught:
            await use_the_client()
        assert not isinstance(caught.value, BaseExceptionGroup)


async def test_logout_closes_for_good(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c, c.events() as events:
            await c.logout()
            with pytest.raises(StopAsyncIteration):
                await events.__anext__()
            assert c.state is ConnectionState.CLOSED
            with pytest.raises(ConnectionClosed) as caught:
                await c.ping()
            assert caught.value.code == 4002
            assert c.statistics().connections == 1


async def test_monitor_ended_forgets_the_monitor(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c, c.events() as events:
            await c.monitor_start("1001")
            made = await c.make_call("1001", "1002", auto_originate="doNotPrompt")
            xref = await c.monitor_start(call=made.call_id)
            assert set(c.monitors) == {"m1", xref}
            await next_event(events, "DeliveredEvent")
            await c.clear_call(made)
            ended = await next_event(events, "MonitorEndedEvent")
            assert ended.monitor_cross_ref_id == xref
            assert set(c.monitors) == {"m1"}
            await c.monitor_stop("m1")
            assert dict(c.monitors) == {}


async def test_the_body_runs_on_after_aclose(server: ServerThread) -> None:
    reached = False
    with anyio.fail_after(DEADLINE):
        async with client(server) as c:
            await c.notify("session.ping")
            await c.aclose()
            await anyio.lowlevel.checkpoint()
            with pytest.raises(ConnectionClosed):
                await c.ping()
            reached = True
    assert reached


async def test_requests_after_close_raise(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(server) as c:
            pass
        with pytest.raises(ConnectionClosed) as caught:
            await c.ping()
        assert caught.value.code == 1000
        assert caught.value.reason == "closed by the application"
        stream = c.events()
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()


def test_restarted_notice_is_not_an_event() -> None:
    assert not issubclass(SessionRestarted, Event)


async def test_an_outer_cancel_scope_cancels_the_client_cleanly(server: ServerThread) -> None:
    with anyio.fail_after(DEADLINE):
        with anyio.CancelScope() as scope:
            async with client(server) as c:
                scope.cancel()
                await anyio.sleep_forever()
        assert scope.cancelled_caught
        assert c.statistics().state is ConnectionState.CLOSED
        with anyio.move_on_after(0) as early:
            async with client(server):
                raise AssertionError("entered after the deadline")  # pragma: no cover
        assert early.cancelled_caught
