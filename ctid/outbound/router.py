"""Outbound routing: which route, which digits and which line for an outside number.

``OutboundRouter`` is the call model's ``outside_router``: pure apart from its
hunting memory (where each round-robin route stopped) and its random source,
so tests can seed it. The first route whose pattern matches the whole number
wins; its digits are the number less ``strip`` leading digits with ``prefix``
in front; its line is the first line of its trunk group, in the route's hunt
order, that can take one more call:

* ``sequential``: always from the group's first line;
* ``round-robin``: from the line after the one this route took last;
* ``random``: any free line, each as likely.

With no route configured at all, every number goes as dialled on the driver's
default line (ctid before outbound routing). With routes, a number none takes
fails (``destNotObtainable``), and one whose lines are all busy fails with
``trunksBusy``: nothing is dialled.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

import attrs

from ..calls.outbound_routes import OutboundRoute, OutboundRouting, TrunkGroup
from ..calls.outside import OutsideDial, OutsideRefused
from ..calls.values import EventCause

__all__ = ["OutboundRouter", "RouteChoice"]


@attrs.frozen(kw_only=True)
class RouteChoice:
    """What ``OutboundRouter.explain`` says of a number (``routing.test``)."""

    number: str
    route: OutboundRoute | None
    dial: str | None
    line: str | None
    free_lines: tuple[str, ...]
    reason: str

    def to_wire(self) -> dict[str, object]:
        route = self.route
        return {
            "direction": "outbound",
            "calledNumber": self.number,
            "route": route.name if route else None,
            "trunkGroup": route.trunk_group if route else None,
            "hunt": route.hunt if route else None,
            "dial": self.dial,
            "line": self.line,
            "freeLines": list(self.free_lines),
            "reason": self.reason,
        }


class OutboundRouter:
    """Routes outside numbers; see the module docstring."""

    def __init__(
        self,
        routing: OutboundRouting,
        groups: Mapping[str, TrunkGroup],
        *,
        calls_per_line: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.routes = routing.routes
        self.groups = dict(groups)
        #: Calls one line carries at once (None: no limit known, e.g. a SIP gateway).
        self.calls_per_line = calls_per_line
        self._rng = rng or random.Random()
        #: Round-robin routes: the index in their group of the line taken last.
        self._last: dict[str, int] = {}

    def __call__(self, number: str, calls_on: Callable[[str], int]) -> OutsideDial | OutsideRefused:
        choice = self._choose(number, calls_on, advance=True)
        if choice.route is None or choice.dial is None:
            return OutsideRefused(cause=EventCause.DEST_NOT_OBTAINABLE, reason=choice.reason)
        if choice.line is None:
            return OutsideRefused(cause=EventCause.TRUNKS_BUSY, reason=choice.reason)
        return OutsideDial(number=choice.dial, line=choice.line, route=choice.route.name)

    def explain(self, number: str, calls_on: Callable[[str], int]) -> RouteChoice:
        """The route a call to ``number`` would take now; hunting memory is left alone."""
        return self._choose(number, calls_on, advance=False)

    def _choose(self, number: str, calls_on: Callable[[str], int], *, advance: bool) -> RouteChoice:
        route = next((r for r in self.routes if r.pattern.fullmatch(number)), None)
        if route is None:
            return RouteChoice(
                number=number,
                route=None,
                dial=None,
                line=None,
                free_lines=(),
                reason="no outbound route matches the number",
            )
        dial = route.digits(number)
        if dial is None:
            return RouteChoice(
                number=number,
                route=route,
                dial=None,
                line=None,
                free_lines=(),
                reason=f"route {route.name!r} strips every digit of the number",
            )
        lines = self.groups[route.trunk_group].lines
        limit = self.calls_per_line
        free = tuple(ln for ln in lines if limit is None or calls_on(ln) < limit)
        line = self._hunt(route, lines, free, advance=advance)
        if not free:
            reason = f"every line of trunk group {route.trunk_group!r} is busy"
        elif line is None:
            reason = f"route {route.name!r}, random hunt: any of the free lines"
        else:
            reason = f"route {route.name!r}, {route.hunt} hunt"
        return RouteChoice(
            number=number, route=route, dial=dial, line=line, free_lines=free, reason=reason
        )

    def _hunt(
        self, route: OutboundRoute, lines: tuple[str, ...], free: tuple[str, ...], *, advance: bool
    ) -> str | None:
        if not free:
            return None
        if route.hunt == "sequential":
            return free[0]
        if route.hunt == "random":
            # explain() cannot say which line chance would pick, and must not draw.
            return self._rng.choice(free) if advance else None
        start = self._last.get(route.name, -1) + 1
        free_set = set(free)
        for step in range(len(lines)):
            index = (start + step) % len(lines)
            if lines[index] in free_set:
                if advance:
                    self._last[route.name] = index
                return lines[index]
        return None  # pragma: no cover - free is not empty
