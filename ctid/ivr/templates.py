"""``${NAME}`` templates in flow files: parsing (for load-time checks) and filling in.

A name is a variable (``${customer_id}``), a built-in (``${ANI}``,
``${DATE}``...) or the call's data (``${userData.key}``). ``$$`` is a literal
dollar. Undefined names are found when a flow is loaded, so filling in never
fails: a variable not set yet is empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

__all__ = ["BUILTINS", "USER_DATA_PREFIX", "fill", "names"]

#: Variables every call has (set by the engine, read-only for flows).
BUILTINS: Final = frozenset({"ANI", "DNIS", "DATE", "TIME", "DATETIME", "CALLID", "LANGUAGE"})
USER_DATA_PREFIX: Final = "userData."

_TOKEN = re.compile(r"\$\$|\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|userData\.[^\s{}$]+")


class TemplateError(ValueError):
    """A malformed ``${...}``."""


def names(template: str) -> Iterator[str]:
    """The names a template refers to; ``TemplateError`` for a malformed one."""
    for match in _TOKEN.finditer(template):
        name = match.group(1)
        if name is None:
            continue
        if not _NAME.fullmatch(name):
            raise TemplateError(f"bad variable reference ${{{name}}}")
        yield name
    rest = _TOKEN.sub("", template)
    if "${" in rest:
        raise TemplateError("unclosed ${")


def fill(
    template: str,
    lookup: Callable[[str], Any],
    *,
    escape: Callable[[str], str] | None = None,
) -> str:
    """Replace each ``${name}`` with ``lookup(name)`` (None -> empty), escaped if asked."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "$"
        value = lookup(name)
        text = "" if value is None else _text(value)
        return escape(text) if escape is not None else text

    return _TOKEN.sub(one, template)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def lookup_in(variables: Mapping[str, Any], user_data: Mapping[str, Any]) -> Callable[[str], Any]:
    """A ``lookup`` for ``fill`` over a run's variables and the call's data."""

    def get(name: str) -> Any:
        if name.startswith(USER_DATA_PREFIX):
            return user_data.get(name[len(USER_DATA_PREFIX) :])
        return variables.get(name)

    return get
