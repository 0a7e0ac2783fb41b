"""A real HTTP receiver for webhook tests: h11 on a trio socket, port 0.

``respond`` decides each answer from the request (a status code, or None to
never answer: a hung receiver). Every request is kept, answered or not.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import h11
import trio


@attrs.frozen
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


Respond = Callable[[Request], int | None]


class Receiver:
    def __init__(self, respond: Respond | None = None) -> None:
        self.respond: Respond = respond or (lambda request: 200)
        self.requests: list[Request] = []
        #: The requests answered with a 2xx.
        self.accepted: list[Request] = []
        self.url = ""
        self._changed = trio.Event()

    async def start(self, nursery: trio.Nursery, path: str = "/hook") -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{path}"
        nursery.start_soon(trio.serve_listeners, self._serve, listeners)

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            await self._changed.wait()

    def _note(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def _serve(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        async with stream:
            while True:
                request: h11.Request | None = None
                body = b""
                while True:
                    event = conn.next_event()
                    if event is h11.NEED_DATA:
                        data = await stream.receive_some(65536)
                        if not data:
                            return
                        conn.receive_data(data)
                        continue
                    if isinstance(event, h11.Request):
                        request = event
                    elif isinstance(event, h11.Data):
                        body += event.data
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    elif isinstance(event, h11.ConnectionClosed):
                        return
                assert request is not None
                got = Request(
                    method=request.method.decode(),
                    target=request.target.decode(),
                    headers={k.decode().lower(): v.decode() for k, v in request.headers},
                    body=body,
                )
                self.requests.append(got)
                status = self.respond(got)
                self._note()
                if status is None:
                    await trio.sleep_forever()
                assert status is not None
                if 200 <= status < 300:
                    self.accepted.append(got)
                    self._note()
                reply = b"ok" if status < 300 else b"not now"
                await stream.send_all(
                    conn.send(
                        h11.Response(
                            status_code=status,
                            headers=[("Content-Length", str(len(reply)))],
                        )
                    )
                    + conn.send(h11.Data(data=reply))
                    + conn.send(h11.EndOfMessage())
                )
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
