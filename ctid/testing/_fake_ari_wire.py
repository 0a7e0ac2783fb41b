"""The fake Asterisk's wire protocol: HTTP/1.1 (h11) and the events WebSocket (wsproto).

One stream is one TCP connection to Asterisk's HTTP server. It carries REST
requests with keep-alive, or one upgrade to ``/ari/events`` after which it is a
WebSocket that carries events to the client. As in Asterisk: every request
needs basic authentication (or ``api_key=user:password``), a plain GET on
``/ari/events`` is answered 426, and every REST request is checked against the
API descriptions before anything runs.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final
from urllib.parse import parse_qsl

import h11
import trio
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import CloseConnection, Ping, TextMessage
from wsproto.utilities import generate_accept_token

from ctid.testing._fake_ari_objects import _EVENT_QUEUE, JSON
from ctid.testing._fake_ari_rest import handle
from ctid.testing._fake_ari_switch import AriSwitch
from ctid.testing.ari_schema import RequestError

__all__ = ["serve_connection"]

_MAX_BODY: Final = 1 << 20
_RECEIVE: Final = 65536


async def serve_connection(fake: AriSwitch, stream: trio.abc.Stream) -> None:
    """Serve one client connection until it closes or breaks."""
    try:
        await _serve(fake, stream)
    except* (trio.BrokenResourceError, trio.ClosedResourceError, h11.RemoteProtocolError):
        pass  # the client went away or sent garbage: drop the connection, as Asterisk does
    finally:
        fake.forget_connection(stream)
        await trio.aclose_forcefully(stream)


async def _read_request(
    conn: h11.Connection, stream: trio.abc.Stream
) -> tuple[h11.Request, bytes] | None:
    request: h11.Request | None = None
    body = b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(bytes(await stream.receive_some(_RECEIVE)))
            continue
        if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None if request is None else (request, body)
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > _MAX_BODY:
                raise h11.RemoteProtocolError("request body too large")
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None
            return request, body


async def _respond(
    conn: h11.Connection,
    stream: trio.abc.Stream,
    status: int,
    payload: Any,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = [(b"Server", b"Asterisk/22.10.1"), (b"Content-Length", str(len(body)).encode())]
    if body:
        headers.append((b"Content-Type", b"application/json"))
    headers.extend(extra or [])
    data = conn.send(h11.Response(status_code=status, headers=headers))
    if body:
        data += conn.send(h11.Data(data=body))
    data += conn.send(h11.EndOfMessage())
    await stream.send_all(data)


def _authorized(fake: AriSwitch, headers: dict[bytes, bytes], api_key: str | None) -> bool:
    expected = f"{fake.user}:{fake.password}"
    if api_key is not None:
        return api_key == expected
    auth = headers.get(b"authorization", b"")
    if not auth.startswith(b"Basic "):
        return False
    try:
        return base64.b64decode(auth[6:]).decode() == expected
    except ValueError:
        return False


async def _serve(fake: AriSwitch, stream: trio.abc.Stream) -> None:
    conn = h11.Connection(h11.SERVER)
    while True:
        got = await _read_request(conn, stream)
        if got is None:
            return
        request, raw_body = got
        target = request.target.decode("ascii")
        path, _, qs = target.partition("?")
        query = parse_qsl(qs, keep_blank_values=True)
        api_key = next((v for k, v in query if k == "api_key"), None)
        query = [(k, v) for k, v in query if k != "api_key"]
        headers = {k.lower(): v for k, v in request.headers}
        method = request.method.decode("ascii")
        if not _authorized(fake, headers, api_key):
            await _respond(
                conn,
                stream,
                401,
                {"message": "Authentication required"},
                [(b"WWW-Authenticate", b'Basic realm="Asterisk REST Interface"')],
            )
        elif not path.startswith("/ari/"):
            await _respond(conn, stream, 404, {"message": "Not found"})
        elif path == "/ari/events" and method == "GET":
            if headers.get(b"upgrade", b"").lower() != b"websocket":
                await _respond(conn, stream, 426, {"message": "Upgrade required"})
            else:
                fake.requests.append(("GET", "/events", tuple(query)))
                await _events_socket(fake, conn, stream, headers, query)
                return
        else:
            status, payload = _rest(fake, method, path[len("/ari") :], query, raw_body)
            await _respond(conn, stream, status, payload)
        if conn.our_state is h11.MUST_CLOSE:
            return
        conn.start_next_cycle()


def _rest(
    fake: AriSwitch, method: str, path: str, query: list[tuple[str, str]], raw: bytes
) -> tuple[int, Any]:
    body: Any = None
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"message": "Invalid JSON body"}
    fake.requests.append((method, path, tuple(query)))
    try:
        checked = fake.schema.check_request(method, path, query, body)
    except RequestError as exc:
        return exc.status, {"message": exc.message}
    return handle(fake, checked, dict(query), body)


async def _events_socket(
    fake: AriSwitch,
    conn: h11.Connection,
    stream: trio.abc.Stream,
    headers: dict[bytes, bytes],
    query: list[tuple[str, str]],
) -> None:
    try:
        fake.schema.check_request("GET", "/events", query)
    except RequestError as exc:
        await _respond(conn, stream, exc.status, {"message": exc.message})
        return
    key = headers.get(b"sec-websocket-key", b"")
    accept = generate_accept_token(key)
    await stream.send_all(
        conn.send(
            h11.InformationalResponse(
                status_code=101,
                headers=[
                    (b"Upgrade", b"websocket"),
                    (b"Connection", b"Upgrade"),
                    (b"Sec-WebSocket-Accept", accept),
                ],
            )
        )
    )
    trailing, _ = conn.trailing_data
    ws = Connection(ConnectionType.SERVER, trailing_data=trailing)
    params = dict(query)
    apps = params["app"].split(",")
    send, receive = trio.open_memory_channel[JSON](_EVENT_QUEUE)
    for app in apps:
        fake.register(app, send, subscribe_all=params.get("subscribeAll") == "true")
    lock = trio.Lock()

    async def write(data: bytes) -> None:
        async with lock:
            await stream.send_all(data)

    async def pump() -> None:
        async for event in receive:
            await write(ws.send(TextMessage(data=json.dumps(event))))

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(pump)
            await _read_frames(fake, ws, stream, write)
            nursery.cancel_scope.cancel()
    finally:
        for app in apps:
            fake.unregister(app, send)


async def _read_frames(
    fake: AriSwitch, ws: Connection, stream: trio.abc.Stream, write: Any
) -> None:
    while True:
        for event in ws.events():
            if isinstance(event, Ping) and fake.answer_pings:
                await write(ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                if ws.state is ConnectionState.REMOTE_CLOSING:
                    await write(ws.send(event.response()))
                return
        data = await stream.receive_some(_RECEIVE)
        if not data:
            return
        ws.receive_data(bytes(data))
