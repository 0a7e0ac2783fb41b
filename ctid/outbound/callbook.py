"""When the next callback booked for one agent is due, as far as this process knows.

Each pacing round offers ready agents the callbacks booked for them
(``preview.PreviewDesk``), which was a database read every ``CALLBACKS_EVERY``
seconds in every campaign, most of which never book one. ``CallbackBook``
keeps, per campaign, the soonest due time of those callbacks: read from the
database together with the callbacks themselves (``store.agent_callbacks``),
and moved earlier by every booking this process makes
(``CampaignService.schedule_callback``; a callback booked during a call, written
when the call ends). While that time is later than now, a round's look-up is
answered from memory: nothing is due.

What it does not hear of (another program writing the table) it finds at the
latest ``REREAD_SECONDS`` later: it reads the database at least that often. A
campaign that starts or resumes reads at its first round (``forget``: a pause
sends the callbacks on preview back to ``callback``), and so does every campaign
after a restart or a takeover (the new process's book is empty): what the
previous process or the other node booked is offered on time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import trio

from . import store

__all__ = ["REREAD_SECONDS", "CallbackBook"]

#: Longest time (trio seconds) between two reads of a campaign's agent callbacks.
REREAD_SECONDS: Final = 60.0

Reader = Callable[..., Awaitable[Any]]


class CallbackBook:
    """See the module docstring. ``pending(record_id)``: whether the record's latest
    standing is not written yet (``writeback.RecordWriter.holds``)."""

    def __init__(self, read: Reader, pending: Callable[[int], bool]) -> None:
        self._read = read
        self._pending = pending
        #: Campaign -> (when read, trio seconds; the soonest due in the database then,
        #: None: none booked). No entry: not read since the campaign started.
        self._stored: dict[str, tuple[float, dt.datetime | None]] = {}
        #: Campaign -> record id -> due time: bookings of this process, until a read
        #: that began after they were written.
        self._noted: dict[str, dict[int, dt.datetime]] = {}
        self.reads = 0

    def forget(self, campaign: str) -> None:
        """Read at the campaign's next look-up (it starts or resumes)."""
        self._stored.pop(campaign, None)

    def booked(self, campaign: str, record_id: int, at: dt.datetime) -> None:
        """A callback of ``campaign`` for one agent, due ``at`` (written, or being written)."""
        self._noted.setdefault(campaign, {})[record_id] = at

    def soonest(self, campaign: str) -> dt.datetime | None:
        """The soonest due time known (None: none known of)."""
        times = list(self._noted.get(campaign, {}).values())
        stored = self._stored.get(campaign)
        if stored is not None and stored[1] is not None:
            times.append(stored[1])
        return min(times) if times else None

    def _must_read(self, campaign: str, now: dt.datetime) -> bool:
        stored = self._stored.get(campaign)
        if stored is None or trio.current_time() - stored[0] >= REREAD_SECONDS:
            return True
        soonest = self.soonest(campaign)
        return soonest is not None and soonest <= now

    async def may_be_due(self, campaign: str, now: dt.datetime) -> bool:
        """Whether a callback of ``campaign`` booked for any agent may be due at ``now``
        (the blended claim, ``preview.PreviewDesk.round``): the soonest due time known,
        read again when the last read is ``REREAD_SECONDS`` old."""
        stored = self._stored.get(campaign)
        if stored is None or trio.current_time() - stored[0] >= REREAD_SECONDS:
            await self.due(campaign, now, ())
        soonest = self.soonest(campaign)
        return soonest is not None and soonest <= now

    async def due(
        self, campaign: str, now: dt.datetime, agents: Sequence[str]
    ) -> list[store.StoredRecord]:
        """The callbacks of ``campaign`` booked for one of ``agents`` and due at ``now``
        (``store.agent_callbacks_due``), from the database only when one may be due."""
        if not self._must_read(campaign, now):
            # The read this replaces was a turn of the scheduler: the same turns keep a
            # simulated day's order of events (``ctid simulate``) as it was.
            await trio.lowlevel.checkpoint()
            return []
        noted = self._noted.get(campaign, {})
        for record_id in [r for r in noted if not self._pending(r)]:
            del noted[record_id]  # written before this read begins: the read sees it
        clock = trio.current_time()
        self.reads += 1
        found: list[store.StoredRecord]
        found, soonest = await self._read(store.agent_callbacks, campaign, now, agents)
        self._stored[campaign] = (clock, soonest)
        return found
