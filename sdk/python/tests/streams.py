"""Byte streams for tests: anyio in-memory pairs, and an anyio face on a trio stream."""

from __future__ import annotations

import anyio
import anyio.abc
import trio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

__all__ = ["MemoryByteStream", "TrioByteStream", "memory_byte_stream_pair"]


class MemoryByteStream(anyio.abc.ByteStream):
    """One end of an in-memory byte pipe; ``receive`` returns what one ``send`` sent."""

    def __init__(
        self, send: MemoryObjectSendStream[bytes], receive: MemoryObjectReceiveStream[bytes]
    ) -> None:
        self._send = send
        self._receive = receive

    async def receive(self, max_bytes: int = 65536) -> bytes:
        return await self._receive.receive()

    async def send(self, item: bytes) -> None:
        await self._send.send(bytes(item))

    async def send_eof(self) -> None:
        await self._send.aclose()

    async def aclose(self) -> None:
        await self._send.aclose()
        await self._receive.aclose()


def memory_byte_stream_pair() -> tuple[MemoryByteStream, MemoryByteStream]:
    a_send, b_receive = anyio.create_memory_object_stream[bytes](100)
    b_send, a_receive = anyio.create_memory_object_stream[bytes](100)
    return MemoryByteStream(a_send, a_receive), MemoryByteStream(b_send, b_receive)


class TrioByteStream(anyio.abc.ByteStream):
    """An anyio ``ByteStream`` over a trio ``Stream`` (for trio memory streams on MockClock)."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        #: While True, bytes the client sends vanish (a network that went dead one way).
        self.blackhole = False

    async def receive(self, max_bytes: int = 65536) -> bytes:
        try:
            data = await self.stream.receive_some(max_bytes)
        except trio.ClosedResourceError:
            raise anyio.ClosedResourceError from None
        except trio.BrokenResourceError as exc:
            raise anyio.BrokenResourceError from exc
        if not data:
            raise anyio.EndOfStream
        return bytes(data)

    async def send(self, item: bytes) -> None:
        if self.blackhole:
            return
        try:
            await self.stream.send_all(item)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise anyio.BrokenResourceError from exc

    async def send_eof(self) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        await self.stream.aclose()
