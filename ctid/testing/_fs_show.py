"""``show channels as json`` and ``show calls as json`` of the fake FreeSWITCH.

The rows carry the columns ctid reads, in the captured order; an empty result
is ``{"row_count": 0}`` with a space and a newline, a full one compact JSON
without a newline (tests/fixtures/esl/README.md).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._fs_events import SimChannel
    from ._fs_switch import SimSwitch

__all__ = ["show_calls", "show_channels"]

_EMPTY = '{"row_count": 0}\n'


def show_channels(switch: SimSwitch) -> str:
    """``show channels as json``: one row per channel."""
    if not switch.channels:
        return _EMPTY
    rows = [_row(ch) for ch in switch.channels.values()]
    return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))


def show_calls(switch: SimSwitch) -> str:
    """``show calls as json``: one row per channel or bridged pair (``b_`` columns)."""
    rows = []
    done: set[str] = set()
    for ch in switch.channels.values():
        if ch.uuid in done:
            continue
        row = _row(ch, full=False)
        partner = switch.channels.get(ch.partner) if ch.partner else None
        if partner is not None:
            done.add(partner.uuid)
            row.update({f"b_{k}": v for k, v in _row(partner, full=False).items()})
        row["call_created_epoch"] = str(ch.created_us // 1_000_000)
        rows.append(row)
        done.add(ch.uuid)
    if not rows:
        return _EMPTY
    return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))


def _row(ch: SimChannel, *, full: bool = True) -> dict[str, str]:
    row = {
        "uuid": ch.uuid,
        "direction": ch.direction,
        "created_epoch": str(ch.created_us // 1_000_000),
        "name": ch.name,
        "state": ch.state,
        "cid_name": ch.cid_name,
        "cid_num": ch.cid_number,
        # A member of a conference shows the transfer's target as its dest, as on
        # 1.10.12; the number first dialled stays in initial_dest.
        "dest": f"conference:{ch.conference}@default" if ch.conference else ch.destination,
        "presence_id": ch.presence_id or "",
        "callstate": ch.callstate,
    }
    if full:
        row["application"] = ch.application
        row["application_data"] = ch.application_data
        row["initial_cid_num"] = ch.cid_number
        row["initial_dest"] = ch.destination
    return row
