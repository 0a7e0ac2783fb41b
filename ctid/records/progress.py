"""Call records in progress, kept across a restart: one record for a call that goes on.

The records service follows each call in a ``CallTrack`` (``tracker``) and
writes the record when the call ends. A restart used to lose the track: the
call's open row was closed as ``interrupted`` (``CloseInterrupted``), with
``ended_at`` at the dead run's last heartbeat, even though the call went on.

``RecordsInProgress`` keeps each call's track, start time, dialled number and
facts (queue, agent and IVR times) as a live-state row (kind ``record``, key:
the call's record id) after each event of the call, and deletes it when the
call's record is written. At start, before ``CloseInterrupted``, it finds each
stored call among the calls the switch still has (by id, else by the switch's
channel ids, for a call that came back under a new id), puts its track back and
adopts its row (``CallAdopt``), so the call closes normally, under its first
id, when it ends. Times are stored as wall-clock seconds.

A call whose channels all ended while ctid was away comes back without them
(``calls.recover``, ``CallModel.ended_while_down``) and is ended once the
services have started: its record is closed normally too (its real answer
time, talk time, disposition), with its end dated back to the best known
time, the previous run's last sign of life (``last_alive``: its last heartbeat
or live-state commit, whichever is later): the channels were up then as far as
anyone knows, and ended at some moment after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol

import attrs

from .. import facts as f
from ..calls.model import CallModel
from ..calls.notices import CallEnded
from ..clock import WallClock
from . import ops as o
from .tracker import CallTrack, CallTracker, LegTrack

__all__ = ["KIND", "LiveRows", "RecordsInProgress"]

log = logging.getLogger(__name__)

KIND: Final = "record"
#: Facts holding trio times (stored as wall-clock times).
TIME_FACTS: Final = frozenset(
    {
        f.FACT_QUEUE_ENTERED_AT,
        f.FACT_QUEUE_LEFT_AT,
        f.FACT_RINGING_STARTED_AT,
        f.FACT_IVR_ENTERED_AT,
        f.FACT_IVR_LEFT_AT,
    }
)
_LEG_TIMES: Final = ("joined_at", "answered_at", "held_since", "ended_at")


class LiveRows(Protocol):
    """The store's part the records use (``ctid.livestate.store.LiveStore``)."""

    def load(self, kind: str) -> dict[str, dict[str, Any]]: ...

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None: ...

    def delete(self, kind: str, key: str) -> None: ...


@attrs.define
class _Kept:
    """A call restored from a row: the id its record has, and what the new run lacks."""

    record_id: str
    started_at: float
    facts: dict[str, Any]
    #: The call ended while ctid was away: the (trio) time its record ends at.
    ended_at: float | None = None


