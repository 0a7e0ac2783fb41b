"""The client address failed logins are counted against: host only, from the socket."""

from __future__ import annotations

import json

import pytest
from trio_websocket import open_websocket_url

from ctid.api.connection import host_of
from ctid.testing import call_centre


@pytest.mark.parametrize(
    ("peer", "host"),
    [
        ("127.0.0.1:5000", "127.0.0.1"),
        ("::1:5000", "::1"),
        ("[::1]:5000", "::1"),
        ("fe80::1%eth0:443", "fe80::1%eth0"),
        ("memory", "memory"),
        ("unknown", "unknown"),
    ],
)
def test_host_of(peer: str, host: str) -> None:
    assert host_of(peer) == host


async def test_failed_login_over_a_real_socket_counts_for_its_host() -> None:
    async with call_centre() as cc:
        host, port = cc.app.addresses[0]
        async with open_websocket_url(f"ws://{host}:{port}/v1") as ws:
            await ws.send_message(
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "session.login",
                        "params": {"token": "not-a-token-at-all"},
                    }
                )
            )
            reply = json.loads(await ws.get_message())
            assert reply["error"] == {
                "code": -32002,
                "message": "authentication failed: unknown token",
            }
            (connection,) = cc.app.server.connections
            assert connection.client_address == "127.0.0.1"
            assert connection.peer.startswith("127.0.0.1:")
        assert cc.app.api.throttle._windows["127.0.0.1"].failures == 1
