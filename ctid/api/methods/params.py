"""Parsing params that several method families share."""

from __future__ import annotations

import datetime as dt

from .. import rpc
from ..rpc import RpcError

__all__ = ["utc_time"]


def utc_time(value: str | None, name: str) -> dt.datetime | None:
    """An ISO 8601 time param (``Z`` or an offset; none means UTC); None stays None.

    A value that is not one is -32602 naming the param (and at most 64 characters of it).
    """
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RpcError(
            rpc.INVALID_PARAMS, f"{name}: not an ISO 8601 time: {value[:64]!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
