"""Leader election by lease, as a pure state machine (no I/O, no trio, no clock).

One row in the database says which node holds the lease and until when (the
database's own clock). Each node tries, every ``lease / 3`` seconds (at most
1 s), to take or renew it (``ctid.cluster.lease``); the database grants it to a
node only if that node holds it already, or the lease has run out, or (early)
the holder's database session has ended: the holder keeps a session advisory
lock, which PostgreSQL frees the moment that session's connection closes, as it
does when the holder's process dies. This object decides what the answers mean
and when to try again; ``ctid.cluster.node`` runs it with real time and a real
database.

Death signal: an early grant makes the standby wait ``fence`` (1.5 renewal
periods, counted from the moment the grant's answer arrived) before it becomes
active, while an active node whose session ended stops at once
(``on_lock_lost``) at its next renewal, at most one period after the session
ended.

Partition safety: the active node counts its lease from the moment it *sent*
the last successful renewal, which is before the database stamped it, and gives
up at half the lease without another success. Another node can take over only
when the database's clock has passed the full lease since that stamp, so the
old active node has stopped (and has ``lease / 2`` to finish stopping) before
anyone else may start. A node that has stepped down is ``STOPPED`` for good:
its memory of calls and agents is stale, so its process exits and comes back
as a fresh standby (docs/design.md, "Leader election").

```
STANDBY --granted--> ACTIVE --no renewal for lease/2, or lease taken--> STOPPED
```
"""

from __future__ import annotations

import enum
from typing import Final

import attrs

__all__ = [
    "ActiveSeen",
    "BecameActive",
    "Change",
    "Election",
    "LeaseView",
    "Role",
    "SteppedDown",
]

#: A failed attempt is retried after this fraction of the lease.
RETRY_FRACTION: Final = 0.1
#: Seconds between renewals (and a standby's attempts) at most: a holder whose
#: database session ended learns it at its next renewal, and a standby polls the
#: advisory lock this often (docs/design.md, "Leader election").
MAX_RENEW_EVERY: Final = 1.0
#: After an early grant (the holder's session ended before its lease ran out), the
#: standby becomes active only at a renewal sent this many renewal periods later,
#: so a holder whose session the server ended has learnt it and stopped first.
FENCE_PERIODS: Final = 1.5


class Role(enum.Enum):
    #: Waiting for the lease; does not talk to the switch, refuses logins.
    STANDBY = "standby"
    #: Holds the lease; controls the switch and serves clients.
    ACTIVE = "active"
    #: Lost the lease after holding it; never active again in this process.
    STOPPED = "stopped"


@attrs.frozen(kw_only=True)
class LeaseView:
    """What one attempt to take or renew the lease found: who holds it now."""

    #: Who holds the lease after the attempt: a node's name and, for the
    #: database lease, its process run after ``#`` (empty: nobody ever did).
    holder: str
    #: That node's ``advertise_url``.
    advertise_url: str
    #: Counts takeovers: a new holder gets the previous term + 1.
    term: int
    #: This node's holding began with an early grant (before the lease ran out:
    #: the previous holder's database session, and its advisory lock, ended). It
    #: stays true on the renewals of that holding, so a grant made by an attempt
    #: whose answer the node gave up waiting for is still fenced.
    early: bool = False


@attrs.frozen(kw_only=True)
class BecameActive:
    term: int


@attrs.frozen(kw_only=True)
class SteppedDown:
    reason: str


@attrs.frozen(kw_only=True)
class ActiveSeen:
    """Another node is (now) active at ``url`` (empty: none known)."""

    url: str


Change = BecameActive | SteppedDown | ActiveSeen


