"""What a pacing round dials: records from the campaign's due queue, passed by ``verdict``.

``Picker`` holds each campaign's ``due.DueQueue`` and the do-not-call verdicts
read with it. A round asks it for ``want`` records: it reads a batch when the
queue needs one (``store.due_batch``: the due records and which of their numbers
are listed, in one statement), takes records in order, and judges each at the
moment of the dial (``attempts.verdict``). The do-not-call lists are read again
then only where the batch's verdict may be stale (``due.py``); the claim that
follows (``claims.claim_records``) checks them once more in the same transaction
that marks the records ``dialling``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import trio

from . import store
from .attempts import VerdictKind, verdict
from .campaign_config import CampaignSpec
from .claims import RecordWrite
from .due import DueQueue

__all__ = ["Picker"]

Reader = Callable[..., Awaitable[Any]]


class Picker:
    """The campaigns' due queues; see the module docstring."""

    def __init__(
        self,
        read: Reader,
        *,
        zone_prefixes: Mapping[str, str],
        busy: Callable[[], set[int]],
        held: Callable[[int], bool],
    ) -> None:
        self._read = read
        self._zone_prefixes = zone_prefixes
        #: Records being dialled now; records whose latest standing is not written yet.
        self._busy = busy
        self._held = held
        #: Campaign name -> the records it may dial next, read in batches.
        self.due: dict[str, DueQueue] = {}
        #: Bumped by every change of a do-not-call list in this process (``dnc_changed``).
        self.dnc_version = 0

    def dnc_changed(self) -> None:
        """A do-not-call list changed (``campaign.dnc*``): the batches' verdicts are stale."""
        self.dnc_version += 1

    def refused(self, campaign: str) -> None:
        """The claim refused some of the records picked: no longer due, or listed since the
        batch was read (perhaps by another process): its verdicts are not trusted any more."""
        queue = self.due.get(campaign)
        if queue is not None:
            queue.lists_version = None

    async def pick(
        self, spec: CampaignSpec, want: int, now: dt.datetime
    ) -> tuple[list[store.StoredRecord], dict[int, RecordWrite]]:
        """Up to ``want`` records to dial now from the campaign's due queue (read again
        when it runs short), each passed by ``verdict``; and the records found on a
        do-not-call list, which end there without an attempt."""
        queue = self.due.setdefault(spec.name, DueQueue())
        clock = trio.current_time()
        if queue.needs_read(clock, want):
            version = self.dnc_version  # before the read: a change during it distrusts it
            found, listed = await self._read(store.due_batch, spec.name, now, DueQueue.batch(want))
            busy = self._busy()
            queue.fill(
                found,
                clock,
                skip=lambda i: i in busy or self._held(i),
                listed=listed,
                lists_version=version,
            )
        picked: list[store.StoredRecord] = []
        ended: dict[int, RecordWrite] = {}
        while len(picked) < want:
            batch: list[store.StoredRecord] = []
            while len(batch) < want - len(picked) and (stored := queue.take()) is not None:
                if not self._held(stored.id):
                    batch.append(stored)
            if not batch:
                break
            dnc = await self._listed(spec.name, queue, [r.standing.number for r in batch])
            for stored in batch:
                decision = verdict(
                    spec, stored.standing, now, dnc=dnc, zone_prefixes=self._zone_prefixes
                )
                if decision.kind is VerdictKind.DNC:
                    # Never dialled: the record ends, with no attempt counted.
                    ended[stored.id] = RecordWrite(
                        standing=attrs.evolve(
                            stored.standing, status="dnc", next_attempt_at=None, last_outcome="dnc"
                        ),
                        at=now,
                    )
                elif decision.kind is VerdictKind.DIAL:
                    picked.append(stored)
        return picked, ended

    async def _listed(self, campaign: str, queue: DueQueue, numbers: list[str]) -> set[str]:
        """Which of ``numbers`` are on a do-not-call list now (``due.py`` says how far the
        batch's own verdict is trusted; the claim checks the lists again in any case)."""
        if queue.lists_version is None or queue.lists_version != self.dnc_version:
            # A list changed in this process since the batch was read: all of them, now.
            found: set[str] = await self._read(store.dnc_numbers_for, campaign, numbers)
            return found
        was_listed = [n for n in numbers if n in queue.listed]
        if was_listed:
            # Still listed? (One taken off since is dialled.)
            found = await self._read(store.dnc_numbers_for, campaign, was_listed)
            return found
        # The read this replaces was a turn of the scheduler: the same turns keep a
        # simulated day's order of events (``ctid simulate``) as it was.
        await trio.lowlevel.checkpoint()
        return set()
