"""The ``compare`` node's operators, as one pure function."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["compare"]


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _minutes(value: str) -> int | None:
    """``0930``, ``093000``, ``09:30`` or ``09:30:00`` -> minutes after midnight."""
    m = re.fullmatch(r"(\d{2}):?(\d{2})(?::?\d{2})?", value.strip())
    if m is None:
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    return hour * 60 + minute if hour < 24 and minute < 60 else None


def compare(value: str, op: str, to: Any) -> bool:
    """``value op to``. Numbers compare as numbers when both sides are numbers, else as text.

    ``in``: ``value`` equals one of the list ``to``. ``regex``: ``to`` matches the
    whole of ``value``. ``time_between``: ``value`` (a time such as ``${TIME}``) is
    in ``[from, to)``; a range past midnight (``["22:00", "06:00"]``) wraps.
    """
    if op == "in":
        return any(compare(value, "=", item) for item in to)
    if op == "regex":
        return re.fullmatch(str(to), value) is not None
    if op == "time_between":
        now, start, end = _minutes(value), _minutes(str(to[0])), _minutes(str(to[1]))
        if now is None or start is None or end is None:
            return False
        if start <= end:
            return start <= now < end
        return now >= start or now < end
    a, b = _number(value), _number(to)
    left: Any
    right: Any
    if a is not None and b is not None:
        left, right = a, b
    else:
        left, right = value, "" if to is None else str(to)
    match op:
        case "=":
            return bool(left == right)
        case "!=":
            return bool(left != right)
        case "<":
            return bool(left < right)
        case ">":
            return bool(left > right)
        case "<=":
            return bool(left <= right)
        case ">=":
            return bool(left >= right)
    raise ValueError(f"unknown operator {op!r}")
