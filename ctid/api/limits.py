"""Input limits of the API, in one place, and the checks that enforce them (sans-IO).

Every message a client sends passes these checks before any work is done on
its behalf, so no input can make the daemon recurse without bound, convert a
number that does not fit, or hold a string it cannot encode again:

* ``check_depth``: nesting depth of a decoded message (run right after
  decoding; the decoders themselves stop far deeper, at their own guard,
  without growing the Python stack);
* ``check_params``: every string (keys too) is valid Unicode (no lone
  surrogates) and not too long, every integer is within +-2**53, every float
  is finite, and ``userData`` maps are small. Errors name the path
  (``params.userData.x``) so a client sees exactly what was refused;
* ``check_text``: the same string rule for a request's ``id``, ``method`` and
  member names.

The checks walk values with an explicit stack, never recursively. Defaults are
documented in docs/security.md ("Input limits").
"""

from __future__ import annotations

import math
from typing import Any, Final

import attrs

__all__ = [
    "DEFAULT_INPUT_LIMITS",
    "MAX_SAFE_INTEGER",
    "InputLimitError",
    "InputLimits",
    "check_depth",
    "check_params",
    "check_text",
    "safe_text",
]

#: The largest integer a JSON client (JavaScript) can hold exactly: 2**53 - 1.
MAX_SAFE_INTEGER: Final = 2**53 - 1


@attrs.frozen(kw_only=True)
class InputLimits:
    """What one request may hold (the frame size limit is ``ApiLimits.max_message_bytes``)."""

    #: Deepest nesting of arrays/objects (maps) in one message, batch included.
    max_depth: int = 64
    #: Longest string (value or key), in characters.
    max_string_chars: int = 16_384
    #: Integers must be within -max_integer..max_integer (ids and parameters).
    max_integer: int = MAX_SAFE_INTEGER
    #: Keys one ``userData`` map may hold.
    max_user_data_keys: int = 64
    #: Total UTF-8 bytes of one ``userData`` map's keys and values.
    max_user_data_bytes: int = 8192
    #: Most items in one msgpack array or map.
    max_msgpack_items: int = 10_000


DEFAULT_INPUT_LIMITS: Final = InputLimits()


class InputLimitError(ValueError):
    """``path`` is where the refused value is (``params.userData.x``); ``problem`` says why."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


def safe_text(text: str) -> str:
    """``text`` with lone surrogates shown as ``\\udXXX`` escapes: always encodable."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{safe_text(key)}" if path else safe_text(key)


def check_text(text: str, path: str, limits: InputLimits = DEFAULT_INPUT_LIMITS) -> None:
    """Raise ``InputLimitError`` unless ``text`` is valid Unicode and not too long."""
    if len(text) > limits.max_string_chars:
        raise InputLimitError(
            path, f"string longer than {limits.max_string_chars} characters ({len(text)})"
        )
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputLimitError(
                path,
                f"not valid Unicode: lone surrogate U+{ord(text[exc.start]):04X} "
                f"at character {exc.start}",
            ) from None


def check_depth(value: Any, limits: InputLimits = DEFAULT_INPUT_LIMITS) -> None:
    """Raise ``InputLimitError`` if arrays/objects in ``value`` nest deeper than allowed."""
    if not isinstance(value, dict | list):
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    limit = limits.max_depth
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise InputLimitError("", f"nested deeper than {limit} levels")
        items = node.values() if isinstance(node, dict) else node
        for item in items:
            if isinstance(item, dict | list):
                stack.append((item, depth + 1))


def _check_number(value: int | float, path: str, limits: InputLimits) -> None:
    if isinstance(value, int):
        if -limits.max_integer <= value <= limits.max_integer:
            return
        raise InputLimitError(
            path,
            f"integer out of range: must be within -{limits.max_integer}..{limits.max_integer}",
        )
    if not math.isfinite(value):
        raise InputLimitError(path, "NaN and infinities are not allowed")


def _check_user_data(value: dict[Any, Any], path: str, limits: InputLimits) -> None:
    if len(value) > limits.max_user_data_keys:
        raise InputLimitError(path, f"more than {limits.max_user_data_keys} keys ({len(value)})")
    size = 0
    for key, item in value.items():
        size += len(str(key).encode("utf-8", "surrogatepass"))
        if isinstance(item, str):
            size += len(item.encode("utf-8", "surrogatepass"))
        elif item is not None:
            size += len(repr(item))
    if size > limits.max_user_data_bytes:
        raise InputLimitError(
            path, f"larger than {limits.max_user_data_bytes} bytes ({size} bytes of keys, values)"
        )


def check_params(value: Any, path: str, limits: InputLimits = DEFAULT_INPUT_LIMITS) -> None:
    """Raise ``InputLimitError`` for the first value in ``value`` no method may receive."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            check_text(node, where, limits)
        elif isinstance(node, bool) or node is None:
            pass
        elif isinstance(node, int | float):
            _check_number(node, where, limits)
        elif isinstance(node, dict):
            for key, item in node.items():
                if not isinstance(key, str):
                    raise InputLimitError(where, "object keys must be strings")
                here = _join(where, key)
                check_text(key, here, limits)
                if key == "userData" and isinstance(item, dict):
                    _check_user_data(item, here, limits)
                stack.append((item, here))
        elif isinstance(node, list):
            stack.extend((item, _join(where, i)) for i, item in enumerate(node))
        else:
            raise InputLimitError(where, f"{type(node).__name__} values are not allowed")
