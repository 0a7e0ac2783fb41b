"""Campaign record ids as the API takes them: the database's 32-bit integers.

A larger id is refused as invalid params before it reaches the database:
PostgreSQL would fail the cast ("integer out of range") and answer an internal
error where the client sent a bad value.
"""

from __future__ import annotations

from typing import Final

from .. import rpc
from ..rpc import RpcError

__all__ = ["MAX_RECORD_ID", "check_record_id"]

#: Campaign record ids are the database's 32-bit integers.
MAX_RECORD_ID: Final = 2**31 - 1


def check_record_id(value: int, path: str = "params.record") -> int:
    """``value`` if it can be a record id; else -32602 naming ``path``."""
    if not 1 <= value <= MAX_RECORD_ID:
        problem = f"want a record id from 1 to {MAX_RECORD_ID}"
        raise RpcError(
            rpc.INVALID_PARAMS,
            f"invalid params: {path}: {problem}",
            {"path": path, "problem": problem},
        )
    return value
