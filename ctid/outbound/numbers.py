"""Phone numbers of campaign lists: normalised and checked before they are stored. Pure.

A list's numbers come from people's spreadsheets: ``+33 1 70-00.00.00``,
``(212) 555 0100``. ``normalise`` keeps a leading ``+`` and the digits, drops
the usual separators (space, ``-``, ``.``, ``/``, brackets) and refuses
anything else, or a number of fewer than 3 or more than 20 digits, which no
switch can dial. The do-not-call lists hold numbers in the same form, so a
number is on a list however it was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

__all__ = ["InvalidNumber", "normalise", "zone_of"]

_SEPARATORS: Final = re.compile(r"[\s\-./()]")
_NUMBER: Final = re.compile(r"\+?\d{3,20}")


class InvalidNumber(ValueError):
    """The text is no number ctid can dial; the message says why."""


def normalise(text: str) -> str:
    """``"+33 1 70-00.00.00"`` -> ``"+33170000000"``; raises ``InvalidNumber``."""
    compact = _SEPARATORS.sub("", text.strip())
    if not compact:
        raise InvalidNumber("the number is empty")
    if not _NUMBER.fullmatch(compact):
        if re.fullmatch(r"\+?\d*", compact):
            raise InvalidNumber(
                f"{text!r} has {len(compact.lstrip('+'))} digits: 3 to 20 are dialled"
            )
        raise InvalidNumber(f"{text!r} is not a phone number (digits, a leading +, separators)")
    return compact


def zone_of(number: str, prefixes: Mapping[str, str]) -> str | None:
    """The time zone of the longest prefix of ``number`` in ``prefixes`` (None: none)."""
    best: str | None = None
    for prefix in prefixes:
        if number.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return prefixes[best] if best is not None else None
