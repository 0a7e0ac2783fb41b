"""The API listener over real sockets (port 0): Origin (403), limits (503), proxies, the
socket budget, accept back-off, TLS and its reload.

Real sockets, so no ``autojump_clock`` here except for the fake listener test.
"""

from __future__ import annotations

import errno
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing
import trustme
from trio_websocket import wrap_client_stream
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, RejectConnection, RejectData, Request

from ctid.api.server import ACCEPT_BACKOFF
from ctid.testing import CallCentre, RpcTestClient, call_centre, sim_config
from ctid.testing.harness import ADMIN_TOKEN

#: A guard against a hanging test, not a wait.
GUARD = 10.0


#: Client streams the current test opened, closed when its daemon stops.
_opened: list[trio.abc.Stream] = []


@asynccontextmanager
async def centre(overrides: dict[str, Any]) -> AsyncIterator[CallCentre]:
    async with call_centre(sim_config(overrides)) as cc:
        try:
            yield cc
        finally:
            for stream in _opened:
                await trio.aclose_forcefully(stream)
            _opened.clear()


async def open_stream(
    cc: CallCentre, *, tls: ssl.SSLContext | None = None, hostname: str = "localhost"
) -> trio.abc.Stream:
    host, port = cc.app.addresses[0]
    tcp = await trio.open_tcp_stream(host, port)
    _opened.append(tcp)
    if tls is None:
        return tcp
    stream = trio.SSLStream(tcp, tls, server_hostname=hostname)
    await stream.do_handshake()
    return stream


async def upgrade(
    stream: trio.abc.Stream, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, dict[bytes, bytes], bytes]:
    """Send a WebSocket upgrade; (status, response headers, body) of the answer."""
    ws = WSConnection(ConnectionType.CLIENT)
    await stream.send_all(
        ws.send(
            Request(
                host="ctid.test",
                target="/v1",
                subprotocols=["ctid.v1.json"],
                extra_headers=headers or [],
            )
        )
    )
    status, got, body = 0, {}, b""
    with trio.fail_after(GUARD):
        while True:
            data = await stream.receive_some(65536)
            ws.receive_data(data or None)
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    return 101, dict(event.extra_headers), b""
                if isinstance(event, RejectConnection):
                    status, got = event.status_code, dict(event.headers)
                    if not event.has_body:
                        return status, got, body
                elif isinstance(event, RejectData):
                    body += event.data
                    if event.body_finished:
                        return status, got, body
            if not data:
                return status, got, body


