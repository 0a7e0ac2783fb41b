"""One plain HTTP/1.1 request to the API port (fax document upload and download).

The server answers with ``Connection: close`` and a ``Content-Length``, so a
response is read to the end of the stream; no keep-alive, no chunked bodies.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any, Final

import anyio

from ._errors import ProtocolError
from ._transport import Endpoint, StreamConnector

__all__ = ["HttpError", "request"]

#: Bytes of a response at most (a fax of many pages as PDF).
MAX_RESPONSE: Final = 256 * 1024 * 1024


class HttpError(ProtocolError):
    """The server answered an HTTP request with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


async def request(
    connector: StreamConnector,
    endpoint: Endpoint,
    method: str,
    target: str,
    *,
    token: str,
    body: bytes = b"",
    content_type: str = "application/octet-stream",
) -> tuple[int, Mapping[str, str], bytes]:
    """(status, headers in lower case, body); raises ``HttpError`` for 4xx/5xx."""
    head = [
        f"{method} {target} HTTP/1.1",
        f"Host: {endpoint.host_header}",
        f"Authorization: Bearer {token}",
        "Connection: close",
    ]
    if body or method == "POST":
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    stream = await connector(endpoint)
    async with stream:
        await stream.send(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        data = bytearray()
        while True:
            try:
                chunk = await stream.receive(65536)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                break
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_RESPONSE:
                raise ProtocolError(f"the response is larger than {MAX_RESPONSE} bytes")
    status, headers, content = _parse(bytes(data))
    if status >= 400:
        message = content.decode("utf-8", "replace")
        with contextlib.suppress(ValueError, AttributeError):
            message = str(json.loads(content).get("error", message))
        raise HttpError(status, message)
    return status, headers, content


def _parse(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise ProtocolError("the server closed the connection before a full response")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP response: {lines[0]!r:.80}")
    headers: dict[str, Any] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    if length is not None and length.isdigit() and len(body) < int(length):
        raise ProtocolError("the response body was cut short")
    return int(parts[1]), headers, body[: int(length)] if length and length.isdigit() else body
