"""How the call model asks outbound routing where an outside number goes.

Every outside number ctid dials (MakeCall, a transfer or a consultation to an
outside number, a campaign's call) passes ``CallModel.route``, which asks the
``OutsideRouter`` it was given, if any. The router lives in a higher layer
(``ctid.outbound``); this module is the seam both sides depend on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import attrs

from .values import EventCause

__all__ = ["OutsideDial", "OutsideRefused", "OutsideRouter"]


@attrs.frozen(kw_only=True)
class OutsideDial:
    """Send ``number`` (the digits after strip and prefix) out on ``line``."""

    number: str
    #: The outside line (a driver's trunk name, e.g. ``T/3`` or ``provider``);
    #: None lets the driver pick its default.
    line: str | None
    #: The route that chose it (for the records and ``routing.test``).
    route: str | None = None


@attrs.frozen(kw_only=True)
class OutsideRefused:
    """The number cannot be dialled now: the call fails with ``cause``."""

    cause: EventCause
    reason: str


class OutsideRouter(Protocol):
    """Chooses the digits and the line for an outside number."""

    def __call__(self, number: str, calls_on: Callable[[str], int]) -> OutsideDial | OutsideRefused:
        """``calls_on(line)`` is how many calls the line carries now."""
        ...
