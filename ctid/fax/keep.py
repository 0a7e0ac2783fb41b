"""Faxes on a line as live-state rows (kind ``fax``), so a restart can let them finish.

A fax being dialled, sent or received runs on the switch, which goes on with it
while ctid is down. The fax's row in the records database says little about that
(its call, its state); the live-state row keeps the ``ActiveFax`` whole (the IVR
flag, pages so far, a cancel asked for, the last dial's cause), written with the
calls' own rows by the same store, so what a restart reads of the fax and of its
call are of the same moment. ``FaxService._recover`` takes a kept fax back when
its call is still up: the switch's result is then taken as if nothing happened.
Only a fax whose call is gone is closed ``interrupted``.

Why a kind of its own (``fax``) rather than the ``record`` or ``recording`` rows:
those belong to other services and are deleted with their call or recording; a
fax has its own life (a ``fax.send`` fax outlives its calls across retries).
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from .model import ActiveFax

__all__ = ["KIND", "ON_A_LINE", "from_row", "to_row"]

KIND: Final = "fax"
#: The states of a fax that runs on the switch (kept); others are not.
ON_A_LINE: Final = frozenset({"dialing", "sending", "receiving"})


def to_row(af: ActiveFax) -> dict[str, Any]:
    """An ``ActiveFax`` as a JSON-able row."""
    row = attrs.asdict(af)
    row["document_ids"] = list(af.document_ids)
    row["email_to"] = list(af.email_to)
    return row


def from_row(row: dict[str, Any]) -> ActiveFax:
    """The ``ActiveFax`` of a row (raises ``TypeError``/``KeyError`` on a bad one)."""
    values = dict(row)
    values["document_ids"] = tuple(row["document_ids"])
    values["email_to"] = tuple(row.get("email_to") or ())
    values.pop("restored", None)
    return ActiveFax(**values)
