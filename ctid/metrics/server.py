"""The metrics listener: ``/metrics`` (Prometheus text format) and ``/healthz`` on their own port.

A trio task serving plain HTTP/1.1 with h11, one request per connection,
like the API server's routes. The exposition text is generated in the trio
thread: it reads the daemon's state, which only the trio thread may touch,
and takes well under a millisecond per hundred series.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from typing import Final

import h11
import trio

from ..api.server import HttpHandler, HttpRequest, HttpResponse, send_response
from ..config import parse_listen
from ..errors import listen_error

__all__ = ["MetricsServer"]

log = logging.getLogger(__name__)

#: Seconds a client has to send its request head.
HEAD_TIMEOUT: Final = 10.0
MAX_HEAD: Final = 16 * 1024


class MetricsServer:
    """Serves ``routes`` (``/metrics``, ``/healthz``) on ``listen``."""

    def __init__(
        self,
        listen: str,
        routes: dict[str, HttpHandler],
        *,
        tls: Callable[[], ssl.SSLContext] | None = None,
    ) -> None:
        self.listen = listen
        self.routes = routes
        #: The current TLS context (read per connection, so a reload applies): https://.
        self.tls = tls
        self.addresses: list[tuple[str, int]] = []

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        host, port = parse_listen(self.listen)
        try:
            listeners = await trio.open_tcp_listeners(port, host=host)
        except OSError as exc:
            setting = "server.metrics_listen (or --metrics-listen)"
            raise listen_error(exc, host, port, setting) from None
        self.addresses = [listener.socket.getsockname()[:2] for listener in listeners]
        for address in self.addresses:
            shown = f"[{address[0]}]" if ":" in address[0] else address[0]
            scheme = "https" if self.tls is not None else "http"
            log.info("metrics on %s://%s:%d/metrics", scheme, shown, address[1])
        async with trio.open_nursery() as nursery:
            task_status.started()
            await trio.serve_listeners(self._serve_socket, listeners, handler_nursery=nursery)

    async def _serve_socket(self, stream: trio.SocketStream) -> None:
        if self.tls is None:
            await self.handle_stream(stream)
        else:
            await self.handle_stream(
                trio.SSLStream(stream, self.tls(), server_side=True, https_compatible=True)
            )

    async def handle_stream(self, stream: trio.abc.Stream) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        try:
            request: h11.Request | None = None
            with trio.move_on_after(HEAD_TIMEOUT):
                while request is None:
                    event = conn.next_event()
                    if event is h11.NEED_DATA:
                        data = await stream.receive_some(MAX_HEAD)
                        conn.receive_data(bytes(data))
                    elif isinstance(event, h11.Request):
                        request = event
                    else:
                        break
            if request is None:
                return
            target = request.target.decode("latin-1")
            path, _, query = target.partition("?")
            handler = self.routes.get(path)
            if handler is None:
                response = HttpResponse.json(404, {"error": f"no such path {path}"})
            elif request.method not in (b"GET", b"HEAD"):
                response = HttpResponse.json(405, {"error": "use GET"})
            else:
                headers = {k.decode().lower(): v.decode() for k, v in request.headers}
                response = await handler(
                    HttpRequest(
                        method=request.method.decode(), path=path, query=query, headers=headers
                    )
                )
            await send_response(stream, conn, response, head=request.method == b"HEAD")
        except (trio.BrokenResourceError, trio.ClosedResourceError, h11.ProtocolError) as exc:
            log.debug("metrics connection failed: %s", exc)
        finally:
            await trio.aclose_forcefully(stream)