class RecordsInProgress:
    """See the module docstring."""

    def __init__(
        self,
        *,
        rows: LiveRows,
        tracker: CallTracker,
        model: CallModel,
        clock: WallClock,
        dnis: dict[str, str | None],
        submit: Callable[[o.Op], bool],
        node: str,
        run_id: str,
    ) -> None:
        self.rows = rows
        self.tracker = tracker
        self.model = model
        self.clock = clock
        self.dnis = dnis
        self.submit = submit
        self.node = node
        self.run_id = run_id
        #: Model call id -> the restored call's record.
        self.kept: dict[str, _Kept] = {}

    def _wall(self, t: float | None) -> float | None:
        return None if t is None else self.clock.at(t)

    def _trio(self, wall: float | None) -> float | None:
        if wall is None:
            return None
        return wall - self.clock.anchor_wall + self.clock.anchor_trio

    # ------------------------------------------------------------------ save

    def record_id(self, call_id: str) -> str:
        kept = self.kept.get(call_id)
        return kept.record_id if kept is not None else call_id

    def save(self, call_ids: Iterable[str]) -> None:
        """After an event: the rows of ``call_ids`` as they are now."""
        for call_id in call_ids:
            track = self.tracker.calls.get(call_id)
            call = self.model.calls.get(call_id)
            if track is None or call is None:
                continue
            kept = self.kept.get(call_id)
            facts = {**kept.facts, **call.facts} if kept is not None else dict(call.facts)
            self.rows.put(
                KIND,
                self.record_id(call_id),
                {
                    "startedAt": kept.started_at if kept else self.clock.at(call.created_at),
                    "dnis": self.dnis.get(call_id),
                    "channels": sorted(
                        c.leg.channel_id for c in call.connections.values() if c.leg is not None
                    ),
                    "facts": self._facts_out(facts),
                    "track": self._track_out(track),
                },
            )

    def ended(self, notice: CallEnded, track: CallTrack | None = None) -> CallEnded:
        """The call ended: forget its row; the notice as its record must see it.

        For a call that ended while ctid was away, ``track``'s legs are ended at
        the best known time too.
        """
        kept = self.kept.pop(notice.call_id, None)
        self.rows.delete(KIND, kept.record_id if kept else notice.call_id)
        if kept is None:
            return notice
        started = self._trio(kept.started_at)
        assert started is not None
        if kept.ended_at is not None:
            end = max(started, min(kept.ended_at, notice.ended_at))
            if track is not None:
                for leg in track.legs:
                    if leg.ended_at is None or leg.ended_at > end:
                        leg.ended_at = max(leg.joined_at, end)
            notice = attrs.evolve(notice, ended_at=end)
        facts = {**kept.facts, **notice.facts}
        recorded = [
            *kept.facts.get(f.FACT_RECORDINGS, ()),
            *notice.facts.get(f.FACT_RECORDINGS, ()),
        ]
        if recorded:
            facts[f.FACT_RECORDINGS] = list(dict.fromkeys(recorded))
        return attrs.evolve(
            notice,
            call_id=kept.record_id,
            created_at=min(started, notice.created_at),
            facts=facts,
        )

    def _facts_out(self, facts: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in facts.items():
            if key in TIME_FACTS and isinstance(value, int | float):
                value = self.clock.at(value)
            out[str(key)] = value if _plain(value) else str(value)
        return out

    def _facts_in(self, facts: dict[str, Any]) -> dict[str, Any]:
        return {
            key: self._trio(value)
            if key in TIME_FACTS and isinstance(value, int | float)
            else value
            for key, value in facts.items()
        }

    def _track_out(self, track: CallTrack) -> dict[str, Any]:
        legs = []
        for leg in track.legs:
            row = attrs.asdict(leg)
            for name in _LEG_TIMES:
                row[name] = self._wall(row[name])
            legs.append(row)
        return {
            "callingDevice": track.calling_device,
            "legs": legs,
            "active": {device: track.legs.index(leg) for device, leg in track.active.items()},
            "personAnsweredAt": self._wall(track.person_answered_at),
            "answeredBy": track.answered_by,
            "transferred": track.transferred,
            "conferenced": track.conferenced,
            "mergedInto": track.merged_into,
            "abandonedWhileRinging": track.abandoned_while_ringing,
            "sawRinging": track.saw_ringing,
            "failureCause": track.failure_cause,
        }

    def _track_in(self, call_id: str, row: dict[str, Any]) -> CallTrack:
        legs = []
        for leg in row["legs"]:
            values = dict(leg)
            for name in _LEG_TIMES:
                values[name] = self._trio(values[name])
            legs.append(LegTrack(**values))
        return CallTrack(
            call_id=call_id,
            calling_device=str(row["callingDevice"]),
            legs=legs,
            active={device: legs[int(i)] for device, i in row["active"].items()},
            person_answered_at=self._trio(row["personAnsweredAt"]),
            answered_by=row["answeredBy"],
            transferred=bool(row["transferred"]),
            conferenced=bool(row["conferenced"]),
            merged_into=row["mergedInto"],
            abandoned_while_ringing=bool(row["abandonedWhileRinging"]),
            saw_ringing=bool(row["sawRinging"]),
            failure_cause=row["failureCause"],
        )

    # --------------------------------------------------------------- restore

    def restore(self, last_alive: float | None = None) -> None:
        """Put back the tracks of calls still up; adopt their rows (before CloseInterrupted).

        ``last_alive``: the wall time the previous run was last known alive
        (None: unknown, now), when calls that ended meanwhile are taken to end.
        """
        kept = 0
        ghosts = set(self.model.ended_while_down)
        ended_at = self._trio(last_alive if last_alive is not None else self.clock.now())
        for record_id, row in self.rows.load(KIND).items():
            try:
                call_id = (
                    record_id
                    if record_id in ghosts
                    else self._find(record_id, row.get("channels") or [])
                )
                if call_id is None:
                    # Ended while ctid was down: CloseInterrupted closes its row.
                    self.rows.delete(KIND, record_id)
                    continue
                first_seen = call_id in self.tracker.calls
                self.tracker.calls[call_id] = self._track_in(call_id, row["track"])
                self.dnis[call_id] = row.get("dnis")
                self.kept[call_id] = _Kept(
                    record_id=record_id,
                    started_at=float(row["startedAt"]),
                    facts=self._facts_in(dict(row.get("facts") or {})),
                    ended_at=ended_at if call_id in ghosts else None,
                )
            except (KeyError, ValueError, TypeError, IndexError) as exc:
                log.error("live state: record of call %s not restored (%r)", record_id, exc)
                self.rows.delete(KIND, record_id)
                continue
            replaces = call_id if call_id != record_id and first_seen else None
            self.submit(
                o.CallAdopt(
                    call_id=record_id, node=self.node, run_id=self.run_id, replaces=replaces
                )
            )
            if call_id != record_id:
                # The row under the new id goes; the call's row is its first id's.
                self.rows.delete(KIND, call_id)
            kept += 1
        if kept:
            log.info("live state: %d call record(s) in progress go on", kept)

    def _find(self, record_id: str, channels: list[str]) -> str | None:
        wanted = set(channels)
        call = self.model.calls.get(record_id)
        if call is not None and (
            not wanted
            or any(
                c.leg is not None and c.leg.channel_id in wanted for c in call.connections.values()
            )
        ):
            return record_id
        if not wanted:
            return None
        for call in self.model.calls.values():
            for conn in call.connections.values():
                if conn.leg is not None and conn.leg.channel_id in wanted:
                    return call.call_id
        return None


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False
