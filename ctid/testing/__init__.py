"""Test support shipped with ctid, like ``trio.testing``.

* ``CallCentre`` / ``call_centre()``: a whole daemon in-process (simulator,
  call model, bus, API server), for tests on trio's ``MockClock``.
* ``RpcTestClient``: a JSON-RPC client over a real WebSocket (trio-websocket),
  connected over memory streams or TCP, that keeps events apart from replies.

* ``ctid.testing.conformance``: the switch driver conformance suite, the
  same CSTA scenarios against every driver through a small harness.
* ``ctid.testing.fake_asterisk``: a fake Asterisk speaking ARI over memory streams.
"""

from .client import RpcErrorReply, RpcTestClient
from .harness import CallCentre, call_centre, sim_config

__all__ = ["CallCentre", "RpcErrorReply", "RpcTestClient", "call_centre", "sim_config"]
