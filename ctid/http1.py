"""HTTP/1.1 over any trio ``Stream`` with h11: one request, one answer.

Shared by the Asterisk driver's kept-alive ARI client and the IVR's lookups.
``Connection.exchange`` sends one request on a stream and reads its whole
answer, refusing answers over a size limit; pooling, deadlines and retries
belong to the callers. Errors are one small tree under ``HttpError``. Status
codes are not errors here: the caller gets every ``Response`` and decides.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

import attrs
import h11
import trio

__all__ = [
    "ConnectFailed",
    "Connection",
    "ConnectionLost",
    "HttpError",
    "ProtocolFailure",
    "RequestTimedOut",
    "Response",
    "ResponseTooLarge",
    "Stale",
    "basic_auth",
    "close_stream",
]

_RECEIVE_SIZE: Final = 65536


class HttpError(Exception):
    """Base of the HTTP client's errors."""


class ConnectFailed(HttpError):
    """The server could not be reached."""


class ConnectionLost(HttpError):
    """The connection broke before the whole answer arrived."""


class ProtocolFailure(HttpError):
    """The server's bytes were not valid HTTP/1.1."""


class ResponseTooLarge(HttpError):
    """The answer was larger than the client accepts."""


class RequestTimedOut(HttpError):
    """No whole answer within the request's deadline."""


@attrs.frozen
class Response:
    """One HTTP answer."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body parsed as JSON (``None`` for an empty body, such as a 204)."""
        if not self.body:
            return None
        return json.loads(self.body)


def basic_auth(user: str, password: str) -> bytes:
    """The value of an ``Authorization`` header for HTTP basic authentication."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}".encode("ascii")


class Connection:
    """One kept-alive connection: a stream and its h11 state."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(our_role=h11.CLIENT)

    @property
    def reusable(self) -> bool:
        return self.h11.our_state is h11.IDLE and self.h11.their_state is h11.IDLE

    async def exchange(self, head: h11.Request, body: bytes, limit: int) -> Response:
        """Send one request and read its answer; ``Stale`` if nothing came back at all."""
        got_bytes = False
        eof = False
        try:
            data = self.h11.send(head)
            data += self.h11.send(h11.Data(data=body)) if body else b""
            data += self.h11.send(h11.EndOfMessage())
            await self.stream.send_all(data)
            status = 0
            headers: tuple[tuple[bytes, bytes], ...] = ()
            chunks: list[bytes] = []
            size = 0
            while True:
                event = self.h11.next_event()
                if event is h11.NEED_DATA:
                    raw = await self.stream.receive_some(_RECEIVE_SIZE)
                    got_bytes = got_bytes or bool(raw)
                    eof = not raw
                    self.h11.receive_data(bytes(raw))
                    continue
                if isinstance(event, h11.Response):
                    status = event.status_code
                    headers = tuple((k, v) for k, v in event.headers)
                    length = _content_length(headers)
                    if length is not None and length > limit:
                        raise ResponseTooLarge(f"answer of {length} bytes (limit {limit})")
                elif isinstance(event, h11.Data):
                    size += len(event.data)
                    if size > limit:
                        raise ResponseTooLarge(f"answer over {limit} bytes")
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
                        self.h11.start_next_cycle()
                    return Response(status=status, headers=headers, body=b"".join(chunks))
                elif isinstance(event, h11.ConnectionClosed):
                    raise Stale() if not got_bytes else ConnectionLost("closed mid-answer")
                # InformationalResponse (1xx): keep reading for the final answer.
        except h11.RemoteProtocolError as exc:
            if not got_bytes:
                raise Stale() from exc
            if eof:  # h11 says the answer was cut short by the close
                raise ConnectionLost(str(exc)) from exc
            raise ProtocolFailure(str(exc)) from exc
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            if not got_bytes:
                raise Stale() from exc
            raise ConnectionLost(str(exc)) from exc


class Stale(Exception):
    """The connection failed before any byte of an answer arrived (safe to retry)."""


def _content_length(headers: tuple[tuple[bytes, bytes], ...]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            return int(value)
    return None


async def close_stream(stream: trio.abc.Stream) -> None:
    with trio.CancelScope(shield=True):
        await trio.aclose_forcefully(stream)
