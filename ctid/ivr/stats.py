"""IVR statistics per flow and per local day: node visits, menu choices, time in IVR, exits.

Kept in memory for the API (``ivr.statistics``) for ``DAYS_KEPT`` days; the
same facts leave the daemon as ``IvrNodeVisited``/``IvrFinished`` notices for
the records service, which keeps them for reports.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from typing import Any, Final

import attrs

__all__ = ["FlowDay", "IvrStats"]

#: Days of statistics kept in memory.
DAYS_KEPT: Final = 31


@attrs.define
class FlowDay:
    """One flow's figures for one day."""

    calls: int = 0
    finished: int = 0
    seconds_in_ivr: float = 0.0
    node_visits: Counter[str] = attrs.field(factory=Counter)
    #: node -> key (or "none" for no valid choice) -> count.
    menu_choices: dict[str, Counter[str]] = attrs.field(factory=dict)
    exits: Counter[str] = attrs.field(factory=Counter)

    def to_wire(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "finished": self.finished,
            "secondsInIvr": round(self.seconds_in_ivr, 3),
            "averageSecondsInIvr": round(self.seconds_in_ivr / self.finished, 3)
            if self.finished
            else 0.0,
            "nodeVisits": dict(self.node_visits),
            "menuChoices": {node: dict(c) for node, c in self.menu_choices.items()},
            "exits": dict(self.exits),
        }


class IvrStats:
    """Counters by (day, flow)."""

    def __init__(self) -> None:
        self.days: dict[_dt.date, dict[str, FlowDay]] = {}

    def _day(self, day: _dt.date, flow: str) -> FlowDay:
        flows = self.days.get(day)
        if flows is None:
            flows = self.days[day] = {}
            for old in sorted(self.days)[:-DAYS_KEPT]:
                del self.days[old]
        entry = flows.get(flow)
        if entry is None:
            entry = flows[flow] = FlowDay()
        return entry

    def entered(self, day: _dt.date, flow: str) -> None:
        self._day(day, flow).calls += 1

    def visited(self, day: _dt.date, flow: str, node: str, kind: str, choice: str | None) -> None:
        entry = self._day(day, flow)
        entry.node_visits[node] += 1
        if kind == "menu":
            entry.menu_choices.setdefault(node, Counter())[choice or "none"] += 1

    def finished(self, day: _dt.date, flow: str, exit: str, seconds: float) -> None:
        entry = self._day(day, flow)
        entry.finished += 1
        entry.exits[exit] += 1
        entry.seconds_in_ivr += seconds

    def report(
        self, *, flow: str | None = None, day: _dt.date | None = None
    ) -> list[dict[str, Any]]:
        out = []
        for d in sorted(self.days):
            if day is not None and d != day:
                continue
            for name, entry in sorted(self.days[d].items()):
                if flow is None or name == flow:
                    out.append({"day": d.isoformat(), "flow": name, **entry.to_wire()})
        return out
