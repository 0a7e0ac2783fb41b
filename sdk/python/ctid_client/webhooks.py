"""Verifying ctid's webhook requests (docs/webhooks.md).

ctid signs every webhook POST with ``X-Ctid-Signature: t=<unix seconds>,v1=<hex>``,
where ``<hex>`` is the HMAC-SHA256 of ``"<t>.<raw body>"`` keyed with the
webhook's secret. ``verify`` checks it over the raw bytes received (before any
JSON parsing), refuses a ``t`` more than ``tolerance`` seconds from now (a
replayed request), and returns the decoded body::

    from ctid_client import webhooks

    payload = webhooks.verify(request_body, request.headers["X-Ctid-Signature"], secret)
    for event in payload["events"]:
        if seen(event["id"]):   # a retry: the same id as before
            continue
        handle(event["method"], event["params"])
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

__all__ = ["InvalidSignature", "sign", "verify"]


class InvalidSignature(ValueError):
    """The request is not from ctid with this secret, or is too old (the message says which)."""


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign(body: bytes, secret: str | bytes, timestamp: int) -> str:
    """The ``X-Ctid-Signature`` value ctid sends for ``body`` at ``timestamp`` (for tests)."""
    digest = hmac.new(_key(secret), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    body: bytes,
    header: str,
    secret: str | bytes,
    tolerance: float = 300,
    *,
    now: float | None = None,
) -> Any:
    """Check ``header`` (``X-Ctid-Signature``) against the raw ``body``; return the body decoded.

    Raises ``InvalidSignature`` when the header is malformed, no ``v1`` signature matches,
    or its ``t`` is more than ``tolerance`` seconds away from ``now`` (default: the clock).
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError("pass the raw body as bytes, as received")
    body = bytes(body)
    stamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise InvalidSignature(f"malformed signature header: {header!r}")
        if key == "t":
            if not value.isdigit():
                raise InvalidSignature(f"malformed timestamp in signature header: {value!r}")
            stamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if stamp is None or not signatures:
        raise InvalidSignature("the signature header needs t=... and v1=...")
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        raise InvalidSignature(
            f"signed at {stamp}, {abs(current - stamp):.0f} s from now (tolerance {tolerance:g} s)"
        )
    expected = sign(body, secret, stamp).partition(",v1=")[2]
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignature("the signature does not match (wrong secret or altered body)")
    return json.loads(body)
