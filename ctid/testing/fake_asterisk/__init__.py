"""A small, faithful fake Asterisk that speaks ARI over any trio stream.

``FakeAsterisk`` is the simulated switch (``_fake_ari_switch.AriSwitch``, whose
docstring says what it simulates) plus the network: it hands out streams from
``open_stream`` (or serves ``serve_stream``) on which ``_fake_ari_wire`` speaks
HTTP and the ``/ari/events`` WebSocket and ``_fake_ari_rest`` answers REST
requests. Keeping the network here is what lets the switch, the REST handlers
and the wire import each other in one direction only.
"""

from __future__ import annotations

import trio
import trio.testing

from ctid.testing._fake_ari_switch import (
    AriError,
    AriSwitch,
    FakeOutsideParty,
    FakePhone,
    NumberBehaviour,
)
from ctid.testing._fake_ari_wire import serve_connection

__all__ = ["AriError", "FakeAsterisk", "FakeOutsideParty", "FakePhone", "NumberBehaviour"]


class FakeAsterisk(AriSwitch):
    """The fake switch with its REST interface and events WebSocket; see the module docstring."""

    async def open_stream(self, host: str, port: int) -> trio.abc.Stream:
        """Connect to the fake (the driver's injectable ``open_stream``)."""
        await trio.lowlevel.checkpoint()
        if not self.reachable or self._nursery is None:
            raise ConnectionRefusedError(f"connect to {host}:{port} refused")
        client, server = trio.testing.memory_stream_pair()
        self._connections.add(server)
        self._nursery.start_soon(serve_connection, self, server)
        return client

    async def serve_stream(self, stream: trio.abc.Stream) -> None:
        """Serve one connection a client opened (a TCP socket of ``fake_asterisk`` as a process)."""
        if not self.reachable:
            await trio.aclose_forcefully(stream)
            return
        self._connections.add(stream)
        await serve_connection(self, stream)
