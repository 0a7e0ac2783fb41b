"""A small JSON-RPC test client over a real WebSocket."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import msgpack
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection

__all__ = ["RpcErrorReply", "RpcTestClient"]


class RpcErrorReply(Exception):
    """The server answered with a JSON-RPC error."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.error = error
        self.code: int = error["code"]
        self.message: str = error["message"]
        self.data: dict[str, Any] | None = error.get("data")

    @property
    def csta_error(self) -> str | None:
        return (self.data or {}).get("cstaError")


class RpcTestClient:
    """Sends requests, matches replies by id, and collects events in arrival order.

    Start ``run()`` in a nursery (``start`` returns once it is reading).
    """

    def __init__(self, ws: WebSocketConnection, *, msgpack_mode: bool = False) -> None:
        self.ws = ws
        self.msgpack = msgpack_mode
        self.events: list[dict[str, Any]] = []
        self.replies: dict[Any, dict[str, Any]] = {}
        self.other: list[Any] = []
        self.closed: ConnectionClosed | None = None
        self._ids = itertools.count(1)
        self._changed = trio.Event()
        self._read = 0
        #: Event names this client drops as they arrive (a test that looks at others).
        self.ignore: frozenset[str] = frozenset()

    def encode(self, message: Any) -> str | bytes:
        if self.msgpack:
            return bytes(msgpack.packb(message, use_bin_type=True))
        return json.dumps(message)

    def decode(self, data: str | bytes) -> Any:
        if isinstance(data, bytes):
            return msgpack.unpackb(data, raw=False)
        return json.loads(data)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            while True:
                message = self.decode(await self.ws.get_message())
                self._file(message)
        except ConnectionClosed as exc:
            self.closed = exc
        finally:
            self._changed.set()

    def _file(self, message: Any) -> None:
        if isinstance(message, list):
            self.other.append(message)
        elif isinstance(message, dict) and "method" in message and "id" not in message:
            if message["method"] in self.ignore:
                return
            self.events.append(message)
        elif isinstance(message, dict) and "id" in message and message["id"] is not None:
            self.replies[message["id"]] = message
        else:
            self.other.append(message)
        self._changed.set()
        self._changed = trio.Event()

    async def wait_for(self, predicate: Callable[[], Any]) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every message)."""
        while True:
            value = predicate()
            if value:
                return value
            if self.closed is not None:
                raise AssertionError(f"connection closed while waiting: {self.closed.reason}")
            await self._changed.wait()

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send_message(data)

    async def request(
        self, method: str, params: Any = None, *, notify: bool = False
    ) -> dict[str, Any]:
        """Send a request and return the whole reply (or ``{}`` for a notification)."""
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        if notify:
            await self.ws.send_message(self.encode(message))
            return {}
        request_id = next(self._ids)
        message["id"] = request_id
        await self.ws.send_message(self.encode(message))
        return await self.wait_for(lambda: self.replies.pop(request_id, None))  # type: ignore[no-any-return]

    async def call(self, method: str, params: Any = None) -> Any:
        """Send a request; return its result or raise ``RpcErrorReply``."""
        reply = await self.request(method, params)
        if "error" in reply:
            raise RpcErrorReply(reply["error"])
        return reply["result"]

    async def login(self, token: str) -> dict[str, Any]:
        return await self.call("session.login", {"token": token})  # type: ignore[no-any-return]

    async def event(self, name: str, **match: Any) -> dict[str, Any]:
        """The next not yet taken event called ``name`` whose params contain ``match``."""

        def find() -> dict[str, Any] | None:
            for i in range(self._read, len(self.events)):
                event = self.events[i]
                params = event["params"]
                if event["method"] == name and all(params.get(k) == v for k, v in match.items()):
                    self._read = i + 1
                    return params  # type: ignore[no-any-return]
            return None

        return await self.wait_for(find)  # type: ignore[no-any-return]

    def names(self, since: int = 0) -> list[str]:
        """The names of the events received so far (from index ``since``)."""
        return [e["method"] for e in self.events[since:]]

    def peek(self) -> list[dict[str, Any]]:
        """All events received and not yet taken, as ``take`` returns them, leaving them."""
        return [e["params"] | {"_name": e["method"]} for e in self.events[self._read :]]

    def take(self) -> list[dict[str, Any]]:
        """All events received and not yet taken; marks them taken."""
        out = self.peek()
        self._read = len(self.events)
        return out
