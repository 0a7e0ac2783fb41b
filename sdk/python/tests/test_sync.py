"""The blocking facade against the real server (a thread runs the async client's loop)."""

from __future__ import annotations

import pytest
from ctid_client import (
    AuthenticationError,
    ConnectionClosed,
    ConnectionID,
    CstaError,
    Event,
    SessionRestarted,
)
from ctid_client.sync import Client

from .helpers import AT_ONCE
from .server import ADMIN_TOKEN, ServerThread


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_script_flow(server: ServerThread, backend: str) -> None:
    with Client(server.url, token=ADMIN_TOKEN, backend=backend, reconnect=AT_ONCE) as c:  # type: ignore[arg-type]
        assert c.session is not None
        names: list[str] = []
        stop = c.on("*", lambda e: names.append(e.name))
        with c.events("DeliveredEvent") as rings:
            assert c.monitor_start("1001") == "m1"
            made = c.make_call("1001", "1002", auto_originate="doNotPrompt")
            assert isinstance(made, ConnectionID)
            ring = rings.next_event(timeout=10)
            assert isinstance(ring, Event)
            assert ring["alertingDevice"] == "1002"
        stop()
        assert names == ["ServiceInitiatedEvent", "OriginatedEvent", "DeliveredEvent"]
        with pytest.raises(CstaError) as caught:
            c.clear_call("no-such-call")
        assert caught.value.csta_error == "invalidCallIdentifier"
        assert c.call("session.ping")["timestamp"]
        [outcome] = c.call_batch([("SnapshotDevice", {"snapshotObject": "1001"})])
        assert len(outcome.unwrap()["snapshotData"]) == 1
        assert c.statistics().events == 3
    with pytest.raises(RuntimeError, match="inside"):
        c.ping()


def test_bad_token_raises_from_with(server: ServerThread) -> None:
    with pytest.raises(AuthenticationError), Client(server.url, token="wrong"):
        raise AssertionError("logged in")  # pragma: no cover


def test_events_end_when_the_client_is_closed_for_good(server: ServerThread) -> None:
    with Client(server.url, token=ADMIN_TOKEN, reconnect=AT_ONCE) as c:
        events = c.events()
        c.logout()
        assert list(events) == []
        with pytest.raises(ConnectionClosed):
            c.ping()


def test_resume_through_the_facade(server: ServerThread) -> None:
    with Client(server.url, token=ADMIN_TOKEN, reconnect=AT_ONCE) as c, c.events() as events:
        c.monitor_start("1001")
        server.drop_connections()
        # The first request may meet the dead socket; the facade raises like the async client.
        for _ in range(3):
            try:
                c.make_call("1001", "1002", auto_originate="doNotPrompt")
                break
            except ConnectionClosed:
                continue
        seen = []
        for item in events:
            assert not isinstance(item, SessionRestarted)
            seen.append(item)
            if item.name == "DeliveredEvent":
                break
        assert [e.seq for e in seen] == [1, 2, 3]
        assert c.statistics().resumes == 1
