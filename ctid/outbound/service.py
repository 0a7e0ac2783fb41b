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
from typing import Any

import trio

from ..structure import StructureError
from . import store
from .attempts import Standing
from .campaign_config import CampaignSpec, OutboundSettings, spec_from_api
from .csv_import import ListFormatError, ListImport, parse_list
from .dialler import Dialler
from .numbers import InvalidNumber, normalise

__all__ = ["CampaignError", "CampaignService"]

log = logging.getLogger(__name__)

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
            if spec.mode not in ("progressive", "predictive"):
                raise CampaignError(
                    "modeNotBuilt",
                    f"{spec.mode} dialling is not built yet: progressive and predictive run",
                )
            dialler.start(spec)
        elif state == "paused":
            dialler.pause(name, True)
        else:
            dialler.stop(name)
        await self._read(store.set_campaign_state, name, state, self.utcnow())
        return await self.get(name)

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
        return {
            "campaign": campaign,
            "record": record_id,
            "at": at.isoformat().replace("+00:00", "Z"),
            "agent": agent,
        }

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
        added = await self._read(store.dnc_add, scope, checked, note, self.utcnow())
        return {"list": scope, "added": added, "already": len(set(checked)) - added}

    async def dnc_remove(self, numbers: Sequence[str], campaign: str | None) -> dict[str, Any]:
        checked = _numbers(numbers)
        scope = await self._scope(campaign)
        removed = await self._read(store.dnc_remove, scope, checked)
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
        added = await self._read(store.dnc_add, scope, numbers, note, self.utcnow())
        return {
            "list": scope,
            "added": added,
            "already": len(numbers) - added,
            "problems": [p.to_wire() for p in parsed.problems],
            "duplicates": [{"line": a, "firstLine": b} for a, b in parsed.duplicates],
        }

    async def dnc_check(self, number: str) -> dict[str, Any]:
        checked = _numbers([number], "number")[0]
        lists = await self._read(store.dnc_check, checked)
        return {"number": checked, "listed": bool(lists), "lists": lists}


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
