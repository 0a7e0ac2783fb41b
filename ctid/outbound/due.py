"""What a campaign may dial next, kept in memory and read from the database in batches.

A pacing round used to read the due records (and the agents' callbacks) at
every round, which in a busy campaign is several reads a second for one or two
dials. ``DueQueue`` reads a batch (oldest first: callbacks, retries, new
records) and hands it out round after round; it reads again when it runs short
(at most once a ``REREAD_SECONDS``) or when its batch is ``MAX_AGE`` seconds old,
so a retry or callback that comes due waits at most that long behind the
records read before it. Nothing is dialled from the queue alone: the round
claims its records in the database first (``claims.claim_records``), which
refuses any that stopped being due meanwhile or whose number was put on a
do-not-call list.

The batch comes with the do-not-call lists' verdict on its numbers (``listed``,
read in the same statement) and the version of the lists this process had then
(``lists_version``, ``Dialler.dnc_version``): while no ``campaign.dnc*`` request
of this process changed a list since, a round reads the lists again only for the
numbers that were listed (one taken off since is dialled); the claim catches a
number listed since by anyone else.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Final

from .store import StoredRecord

__all__ = ["MAX_AGE", "DueQueue"]

#: Seconds a batch is handed out before it is read again.
MAX_AGE: Final = 15.0
#: Shortest time between two reads when the queue runs short (a list with few
#: due records must not be read at every round).
REREAD_SECONDS: Final = 1.0
#: Fewest records read at a time.
MIN_BATCH: Final = 128


class DueQueue:
    """One campaign's due records, as read at ``read_at`` (monotonic seconds)."""

    def __init__(self) -> None:
        self._records: deque[StoredRecord] = deque()
        self.read_at: float | None = None
        self.reads = 0
        #: Numbers of the batch on a do-not-call list when it was read.
        self.listed: set[str] = set()
        #: ``Dialler.dnc_version`` when the batch was read (None: ``listed`` not to be
        #: trusted; the lists are read at every round until the next batch).
        self.lists_version: int | None = None

    def __len__(self) -> int:
        return len(self._records)

    def needs_read(self, now: float, want: int) -> bool:
        """Whether to read a new batch before a round that wants ``want`` records."""
        if self.read_at is None or now - self.read_at >= MAX_AGE:
            return True
        return len(self._records) < want and now - self.read_at >= REREAD_SECONDS

    @staticmethod
    def batch(want: int) -> int:
        """How many records to read for a round that wants ``want``."""
        return max(8 * want, MIN_BATCH)

    def fill(
        self,
        records: list[StoredRecord],
        now: float,
        skip: Callable[[int], bool],
        *,
        listed: set[str] | None = None,
        lists_version: int | None = None,
    ) -> None:
        """A new batch replaces the old (records ``skip`` names are being dialled or written);
        ``listed``: its numbers on a do-not-call list, as of ``lists_version``."""
        self._records = deque(r for r in records if not skip(r.id))
        self.read_at = now
        self.reads += 1
        self.listed = listed if listed is not None else set()
        self.lists_version = lists_version if listed is not None else None

    def take(self) -> StoredRecord | None:
        return self._records.popleft() if self._records else None

    def clear(self) -> None:
        self._records.clear()
        self.read_at = None
        self.lists_version = None
