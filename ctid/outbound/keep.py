"""Campaigns across a restart or a takeover: what the dialler keeps in the live state.

The campaigns' definitions, lists, records and run states (``campaigns.state``)
are in the records database already; what only the dialler's memory held is
kept here, in the live-state store (``ctid.livestate``), and read back when the
dialler starts (``Dialler.run``; a standby taking over reads the same rows):

* kind ``campaign`` (key: the campaign's name): the day's figures the pacer
  judges the abandon rate by (``pacer.DayTally``, with their date in the
  campaign's zone) and those ``campaign.figures`` shows (``events.DayCounts``),
  the totals since the campaign started, and the pacer's learned model (the
  outcomes, the ring times and handle cycles).
  The abandon rule is "over the campaign's day": a restart that forgot the
  day's abandoned calls would let the pacer dial harder than the day allows.
  A new day still starts at 0 (the counts roll on their date, as before).
* kind ``campaign_attempt`` (key: the call id): a call the dialler made and
  that has not ended (campaign, record, the record's status before it, when
  it was dialled, whether the callee answered, the agent and disposition).
  The call itself comes back with its id (``ctid.calls``), so its end moves
  the record on as if ctid had not stopped.

At start, a record left ``dialling`` with no call (the kill fell between
marking it and dialling, or its call is gone from the switch and from the
stored calls) is ended as a ``failed`` attempt (the campaign's retry rules
apply); one left ``preview`` (an agent was previewing it) goes back to be
dialled. Rows are written behind the dialler's back (``LiveStore.put`` never
blocks): the day's figures whenever they change, the learned model at most
once per pacing round.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

from . import store
from .attempts import outcome_of
from .events import DayCounts
from .pacer import DayTally, Pacer, Samples

if TYPE_CHECKING:
    from .dialler import Dialler

__all__ = ["ATTEMPT", "CAMPAIGN", "CampaignKeeper", "LiveRows"]

log = logging.getLogger(__name__)

#: The live-state kinds this module keeps.
CAMPAIGN: Final = "campaign"
ATTEMPT: Final = "campaign_attempt"

_TALLY = ("dialled", "persons", "machines", "connected", "abandoned")
_BOARD = ("dialled", "answered", "abandoned", "connected", "machines")


class LiveRows(Protocol):
    """What the keeper needs of ``ctid.livestate.store.LiveStore``."""

    def load(self, kind: str) -> dict[str, dict[str, Any]]: ...

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None: ...

    def delete(self, kind: str, key: str) -> None: ...


def _tally_row(tally: DayTally) -> dict[str, Any]:
    return {"day": tally.day, **{name: getattr(tally, name) for name in _TALLY}}


def _tally(row: dict[str, Any]) -> DayTally:
    return DayTally(day=str(row["day"]), **{name: int(row[name]) for name in _TALLY})


def _samples(values: Iterable[float]) -> Samples:
    samples = Samples()
    for value in values:
        samples.add(float(value))
    return samples


class CampaignKeeper:
    """See the module docstring: ``restore()`` once at start, ``save()`` after changes."""

    def __init__(self, dialler: Dialler, rows: LiveRows, *, wall: Callable[[], float]) -> None:
        self.dialler = dialler
        self.rows = rows
        #: The daemon's wall clock (seconds), for times that outlive this process.
        self.wall = wall
        #: Campaign -> what was last written of its day (and of its model's size).
        self._days: dict[str, dict[str, Any]] = {}
        self._models: dict[str, tuple[Any, ...]] = {}
        #: Call id -> the attempt row last written.
        self._attempts: dict[str, dict[str, Any]] = {}
        dialler.step_hooks.append(self.save)
        dialler.round_hooks.append(self.save_models)
        dialler.restore_hooks.append(self.restore)

    # ------------------------------------------------------------------ save

    def day_row(self, name: str) -> dict[str, Any]:
        pacer = self.dialler.pacers.get(name)
        board = self.dialler.board.days.get(name)
        row: dict[str, Any] = {}
        if pacer is not None:
            row["tally"] = _tally_row(pacer.tally)
            row["total"] = _tally_row(pacer.total)
            row["outcomes"] = dict(pacer.outcomes)
        if board is not None:
            row["board"] = {
                "day": board.day.isoformat(),
                **{name: getattr(board, name) for name in _BOARD},
            }
        return row

    def save(self) -> None:
        """Write the day's figures and the attempts that changed (a step hook)."""
        dialler = self.dialler
        for name in {*dialler.pacers, *dialler.board.days}:
            day = self.day_row(name)
            if self._days.get(name) != day:
                self._days[name] = day
                self._put_campaign(name)
        self._save_attempts()

    def save_models(self) -> None:
        """Write the learned models that grew (after each pacing round)."""
        for name, pacer in self.dialler.pacers.items():
            size = (
                len(pacer.ring),
                pacer.ring.total,
                len(pacer.cycles),
                pacer.cycles.total,
            )
            if self._models.get(name) != size:
                self._models[name] = size
                self._put_campaign(name)

    def _put_campaign(self, name: str) -> None:
        day = self._days.get(name) or self.day_row(name)
        pacer = self.dialler.pacers.get(name)
        model: dict[str, Any] = {}
        if pacer is not None:
            model = {
                "ring": pacer.ring.values(),
                "cycles": pacer.cycles.values(),
            }
        self.rows.put(CAMPAIGN, name, {**day, "model": model})

    def _save_attempts(self) -> None:
        # Only the attempts touched since the last save: a step costs what it changed.
        attempts = self.dialler.attempts
        now_trio = self.dialler.now()
        now_wall = self.wall()
        for call_id in self.dialler.touched:
            attempt = attempts.get(call_id)
            if attempt is None:
                if self._attempts.pop(call_id, None) is not None:
                    self.rows.delete(ATTEMPT, call_id)
                continue
            row = {
                "campaign": attempt.campaign,
                "record": attempt.record_id,
                "status": attempt.standing.status,
                "dialledAt": now_wall - (now_trio - attempt.dialled_at),
                "handed": attempt.handed,
                "failedCause": attempt.failed_cause,
                "agent": attempt.agent,
                "disposition": attempt.disposition,
                "previousDisposition": attempt.previous_disposition,
                "callback": (
                    None
                    if attempt.callback is None
                    else [attempt.callback[0].isoformat(), attempt.callback[1]]
                ),
            }
            old = self._attempts.get(call_id)
            # ``dialledAt`` is recomputed from two clocks: compare without it.
            if old is None or {**old, "dialledAt": 0} != {**row, "dialledAt": 0}:
                self._attempts[call_id] = row
                self.rows.put(ATTEMPT, call_id, row)

    # --------------------------------------------------------------- restore

    async def restore(self) -> None:
        """Put the stored figures, models and attempts back (before campaigns resume)."""
        dialler = self.dialler
        for name, row in self.rows.load(CAMPAIGN).items():
            try:
                self._restore_campaign(name, row)
            except (KeyError, ValueError, TypeError) as exc:
                log.error("live state: campaign %s not restored (%r): %s", name, exc, row)
        self._days = {name: self.day_row(name) for name in dialler.pacers}
        now = dialler.utcnow()
        kept: set[int] = set()
        for call_id, row in self.rows.load(ATTEMPT).items():
            try:
                record_id = int(row["record"])
                found = await dialler.read(store.record, str(row["campaign"]), record_id)
                if found is None:
                    self.rows.delete(ATTEMPT, call_id)
                    continue
                if not await self._restore_attempt(call_id, row, found, now):
                    self.rows.delete(ATTEMPT, call_id)
                    continue
                kept.add(record_id)
            except (KeyError, ValueError, TypeError) as exc:
                log.error("live state: campaign attempt %s not restored (%r)", call_id, exc)
        await self._reconcile(kept, now)
        restored = len(dialler.attempts)
        if dialler.pacers or restored:
            log.info(
                "live state: %d campaign(s)' figures and %d campaign call(s) restored",
                len(dialler.pacers),
                restored,
            )

    def _restore_campaign(self, name: str, row: dict[str, Any]) -> None:
        dialler = self.dialler
        pacer = Pacer()
        if "tally" in row:
            pacer.tally = _tally(row["tally"])
            pacer.total = _tally(row["total"])
            outcomes = row["outcomes"]
            pacer.outcomes = {key: int(outcomes.get(key, 0)) for key in pacer.outcomes}
        model = row.get("model") or {}
        pacer.ring = _samples(model.get("ring") or ())
        pacer.cycles = _samples(model.get("cycles") or ())
        # Agents on a campaign call are seen again at the first round (``Pacer.observe``
        # reads their busy time from the restored ACD): nothing to keep for them.
        dialler.pacers[name] = pacer
        board = row.get("board")
        if board is not None:
            dialler.board.days[name] = DayCounts(
                day=dt.date.fromisoformat(str(board["day"])),
                **{key: int(board[key]) for key in _BOARD},
            )
        self._models[name] = ()

    async def _restore_attempt(
        self, call_id: str, row: dict[str, Any], found: store.StoredRecord, now: dt.datetime
    ) -> bool:
        """Whether the attempt's call is still known (else its record is moved on now)."""
        dialler = self.dialler
        standing = attrs.evolve(found.standing, status=str(row["status"]))
        if dialler.call_facts(call_id) is None:
            callback = _callback(row.get("callback"))
            if callback is not None:
                await self._write_kept_callback(str(row["campaign"]), row, found, callback, now)
                return False
            # Left ``dialling``: the dialler's recovery (``claims.recover``) counts the
            # attempt with its call record's outcome when the campaign runs again.
            return False
        dialler.adopt(
            call_id,
            campaign=str(row["campaign"]),
            record_id=found.id,
            standing=standing,
            dialled_at=dialler.now() - max(0.0, self.wall() - float(row["dialledAt"])),
            handed=bool(row["handed"]),
            failed_cause=row.get("failedCause"),
            agent=row.get("agent"),
            disposition=row.get("disposition"),
            previous_disposition=row.get("previousDisposition"),
            callback=_callback(row.get("callback")),
        )
        self._attempts[call_id] = row
        return True

    async def _write_kept_callback(
        self,
        campaign: str,
        row: dict[str, Any],
        found: store.StoredRecord,
        callback: tuple[dt.datetime, str | None],
        now: dt.datetime,
    ) -> None:
        """A callback booked during a call that is gone now (its live-state row was not
        written): the attempt's end that would have written the booking never comes, and
        the recovery would count the record as a failed attempt and lose the booking. The
        booking wins, as at an attempt's end (``Dialler._write_ended``); the attempt counts."""
        at, agent = callback
        cause = row.get("failedCause")
        outcome = outcome_of(bool(row.get("handed")), cause if isinstance(cause, str) else None)
        standing = attrs.evolve(
            found.standing,
            status="callback",
            attempts=found.standing.attempts + 1,
            retries=0,
            next_attempt_at=at,
            last_outcome=outcome,
        )
        await self.dialler.read(
            partial(store.update_record, callback_agent=agent), found.id, standing, now
        )
        if agent is not None:
            self.dialler.callbacks.booked(campaign, found.id, at)
        log.info("live state: campaign %s record %d: its callback kept", campaign, found.id)

    async def _reconcile(self, kept: set[int], now: dt.datetime) -> None:
        """Records left ``dialling`` or ``preview`` by the previous run with no call now."""
        dialler = self.dialler
        left: list[tuple[str, store.StoredRecord]] = await dialler.read(store.records_in_flight)
        for campaign, found in left:
            if found.id in kept:
                continue
            if found.standing.status == "dialling":
                continue  # the dialler's recovery moves it on (``Dialler._recover``)
            # A preview the agent had not dialled: back to be dialled (a callback for
            # one agent stays that agent's).
            if found.callback_agent is not None:
                status = "callback"
            else:
                status = "new" if found.standing.attempts == 0 else "retry"
            back = attrs.evolve(found.standing, status=status)
            await dialler.read(store.update_record, found.id, back, now)
            log.info("live state: campaign %s record %d back to %s", campaign, found.id, status)


def _callback(value: Any) -> tuple[dt.datetime, str | None] | None:
    """A kept attempt's callback (``[ISO time, agent]``), or None."""
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], str):
        return None
    agent = value[1] if isinstance(value[1], str) else None
    return dt.datetime.fromisoformat(value[0]), agent
