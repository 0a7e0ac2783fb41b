"""Handing events to the application: callbacks, and bounded ``events()`` streams.

The client's reader calls ``EventHub.publish`` for each event, in order. It
puts the event in every open stream's buffer without waiting (a stream whose
buffer is full is ended with ``EventBufferFull``: the reader never blocks on
an application that does not read, so replies keep flowing and no request
deadlocks behind unread events), then calls the callbacks for its name, in the
order they were added. Callbacks run inside the reader: a slow callback delays
every event and reply; an exception from a callback stops the client and comes
out of its ``async with``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._errors import EventBufferFull
from ._events import Event, SessionRestarted

__all__ = [
    "ALL_EVENTS",
    "DEFAULT_EVENT_BUFFER",
    "EventCallback",
    "EventHub",
    "EventStream",
    "RestartCallback",
    "StreamItem",
]

#: The name ``on`` takes to receive every event.
ALL_EVENTS: Final = "*"
#: Events an ``events()`` stream holds for a reader that has not taken them yet.
DEFAULT_EVENT_BUFFER: Final = 10_000

EventCallback = Callable[[Event], object]
RestartCallback = Callable[[SessionRestarted], object]
#: What an ``events()`` stream yields.
StreamItem = Event | SessionRestarted


class EventStream:
    """The events of one ``client.events()`` call, in order, from the moment it was called.

    Iterate with ``async for``. The stream ends when the client closes (or
    raises the error that closed it), or raises ``EventBufferFull`` after the
    buffered events if the reader fell ``maxsize`` events behind. Use it as an
    ``async with`` block, or call ``close()``, to stop buffering events you
    will not read.
    """

    def __init__(self, hub: EventHub, names: frozenset[str] | None, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._hub = hub
        self._names = names
        self.maxsize = maxsize
        send: MemoryObjectSendStream[StreamItem]
        receive: MemoryObjectReceiveStream[StreamItem]
        send, receive = anyio.create_memory_object_stream[StreamItem](maxsize)
        self._send = send
        self._receive = receive
        self._error: BaseException | None = None
        self._open = True

    def wants(self, name: str) -> bool:
        return self._names is None or name in self._names

    def offer(self, item: StreamItem) -> None:
        """Buffer ``item`` without waiting; on a full buffer, end the stream with an error."""
        if not self._open:
            return
        try:
            self._send.send_nowait(item)
        except anyio.WouldBlock:
            self.finish(EventBufferFull(self.maxsize))
        except anyio.BrokenResourceError:
            # The reader closed the stream: nothing more to deliver.
            self._hub.remove(self)

    def finish(self, error: BaseException | None) -> None:
        """No more events: the reader gets the buffered ones, then ``error`` (or the end)."""
        if self._open and self._error is None:
            self._error = error
        self._open = False
        self._send.close()
        self._hub.remove(self)

    def close(self) -> None:
        """Stop receiving events and drop what is buffered."""
        self._open = False
        self._send.close()
        self._receive.close()
        self._hub.remove(self)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> StreamItem:
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._receive.close()  # the stream is over: release it without waiting for close()
            if self._error is not None:
                error, self._error = self._error, None
                raise error from None
            raise StopAsyncIteration from None


class EventHub:
    """Fans events out to callbacks and streams; see the module docstring."""

    def __init__(self) -> None:
        self._callbacks: dict[str, list[EventCallback]] = {}
        self._restart_callbacks: list[RestartCallback] = []
        self._streams: list[EventStream] = []
        self._closed = False
        self._close_error: BaseException | None = None

    def on(self, name: str, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback(event)`` for each event called ``name`` (``"*"``: every event).

        Returns a function that removes the callback (calling it twice is harmless).
        """
        callbacks = self._callbacks.setdefault(name, [])
        callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in callbacks:
                callbacks.remove(callback)

        return unsubscribe

    def on_restart(self, callback: RestartCallback) -> Callable[[], None]:
        self._restart_callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._restart_callbacks:
                self._restart_callbacks.remove(callback)

        return unsubscribe

    def stream(self, names: frozenset[str] | None, maxsize: int) -> EventStream:
        stream = EventStream(self, names, maxsize)
        if self._closed:
            stream.finish(self._close_error)
        else:
            self._streams.append(stream)
        return stream

    def remove(self, stream: EventStream) -> None:
        if stream in self._streams:
            self._streams.remove(stream)

    def publish(self, event: Event) -> None:
        for stream in tuple(self._streams):
            if stream.wants(event.name):
                stream.offer(event)
        for callback in (
            *self._callbacks.get(event.name, ()),
            *self._callbacks.get(ALL_EVENTS, ()),
        ):
            callback(event)

    def publish_restart(self, notice: SessionRestarted) -> None:
        for stream in tuple(self._streams):
            stream.offer(notice)
        for callback in tuple(self._restart_callbacks):
            callback(notice)

    def close(self, error: BaseException | None) -> None:
        """The client has stopped: end every stream (with ``error``, if it failed)."""
        self._closed = True
        self._close_error = error
        for stream in tuple(self._streams):
            stream.finish(error)
