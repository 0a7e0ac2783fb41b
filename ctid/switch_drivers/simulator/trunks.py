"""The card's outside lines, indexed for what it asks of them at every call.

Which is the first idle line (a caller dials in, ctid dials out) and which line
an outside number is on (is this caller already on a call; the caller hangs
up): scanning hundreds of lines for each took ~0.1 ms a call, a tenth of a
simulated call's whole cost with 400 lines. The answers are the scans' own:
the idle line first in the lines' order, the line with a channel first in
that order for a number.
"""

from __future__ import annotations

import heapq

from .objects import Line, LineState

__all__ = ["Trunks"]


class Trunks:
    """``lines`` (the outside lines, in order) with an idle-line heap and a number index.

    The card tells it when a line starts or ends a channel and when it goes idle;
    it never changes a line itself.
    """

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self._position = {line.name: i for i, line in enumerate(lines)}
        #: Positions of lines that went idle (a sorted list is a heap). An entry
        #: whose line is busy now is dropped when it reaches the top; every idle
        #: line has an entry, so the top left is the first idle line.
        self._idle = [i for i, line in enumerate(lines) if line.state is LineState.IDLE]
        #: Lines with a channel, by the outside number on them.
        self._by_party: dict[str, list[Line]] = {}

    def first_idle(self, name: str | None = None) -> Line | None:
        """The first idle line, or line ``name`` if it is one and idle."""
        lines = self.lines
        if name is not None:
            at = self._position.get(name)
            line = lines[at] if at is not None else None
            return line if line is not None and line.state is LineState.IDLE else None
        idle = self._idle
        while idle and lines[idle[0]].state is not LineState.IDLE:
            heapq.heappop(idle)
        return lines[idle[0]] if idle else None

    def on_call(self, number: str) -> Line | None:
        """The line (with a channel) the outside party ``number`` is on, if any."""
        found = self._by_party.get(number)
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        return min(found, key=lambda line: self._position[line.name])

    def channel_started(self, line: Line) -> None:
        """``line`` has a channel now, with its ``party`` set (any line: others are ignored)."""
        if line.party is not None and line.name in self._position:
            self._by_party.setdefault(line.party, []).append(line)

    def channel_ending(self, line: Line) -> None:
        """``line``'s channel ends (called while ``party`` is still set)."""
        if line.party is None:
            return
        found = self._by_party.get(line.party)
        if found is not None and line in found:
            found.remove(line)
            if not found:
                del self._by_party[line.party]

    def went_idle(self, line: Line) -> None:
        """``line`` is idle again (any line: others are ignored)."""
        at = self._position.get(line.name)
        if at is not None:
            heapq.heappush(self._idle, at)
