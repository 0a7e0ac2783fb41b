"""Wiring ``POST /v1/rpc`` (one-shot JSON-RPC over HTTP) into the API server."""

from __future__ import annotations

from ..api import http_rpc
from .parts import Parts

__all__ = ["install_http_rpc"]


def install_http_rpc(app: Parts) -> None:
    """The route, with a body of at most ``[api] max_message_bytes`` (as a WebSocket frame)."""
    app.server.routes[http_rpc.PATH] = http_rpc.rpc_route(app.api)
    app.server.body_limits[http_rpc.PATH] = app.config.api.max_message_bytes
