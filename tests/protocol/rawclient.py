"""A bare WebSocket client on wsproto, for what a well-behaved client would never do."""

from __future__ import annotations

import json
from typing import Any

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)


class RawClient:
    """Handshake, then send and receive exactly what the test says, nothing more."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.accepted: AcceptConnection | None = None
        self.rejected: RejectConnection | None = None
        self.closed: CloseConnection | None = None
        self.pings = 0
        self.reject_body = b""
        self._messages: list[str | bytes] = []

    async def handshake(self, subprotocols: list[str] | None = None) -> None:
        await self.stream.send_all(
            self.ws.send(Request(host="ctid.test", target="/v1", subprotocols=subprotocols or []))
        )
        while self.accepted is None and self.rejected is None:
            await self._read()
        if self.rejected is not None and self.rejected.has_body:
            while await self._read():
                pass

    async def _read(self) -> bool:
        data = await self.stream.receive_some(65536)
        if not data:
            return False
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, AcceptConnection):
                self.accepted = event
            elif isinstance(event, RejectConnection):
                self.rejected = event
            elif isinstance(event, RejectData):
                self.reject_body += event.data
            elif isinstance(event, TextMessage | BytesMessage):
                self._messages.append(event.data)
            elif isinstance(event, Ping):
                self.pings += 1  # deliberately not answered
            elif isinstance(event, CloseConnection):
                self.closed = event
        return True

    async def send(self, data: str | bytes) -> None:
        message = TextMessage(data=data) if isinstance(data, str) else BytesMessage(data=data)
        await self.stream.send_all(self.ws.send(message))

    async def send_json(self, value: Any) -> None:
        await self.send(json.dumps(value))

    async def receive(self) -> str | bytes:
        while not self._messages:
            if not await self._read():
                raise EOFError("connection closed")
        return self._messages.pop(0)

    async def receive_json(self) -> Any:
        return json.loads(await self.receive())

    async def wait_closed(self) -> CloseConnection | None:
        """Read until the server closes (returns its close frame, or None for a bare drop)."""
        while self.closed is None:
            try:
                if not await self._read():
                    return None
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return None
        return self.closed
