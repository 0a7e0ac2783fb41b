"""Protocol v1: JSON-RPC 2.0 over WebSocket (``/v1``), sessions, auth, methods, event delivery."""
