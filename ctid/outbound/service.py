"""Campaigns in the daemon: definitions, lists, do-not-call numbers and callbacks.

``CampaignService`` is the owner of campaign data at run time. Every
database call goes through the records service's reader threads
(``RecordsService.read``), so campaigns need call records on
(``[records] enabled``). The dialler modes build on it (``ctid.outbound``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any, Final

import trio

from ..structure import StructureError
from . import dispositions, store
from .attempts import Standing
from .campaign_config import CampaignSpec, OutboundSettings, spec_from_api
from .csv_import import ListFormatError, ListImport, parse_list
from .dialler import Dialler
from .numbers import InvalidNumber, normalise
from .preview import PreviewDesk, PreviewError

__all__ = ["CampaignError", "CampaignService"]

log = logging.getLogger(__name__)

#: Dialling modes that run (``campaign.setState running``).
BUILT_MODES: Final = frozenset({"progressive", "preview", "agentless", "predictive"})

Reader = Callable[..., Awaitable[Any]]


class CampaignError(Exception):
    """A campaign request that cannot be done; ``reason`` is a stable word for clients."""

    def __init__(self, reason: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details


class CampaignService:
    """Campaign definitions, lists, DNC and callbacks; see the module docstring."""

    def __init__(
        self,
        *,
        read: Reader,
        now: Callable[[], float],
        settings: OutboundSettings,
        configured: Sequence[CampaignSpec] = (),
        queues: Callable[[], Sequence[str]] = lambda: (),
    ) -> None:
        self._read = read
        self._now = now
        self.settings = settings
        self.configured = tuple(configured)
        #: The ACD's queue names (a campaign's queue must be one of them).
        self._queues = queues
        self.ready = trio.Event()
        #: Campaign -> its queue, for access checks that cannot wait for the database.
        self.campaign_queues: dict[str, str] = {}
        #: ``[ivr] numbers`` (number -> flow): agentless campaigns send calls to a flow.
        self.ivr_numbers: dict[str, str] = {}

    @property
    def read(self) -> Reader:
        """How blocking store calls run (the records service's reader threads)."""
        return self._read

    def utcnow(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._now(), dt.UTC)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Write the configured campaigns (the file's definition wins), then serve."""
        now = self.utcnow()
        for spec in self.configured:
            await self._read(store.upsert_config_campaign, spec.name, spec.to_wire(), now)
        rows: list[store.CampaignRow] = await self._read(store.campaign_rows)
        for row in rows:
            self.campaign_queues[row.name] = str(row.spec.get("queue"))
        self.ready.set()
        task_status.started()
        await trio.sleep_forever()

    # ------------------------------------------------------------- run state

    #: Set by the daemon when the ACD and calls are there to dial with.
    dialler: Dialler | None = None

    async def set_state(self, name: str, state: str) -> dict[str, Any]:
        """``running``, ``paused`` or ``stopped``: start, pause, resume or stop dialling."""
        spec = await self.spec(name)
        dialler = self.dialler
        if dialler is None:
            raise CampaignError("noDialler", "dialling needs the ACD ([acd]) and call records")
        if state == "running":
            if spec.mode not in BUILT_MODES:
                raise CampaignError(
                    "modeNotBuilt",
                    f"{spec.mode} dialling is not built yet: "
                    f"{', '.join(sorted(BUILT_MODES))} campaigns run",
                )
            dialler.blend.back(name)
            dialler.start(spec)
        else:
            if state == "paused":
                dialler.pause(name, True)
            else:
                dialler.stop(name)
            # The agents it holds go back at once, its previews too (a pause as a stop).
            if dialler.previews is not None:
                await dialler.previews.withdraw(name)
            dialler.sync()
        await self._read(store.set_campaign_state, name, state, self.utcnow())
        dialler.board.state(name, state, spec.to_wire())
        return await self.get(name)

    def _dialler(self) -> Dialler:
        if self.dialler is None:
            raise CampaignError("noDialler", "dialling needs the ACD ([acd]) and call records")
        return self.dialler

    # ------------------------------------------------------------ dispositions

    async def set_disposition(
        self,
        call_id: str | None,
        record_id: int | None,
        code: str,
        agent: str | None,
        *,
        check: Callable[[str], None] = lambda queue: None,
    ) -> dict[str, Any]:
        """The agent ``agent`` (None: a supervisor or admin) gives a campaign call its
        disposition; ``check`` may refuse by the campaign's queue before anything changes."""
        dialler = self._dialler()
        # The record is read below: outcomes written behind must be in it first.
        await dialler.writer.flush()
        attempt = None
        live = False
        if call_id is not None:
            attempt = dialler.live_attempt(call_id)
            live = attempt is not None
            attempt = attempt or dialler.recent.get(call_id)
            if attempt is None:
                attempt = await self._read(dispositions.attempt_of_call, call_id)
        else:
            assert record_id is not None
            attempt = dialler.live_attempt_of_record(record_id)
            live = attempt is not None
            attempt = attempt or dialler.recent_attempt_of_record(record_id)
            if attempt is None:
                attempt = await self._read(dispositions.last_attempt_of_record, record_id)
        if attempt is None:
            what = f"call {call_id}" if call_id is not None else f"record {record_id}"
            raise CampaignError("noSuchAttempt", f"{what} is no campaign call")
        if agent is not None and attempt.agent != agent:
            raise CampaignError(
                "notYourCall",
                f"call {attempt.call_id} of record {attempt.record} was not agent {agent}'s",
            )
        spec = await self.spec(attempt.campaign)
        check(spec.queue)
        if code not in spec.dispositions:
            raise StructureError(
                "params.disposition",
                f"{code!r} is not a disposition of campaign {spec.name!r} "
                f"(its codes: {', '.join(spec.dispositions)})",
            )
        now = self.utcnow()
        found: store.StoredRecord | None = await self._read(
            store.record, attempt.campaign, attempt.record
        )
        assert found is not None
        standing = found.standing
        if live:
            dialler.dispose_live(attempt.call_id, code)
            await self._read(
                partial(store.update_record, disposition=code), attempt.record, standing, now
            )
        else:
            if attempt.outcome == "answered":
                standing = dispositions.after_disposition(
                    spec, standing, found.disposition, code, now
                )
            await self._read(
                partial(store.update_record, disposition=code), attempt.record, standing, now
            )
            await self._read(dispositions.set_call_disposition, attempt.call_id, code)
        return {
            "campaign": attempt.campaign,
            "record": attempt.record,
            "callID": attempt.call_id,
            "disposition": code,
            "status": standing.status,
            "nextAttemptAt": _iso(standing.next_attempt_at),
        }

    # ---------------------------------------------------------------- previews

    async def preview_dial(self, record_id: int, agent: str | None) -> dict[str, Any]:
        desk = self._desk()
        try:
            call_id = await desk.dial(record_id, agent)
        except PreviewError as exc:
            raise CampaignError(exc.reason, str(exc)) from None
        return {"record": record_id, "callID": call_id}

    async def preview_skip(self, record_id: int, agent: str | None, reason: str) -> dict[str, Any]:
        desk = self._desk()
        try:
            standing = await desk.skip(record_id, agent, reason)
        except PreviewError as exc:
            raise CampaignError(exc.reason, str(exc)) from None
        return {"record": record_id, "status": standing.status, "reason": reason}

    def _desk(self) -> PreviewDesk:
        desk = self._dialler().previews
        if desk is None:
            raise CampaignError("noDialler", "previews need the ACD ([acd])")
        return desk

    # ------------------------------------------------------------ definitions

    def _check_queue(self, spec: CampaignSpec, path: str) -> None:
        queues = list(self._queues())
        if spec.queue not in queues:
            raise StructureError(
                f"{path}.queue",
                f"no queue {spec.queue!r} (queues: {', '.join(queues) or 'none'})",
            )

    async def create(self, spec: CampaignSpec) -> dict[str, Any]:
        self._check_queue(spec, "params")
        created = await self._read(
            partial(store.save_campaign, create=True),
            spec.name,
            spec.to_wire(),
            "api",
            self.utcnow(),
        )
        if not created:
            raise CampaignError(
                "campaignExists", f"campaign {spec.name!r} exists: use campaign.update"
            )
        self.campaign_queues[spec.name] = spec.queue
        return await self.get(spec.name)

    async def update(self, name: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        row = await self._row(name)
        if "name" in changes and changes["name"] != name:
            raise StructureError("params.changes.name", "a campaign cannot be renamed")
        merged = {**row.spec, **changes, "name": name}
        spec = spec_from_api(merged, "params.changes")
        self._check_queue(spec, "params.changes")
        await self._read(
            partial(store.save_campaign, create=False),
            name,
            spec.to_wire(),
            row.source,
            self.utcnow(),
        )
        self.campaign_queues[name] = spec.queue
        if self.dialler is not None and name in self.dialler.runs:
            # Pacing limits, windows, retries... apply from the next pacing round.
            self.dialler.runs[name].spec = spec
        return await self.get(name)

    async def _row(self, name: str) -> store.CampaignRow:
        row: store.CampaignRow | None = await self._read(store.campaign_row, name)
        if row is None:
            raise CampaignError("noSuchCampaign", f"no campaign {name!r}")
        return row

    async def spec(self, name: str) -> CampaignSpec:
        row = await self._row(name)
        return spec_from_api(row.spec)

    async def get(self, name: str) -> dict[str, Any]:
        row = await self._row(name)
        return {
            "campaign": dict(row.spec),
            "state": row.state,
            "source": row.source,
            "records": await self._read(store.record_counts, name),
            "lists": await self._read(store.list_counts, name),
        }

    async def list(self) -> list[dict[str, Any]]:
        rows: list[store.CampaignRow] = await self._read(store.campaign_rows)
        out = []
        for row in rows:
            out.append(
                {
                    "name": row.name,
                    "mode": row.spec.get("mode"),
                    "queue": row.spec.get("queue"),
                    "state": row.state,
                    "source": row.source,
                    "records": await self._read(store.record_counts, row.name),
                }
            )
        return out

    # ------------------------------------------------------------------ lists

    async def import_list(
        self, campaign: str, list_name: str, number_column: str, text: str
    ) -> dict[str, Any]:
        await self._row(campaign)
        try:
            parsed: ListImport = await self._read(_parse, text, number_column)
        except ListFormatError as exc:
            raise CampaignError("badList", str(exc)) from None
        result: store.ImportResult | None = await self._read(
            store.import_list, campaign, list_name, number_column, parsed, self.utcnow()
        )
        if result is None:
            raise CampaignError(
                "listExists", f"campaign {campaign!r} already has a list {list_name!r}"
            )
        return {
            "campaign": campaign,
            "list": list_name,
            "imported": result.imported,
            "problems": [p.to_wire() for p in parsed.problems],
            "duplicates": [{"line": a, "firstLine": b} for a, b in parsed.duplicates],
            "alreadyListed": [{"line": a, "number": n} for a, n in result.already_listed],
            "records": await self._read(store.record_counts, campaign),
        }

    # -------------------------------------------------------------- callbacks

    async def schedule_callback(
        self, record_id: int, at: dt.datetime, agent: str | None
    ) -> dict[str, Any]:
        if self.dialler is not None:
            campaign_up = self.dialler.book_callback_live(record_id, at, agent)
            if campaign_up is not None:
                return _booked(campaign_up, record_id, at, agent)
            await self.dialler.writer.flush()  # outcomes written behind first
        found = await self._read(_record_anywhere, record_id)
        if found is None:
            raise CampaignError("noSuchRecord", f"no campaign record {record_id}")
        campaign, stored = found
        standing = Standing(
            number=stored.standing.number,
            data=stored.standing.data,
            status="callback",
            attempts=stored.standing.attempts,
            retries=0,
            next_attempt_at=at,
            last_outcome=stored.standing.last_outcome,
        )
        await self._read(
            partial(store.update_record, disposition=stored.disposition, callback_agent=agent),
            record_id,
            standing,
            self.utcnow(),
        )
        if self.dialler is not None and agent is not None:
            self.dialler.callbacks.booked(campaign, record_id, at)
        elif self.dialler is not None:
            # A callback for any agent is a due record: the campaign's batch in memory
            # (``due.DueQueue``, up to 15 s old) does not hold it, so read a new one at the
            # next round rather than dial the batch's records before it.
            self.dialler.picker.due.pop(campaign, None)
        if self.dialler is not None and self.dialler.previews is not None:
            self.dialler.previews.callbacks_changed()
        return _booked(campaign, record_id, at, agent)

    # ------------------------------------------------------------ do not call

    async def _scope(self, campaign: str | None) -> str:
        if campaign is None:
            return store.GLOBAL_DNC
        await self._row(campaign)
        return campaign

    async def dnc_add(
        self, numbers: Sequence[str], campaign: str | None, note: str
    ) -> dict[str, Any]:
        checked = _numbers(numbers)
        scope = await self._scope(campaign)
        try:
            added = await self._read(store.dnc_add, scope, checked, note, self.utcnow())
        finally:
            self._dnc_changed()
        return {"list": scope, "added": added, "already": len(set(checked)) - added}

    async def dnc_remove(self, numbers: Sequence[str], campaign: str | None) -> dict[str, Any]:
        checked = _numbers(numbers)
        scope = await self._scope(campaign)
        try:
            removed = await self._read(store.dnc_remove, scope, checked)
        finally:
            self._dnc_changed()
        return {"list": scope, "removed": removed}

    async def dnc_import(
        self, text: str, number_column: str, campaign: str | None, note: str
    ) -> dict[str, Any]:
        scope = await self._scope(campaign)
        try:
            parsed: ListImport = await self._read(_parse, text, number_column)
        except ListFormatError as exc:
            raise CampaignError("badList", str(exc)) from None
        numbers = [row.number for row in parsed.rows]
        try:
            added = await self._read(store.dnc_add, scope, numbers, note, self.utcnow())
        finally:
            self._dnc_changed()
        return {
            "list": scope,
            "added": added,
            "already": len(numbers) - added,
            "problems": [p.to_wire() for p in parsed.problems],
            "duplicates": [{"line": a, "firstLine": b} for a, b in parsed.duplicates],
        }

    def _dnc_changed(self) -> None:
        # After the write (done or not): a batch read before it is read again.
        if self.dialler is not None:
            self.dialler.dnc_changed()

    async def dnc_check(self, number: str) -> dict[str, Any]:
        checked = _numbers([number], "number")[0]
        lists = await self._read(store.dnc_check, checked)
        return {"number": checked, "listed": bool(lists), "lists": lists}


def _iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.isoformat().replace("+00:00", "Z")


def _parse(engine: Any, text: str, number_column: str) -> ListImport:
    # Runs in a reader thread (a big list takes a while to parse); ignores the engine.
    del engine
    return parse_list(text, number_column)


def _record_anywhere(engine: Any, record_id: int) -> tuple[str, store.StoredRecord] | None:
    import sqlalchemy as sa

    from ..records.schema import campaign_records

    with engine.connect() as conn:
        campaign = conn.execute(
            sa.select(campaign_records.c.campaign).where(campaign_records.c.id == record_id)
        ).scalar()
    if campaign is None:
        return None
    found = store.record(engine, campaign, record_id)
    return (campaign, found) if found is not None else None


def _numbers(numbers: Sequence[str], key: str = "numbers") -> list[str]:
    if not numbers:
        raise StructureError(f"params.{key}", "give at least one number")
    out = []
    for i, text in enumerate(numbers):
        try:
            out.append(normalise(text))
        except InvalidNumber as exc:
            path = f"params.{key}" if key == "number" else f"params.{key}[{i}]"
            raise StructureError(path, str(exc)) from None
    return out


def _booked(campaign: str, record_id: int, at: dt.datetime, agent: str | None) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "record": record_id,
        "at": at.isoformat().replace("+00:00", "Z"),
        "agent": agent,
    }
