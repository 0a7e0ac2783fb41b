"""What a restart does with the faxes the last run left: a part of ``FaxService``.

Faxes that waited for a line are resumed (``recover.py``). A fax on a line is
kept in the live state (``keep.py``); after a restart (or a takeover) whose call
is still up on the switch it goes on, and the switch's result is taken as if
nothing happened. Only a fax whose call is gone is closed ``interrupted``; one
taken back whose call then ends without a result (a switch that lost track of it
across the restart) is closed ``interrupted`` ``RESULT_GRACE`` seconds later.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import trio

from ..calls.model import CallModel
from ..calls.states import ConnectionState
from ..facts import FACT_FAXES
from . import keep, recover, store
from .model import ActiveFax, from_row

if TYPE_CHECKING:
    from ..records.service import RecordsService

__all__ = ["RESULT_GRACE", "FaxResume"]

log = logging.getLogger(__name__)

#: Seconds a fax taken back after a restart waits for the switch's result once its
#: call has ended, before it is closed as interrupted.
RESULT_GRACE: Final = 10.0


class FaxResume:
    """Restart handling, mixed into ``FaxService`` (whose attributes it uses)."""

    active: dict[str, ActiveFax]
    by_call: dict[str, str]
    waiting: deque[str]
    line_calls: set[str]
    model: CallModel
    records: RecordsService
    rows: Any

    if TYPE_CHECKING:

        def _write(self, fn: Callable[..., Any], *args: Any) -> None: ...

        def _close(
            self,
            af: ActiveFax,
            state: str,
            code: int | None,
            text: str,
            *,
            extra: dict[str, Any] | None = None,
        ) -> None: ...

        def _pump(self) -> None: ...

        def _answered(self, af: ActiveFax, call_id: str) -> None: ...

    def _keep(self, af: ActiveFax) -> None:
        """Put a fax on a line in the live state; take out one that is not (any more)."""
        if self.rows is None:
            return
        if af.state in keep.ON_A_LINE and self.active.get(af.fax_id) is af:
            self.rows.put(keep.KIND, af.fax_id, keep.to_row(af))
        else:
            self.rows.delete(keep.KIND, af.fax_id)

    def keep_in(self, rows: Any) -> None:
        """Keep faxes on a line in ``rows`` (``ctid.livestate.store.LiveStore``)."""
        self.rows = rows

    async def _result_or_interrupted(self, af: ActiveFax) -> None:
        """A fax taken back after a restart whose call ended: its result, or interrupted."""
        await trio.sleep(RESULT_GRACE)
        if self.active.get(af.fax_id) is af:
            self._close(af, "failed", None, recover.INTERRUPTED, extra={"willRetry": False})

    async def _recover(self) -> None:
        """Resume or close what the last run left unfinished (``recover.py``)."""
        try:
            rows = await self.records.read(store.unfinished)
        except Exception as exc:  # the database is down: the next start tries again
            log.error("fax: cannot read the faxes the last run left: %r", exc)
            return
        found = recover.plan(rows)
        kept = self.rows.load(keep.KIND) if self.rows is not None else {}
        for row in found.resume:
            af = from_row(row)
            self.active[af.fax_id] = af
            self.waiting.append(af.fax_id)
        on_line = 0
        for row in found.interrupted:
            if self._take_back(kept.pop(row["fax_id"], None)):
                on_line += 1
                continue
            af = from_row(row)
            self.active[af.fax_id] = af
            self._close(af, "failed", None, recover.INTERRUPTED, extra={"willRetry": False})
        for fax_id in kept:  # finished meanwhile (the row said so first)
            self.rows.delete(keep.KIND, fax_id)
        if found.resume or found.interrupted:
            log.warning(
                "fax: of the last run's faxes, %d resumed waiting, %d go on on their call, "
                "%d closed as interrupted",
                len(found.resume),
                on_line,
                len(found.interrupted) - on_line,
            )
        self._pump()

    def _take_back(self, row: dict[str, Any] | None) -> bool:
        """A fax kept on a line (``keep.py``) whose call is still up goes on."""
        if row is None:
            return False
        try:
            af = keep.from_row(row)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("live state: fax not restored (%r)", exc)
            return False
        progress = getattr(self.records, "progress", None)
        renamed = {k.record_id: cid for cid, k in getattr(progress, "kept", {}).items()}
        call_id = renamed.get(af.call_id or "", af.call_id)
        call = self.model.calls.get(call_id) if call_id is not None else None
        if call is None or call_id is None or call_id in self.by_call:
            return False
        if call_id in self.model.ended_while_down:
            return False  # put back only to be cleared: its channels are gone
        af.call_id = call_id
        af.restored = True
        self.active[af.fax_id] = af
        self.by_call[call_id] = af.fax_id
        faxes: list[str] = call.facts.setdefault(FACT_FAXES, [])
        if af.fax_id not in faxes:
            faxes.append(af.fax_id)
        if af.direction == "out" and not af.in_ivr:
            self.line_calls.add(call_id)
        self._write(store.update_fax, af.fax_id, {"state": af.state, "call_id": call_id})
        self._keep(af)
        log.info("live state: fax %s on call %s goes on", af.fax_id, call_id)
        if af.state == "dialing" and af.remote in call.connections:
            conn = call.connections[af.remote]
            if conn.state is ConnectionState.CONNECTED:  # answered while ctid was down
                self._answered(af, call_id)
        return True