class Election:
    """One node's view of the election. Times are seconds on one monotonic clock.

    ``node`` is what the lease row says when this process holds it.
    """

    def __init__(self, *, node: str, lease: float, now: float) -> None:
        if lease <= 0:
            raise ValueError("lease must be more than 0 seconds")
        self.node = node
        self.lease = lease
        #: Seconds between renewals (and between a standby's attempts).
        self.renew_every = min(lease / 3, MAX_RENEW_EVERY)
        #: Seconds after a successful renewal was sent at which the active node gives up.
        self.give_up_after = lease / 2
        #: Seconds an early grant waits before the node becomes active.
        self.fence = FENCE_PERIODS * self.renew_every
        #: When the standby was first granted early (it waits out ``fence`` from then).
        self._early_since: float | None = None
        self.role = Role.STANDBY
        #: The active node's advertised URL as last seen ("" while unknown).
        self.active_url = ""
        self.term = 0
        self._next_attempt = now
        self._renewed_at: float | None = None

    @property
    def next_attempt(self) -> float:
        """When to try to take or renew the lease next."""
        return self._next_attempt

    @property
    def deadline(self) -> float | None:
        """While active: when to step down unless a renewal sent before then succeeds."""
        if self.role is not Role.ACTIVE or self._renewed_at is None:
            return None
        return self._renewed_at + self.give_up_after

    def attempt_timeout(self, now: float) -> float:
        """How long an attempt started at ``now`` may take before it counts as failed."""
        deadline = self.deadline
        if deadline is not None:
            return max(0.0, deadline - now)
        return self.renew_every

    def on_result(self, *, sent_at: float, view: LeaseView | None, now: float) -> list[Change]:
        """The answer to an attempt sent at ``sent_at`` (``None``: it failed or timed out)."""
        if self.role is Role.STOPPED:
            return []
        changes: list[Change] = self.on_time(now)
        if changes:  # stepped down: too late for this answer
            return changes
        # A grant is worth only what is left of it: one that took longer than the
        # give-up margin to arrive may already be someone else's.
        if view is None or (view.holder == self.node and now - sent_at >= self.give_up_after):
            # A fence under way goes on: the next grant is no longer "early".
            self._next_attempt = now + self.lease * RETRY_FRACTION
            return changes
        self._next_attempt = sent_at + self.renew_every
        if view.holder == self.node:
            self._renewed_at = sent_at
            self.term = view.term
            if self.role is Role.STANDBY:
                if view.early and self._early_since is None:
                    # From the answer, not the request: the old holder's session may
                    # have ended at any moment until the database ran this statement
                    # (a loaded server runs it late), and it learns of that at most
                    # one renewal period after (docs/design.md, "Leader election").
                    self._early_since = now
                if self._early_since is not None and sent_at - self._early_since < self.fence:
                    return changes  # fenced: the previous holder may still be stopping
                self._early_since = None
                self.role = Role.ACTIVE
                self.active_url = view.advertise_url
                changes.append(BecameActive(term=view.term))
            return changes
        self._early_since = None
        if self.role is Role.ACTIVE:
            other = view.holder.partition("#")[0]
            return [*changes, *self._step_down(f"node {other!r} holds the lease")]
        if view.advertise_url != self.active_url:
            self.active_url = view.advertise_url
            changes.append(ActiveSeen(url=view.advertise_url))
        return changes

    def on_lock_lost(self) -> list[Change]:
        """The database session that held the advisory lock ended under this node.

        A standby may now take over early, so an active node stops at once.
        """
        self._early_since = None
        if self.role is Role.ACTIVE:
            return self._step_down("its database session (and advisory lock) ended")
        return []

    def on_time(self, now: float) -> list[Change]:
        """Time has passed: an active node past its deadline steps down."""
        deadline = self.deadline
        if deadline is not None and now >= deadline:
            return self._step_down(
                f"lease not renewed for {self.give_up_after:g} seconds (database unreachable?)"
            )
        return []

    def _step_down(self, reason: str) -> list[Change]:
        self.role = Role.STOPPED
        self._renewed_at = None
        self.active_url = ""
        return [SteppedDown(reason=reason)]