async def rpc_client(
    cc: CallCentre,
    nursery: trio.Nursery,
    *,
    tls: ssl.SSLContext | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> RpcTestClient:
    stream = await open_stream(cc, tls=tls)
    ws = await wrap_client_stream(
        nursery,
        stream,  # type: ignore[arg-type]
        "localhost",
        "/v1",
        subprotocols=["ctid.v1.json"],
        extra_headers=headers or [],
    )
    client = RpcTestClient(ws)
    await nursery.start(client.run)
    await client.login(ADMIN_TOKEN)
    return client


# ------------------------------------------------------------------ Origin

ORIGINS = {"api": {"allowed_origins": ["https://crm.example.com", "http://127.0.0.1:*"]}}


@pytest.mark.parametrize(
    "origin", [b"https://evil.example.net", b"null", b"http://crm.example.com"]
)
async def test_an_origin_not_listed_gets_403(origin: bytes) -> None:
    async with centre(ORIGINS) as cc:
        stream = await open_stream(cc)
        status, headers, body = await upgrade(stream, [(b"origin", origin)])
        assert status == 403
        assert headers[b"content-type"] == b"application/json"
        assert json.loads(body) == {
            "error": f"origin {origin.decode()} is not allowed (see [api] allowed_origins)"
        }
        assert cc.app.server.counter.total == 0
        assert not cc.app.server.connections


@pytest.mark.parametrize(
    "headers",
    [
        [(b"origin", b"https://crm.example.com")],
        [(b"origin", b"http://127.0.0.1:5173")],
        [],  # no Origin: a script or a server
    ],
)
async def test_listed_origins_and_no_origin_connect(headers: list[tuple[bytes, bytes]]) -> None:
    async with centre(ORIGINS) as cc, trio.open_nursery() as nursery:
        client = await rpc_client(cc, nursery, headers=headers)
        assert "timestamp" in await client.call("session.ping")
        nursery.cancel_scope.cancel()


async def test_no_allowed_origins_refuses_every_browser_but_star_allows_all() -> None:
    async with centre({}) as cc:
        status, _, _ = await upgrade(await open_stream(cc), [(b"origin", b"http://localhost:1")])
        assert status == 403
    async with centre({"api": {"allowed_origins": ["*"]}}) as cc:
        stream = await open_stream(cc)
        status, _, _ = await upgrade(stream, [(b"origin", b"null")])
        assert status == 101
        await stream.aclose()


# ------------------------------------------------------------------ limits


async def test_past_the_limits_the_upgrade_gets_503_with_the_reason() -> None:
    overrides = {
        "server": {
            "max_connections": 3,
            "max_connections_per_address": 2,
            "trusted_proxies": ["127.0.0.0/8"],
        }
    }
    async with centre(overrides) as cc, trio.open_nursery() as nursery:
        xff = [(b"x-forwarded-for", b"198.51.100.1")]
        await rpc_client(cc, nursery, headers=xff)
        await rpc_client(cc, nursery, headers=xff)
        status, headers, body = await upgrade(await open_stream(cc), xff)
        assert (status, headers[b"retry-after"]) == (503, b"5")
        assert json.loads(body) == {
            "error": "too many connections from 198.51.100.1: 2 (max_connections_per_address 2)"
        }
        # Another client behind the same proxy still gets in...
        await rpc_client(cc, nursery, headers=[(b"forwarded", b'for="198.51.100.2:4711"')])
        # ...until the node is full.
        status, _, body = await upgrade(
            await open_stream(cc), [(b"x-forwarded-for", b"198.51.100.3")]
        )
        assert status == 503
        assert json.loads(body) == {"error": "server full: 3 connections (max_connections 3)"}
        server = cc.app.server
        assert sorted(c.client_address for c in server.connections) == [
            "198.51.100.1",
            "198.51.100.1",
            "198.51.100.2",
        ]
        assert server.counter.by_address == {"198.51.100.1": 2, "198.51.100.2": 1}
        nursery.cancel_scope.cancel()


async def test_forwarding_headers_from_an_untrusted_peer_are_ignored() -> None:
    overrides = {"server": {"max_connections_per_address": 1, "trusted_proxies": ["10.0.0.0/8"]}}
    async with centre(overrides) as cc, trio.open_nursery() as nursery:
        await rpc_client(cc, nursery, headers=[(b"x-forwarded-for", b"198.51.100.1")])
        status, _, body = await upgrade(
            await open_stream(cc), [(b"forwarded", b"for=198.51.100.2")]
        )
        assert status == 503
        assert json.loads(body) == {
            "error": "too many connections from 127.0.0.1: 1 (max_connections_per_address 1)"
        }
        assert [c.client_address for c in cc.app.server.connections] == ["127.0.0.1"]
        nursery.cancel_scope.cancel()


async def test_a_closed_connection_frees_its_place() -> None:
    async with centre({"server": {"max_connections": 1}}) as cc:
        async with trio.open_nursery() as nursery:
            client = await rpc_client(cc, nursery)
            await client.ws.aclose()
            nursery.cancel_scope.cancel()
        with trio.fail_after(GUARD):
            await cc.app.server.wait_idle()
        assert cc.app.server.counter.total == 0
        async with trio.open_nursery() as nursery:
            await rpc_client(cc, nursery)
            nursery.cancel_scope.cancel()


async def test_past_the_socket_budget_clients_wait_in_the_backlog() -> None:
    async with centre({}) as cc:
        server = cc.app.server
        server.socket_budget = 2
        idle = [await open_stream(cc), await open_stream(cc)]
        waiting = await open_stream(cc)
        await waiting.send_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        with trio.fail_after(GUARD):
            while server.sockets < 2:
                await trio.testing.wait_all_tasks_blocked()
        await trio.testing.wait_all_tasks_blocked()
        # Two idle sockets hold the budget: the third is not even accepted.
        assert server.sockets == 2
        await idle[0].aclose()
        data = b""
        with trio.fail_after(GUARD):
            while chunk := await waiting.receive_some(65536):
                data += chunk
        assert data.startswith(b"HTTP/1.1 200 ")
        await idle[1].aclose()


class _FailingListener(trio.abc.Listener[trio.SocketStream]):
    """accept() fails with EMFILE ``failures`` times, then waits forever."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[float] = []

    async def accept(self) -> trio.SocketStream:
        self.calls.append(trio.current_time())
        if len(self.calls) <= self.failures:
            raise OSError(errno.EMFILE, "Too many open files")
        await trio.sleep_forever()
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        pass


async def test_accept_backs_off_on_emfile_instead_of_spinning(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with call_centre(sim_config()) as cc, trio.open_nursery() as nursery:
        listener = _FailingListener(failures=3)
        start = trio.current_time()
        nursery.start_soon(cc.app.server._accept_loop, listener, nursery)
        await trio.sleep(1)
        # One attempt per back-off: 4 calls in 1 s of mock time, not thousands.
        assert [round(t - start, 6) for t in listener.calls] == [
            round(n * ACCEPT_BACKOFF, 6) for n in range(4)
        ]
        nursery.cancel_scope.cancel()


# --------------------------------------------------------------------- TLS


def _write(cert: trustme.LeafCert, directory: Path) -> tuple[Path, Path]:
    certificate, key = directory / "cert.pem", directory / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certificate))
    cert.private_key_pem.write_to_path(str(key))
    return certificate, key


def _client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_tls_serves_wss_only_and_a_reload_keeps_sessions(tmp_path: Path) -> None:
    first_ca, second_ca = trustme.CA(), trustme.CA()
    certificate, key = _write(first_ca.issue_cert("localhost", "127.0.0.1"), tmp_path)
    overrides = {"server": {"tls_certificate": str(certificate), "tls_private_key": str(key)}}
    async with centre(overrides) as cc, trio.open_nursery() as nursery:
        assert cc.app.url.startswith("wss://127.0.0.1:")
        session = await rpc_client(cc, nursery, tls=_client_context(first_ca))
        assert "timestamp" in await session.call("session.ping")

        # Plain ws:// to the TLS port: no HTTP answer at all.
        plain = await open_stream(cc)
        await plain.send_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        with trio.fail_after(GUARD):
            answer = b""
            while chunk := await plain.receive_some(65536):
                answer += chunk
        assert not answer.startswith(b"HTTP/")

        # Swap the files and reload as SIGHUP does.
        _write(second_ca.issue_cert("localhost", "127.0.0.1"), tmp_path)
        for reload in cc.app.api.services["reload"]:
            reload()
        assert cc.app.tls is not None and cc.app.tls.reloads == 1
        # The open session did not notice.
        assert "timestamp" in await session.call("session.ping")
        # New connections get the new certificate: the old CA no longer verifies it.
        with pytest.raises(trio.BrokenResourceError) as refused:
            await open_stream(cc, tls=_client_context(first_ca))
        assert isinstance(refused.value.__cause__, ssl.SSLCertVerificationError)
        again = await rpc_client(cc, nursery, tls=_client_context(second_ca))
        assert "timestamp" in await again.call("session.ping")

        # A reload of broken files keeps the certificate in service.
        key.write_text("not a key")
        for reload in cc.app.api.services["reload"]:
            reload()
        assert cc.app.tls.reloads == 1
        third = await rpc_client(cc, nursery, tls=_client_context(second_ca))
        assert "timestamp" in await third.call("session.ping")
        nursery.cancel_scope.cancel()


async def test_metrics_tls_serves_https(tmp_path: Path) -> None:
    ca = trustme.CA()
    certificate, key = _write(ca.issue_cert("localhost"), tmp_path)
    overrides = {
        "server": {
            "tls_certificate": str(certificate),
            "tls_private_key": str(key),
            "metrics_listen": "127.0.0.1:0",
            "metrics_tls": True,
        }
    }
    async with centre(overrides) as cc:
        host, port = cc.app.api.services["metrics_server"].addresses[0]
        tcp = await trio.open_tcp_stream(host, port)
        _opened.append(tcp)
        stream = trio.SSLStream(tcp, _client_context(ca), server_hostname="localhost")
        await stream.send_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
        data = b""
        with trio.fail_after(GUARD):
            try:
                while chunk := await stream.receive_some(65536):
                    data += chunk
            except trio.BrokenResourceError:
                pass  # a server may close without close_notify (https_compatible)
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert json.loads(body) == {"status": "ok", "driver": "up"}
