"""``X-Ctid-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``.

The receiver recomputes the HMAC over the bytes it received, compares in
constant time, and refuses a ``t`` too far from its own clock (a replayed
request). docs/webhooks.md shows it in Python, Node and PHP; the Python SDK
has ``ctid_client.webhooks.verify``.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["HEADER", "sign", "signature"]

HEADER = "X-Ctid-Signature"


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"``."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The value of the ``X-Ctid-Signature`` header."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
