"""A minimal async ESL client for tests of the fake server (test helper)."""

from __future__ import annotations

from collections.abc import Callable

import trio

from ctid.switch_drivers.freeswitch.frames import (
    ApiResponse,
    CommandReply,
    ConnectionClosed,
    EslEvent,
    Frame,
)
from ctid.switch_drivers.freeswitch.proto import NEED_DATA, EslConnection


class Client:
    """Sends commands and collects every frame, in order, in ``frames``."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.conn = EslConnection()
        self.frames: list[Frame] = []
        self.raw = bytearray()
        self._seen = 0

    async def next_frame(self) -> Frame:
        while True:
            frame = self.conn.next_event()
            if frame is not NEED_DATA:
                self.frames.append(frame)
                return frame
            data = await self.stream.receive_some(65536)
            self.raw += data
            self.conn.receive_data(bytes(data))

    async def login(self, password: str = "ClueCon") -> CommandReply:
        await self.next_frame()
        return await self.command(self.conn.send_auth(password))  # type: ignore[return-value]

    async def command(self, data: bytes) -> CommandReply | ApiResponse:
        await self.stream.send_all(data)
        while True:
            frame = await self.next_frame()
            if isinstance(frame, CommandReply | ApiResponse):
                return frame
            assert not isinstance(frame, ConnectionClosed)

    async def api(self, command: str, args: str = "") -> str:
        reply = await self.command(self.conn.send_api(command, args))
        assert isinstance(reply, ApiResponse)
        return reply.body

    async def wait_event(self, match: Callable[[EslEvent], bool]) -> EslEvent:
        for frame in self.frames[self._seen :]:
            self._seen += 1
            if isinstance(frame, EslEvent) and match(frame):
                return frame
        while True:
            frame = await self.next_frame()
            self._seen = len(self.frames)
            if isinstance(frame, EslEvent) and match(frame):
                return frame

    def events(self) -> list[EslEvent]:
        return [f for f in self.frames if isinstance(f, EslEvent)]

    def names(self) -> list[str]:
        out = []
        for e in self.events():
            extra = e.get("Action") or e.get("Channel-Call-State") if e.name in (
                "CUSTOM", "CHANNEL_CALLSTATE"
            ) else None  # fmt: skip
            out.append(f"{e.name} {extra}" if extra else e.name)
        return out
