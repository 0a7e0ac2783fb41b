"""What a driver's table names (its extensions and outside lines), read even when the
table has problems, so ``ctid check-config`` still checks the outbound routes and the
IVR numbers against it and reports their problems beside the driver's.

A driver offers this with a ``lines_from_config(section)`` class method returning
``WrittenLines``; one without it is unknown (those checks are skipped, not guessed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ctid.numbers import parse_number_ranges

__all__ = ["WrittenLines", "extensions_as_written", "trunks_as_written"]


@attrs.frozen(kw_only=True)
class WrittenLines:
    """The extensions and the outside lines by trunk group (None: the table does not say)."""

    extensions: tuple[str, ...] | None = None
    trunk_groups: Mapping[str, tuple[str, ...]] | None = None


def extensions_as_written(value: Any) -> tuple[str, ...] | None:
    """``extensions = "1001-1010"`` (or a list) as numbers; None when it does not read."""
    if not isinstance(value, str | list):
        return None
    try:
        return tuple(parse_number_ranges(value)) or None
    except (ValueError, TypeError):
        return None


def trunks_as_written(value: Any) -> Mapping[str, tuple[str, ...]] | None:
    """``[[...trunks]]`` with a ``name`` each: every trunk a group of its own one line (as
    the Asterisk and FreeSWITCH drivers have them); a trunk without a usable name is left
    out (its own problem is reported); None when the list itself does not read."""
    if value is None:
        return {}
    if not isinstance(value, list):
        return None
    names = [t["name"] for t in value if isinstance(t, Mapping) and isinstance(t.get("name"), str)]
    return {name: (name,) for name in names if name}
