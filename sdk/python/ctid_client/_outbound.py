"""Typed values of outbound calling (docs/outbound.md): outbound routing."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ._values import counts, field, items, optional, strings

__all__ = [
    "CallbackBooking",
    "CampaignInfo",
    "CampaignList",
    "CampaignSummary",
    "DncChange",
    "DncListing",
    "DncStatus",
    "ListImportResult",
    "ListProblem",
    "OutboundRouteChoice",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class OutboundRouteChoice:
    """``routing.test`` with ``direction: "outbound"``: what a call to an outside number
    would do now (nothing is dialled, round-robin hunting does not move)."""

    called_number: str
    #: The route that takes the number (``None``: none does, or no routes are configured).
    route: str | None
    trunk_group: str | None
    #: ``sequential``, ``round-robin`` or ``random``.
    hunt: str | None
    #: The digits the switch would be sent (``None``: the number cannot be dialled).
    dial: str | None
    #: The line the hunt takes now (``None``: every line is busy, or a random hunt).
    line: str | None
    free_lines: tuple[str, ...]
    reason: str

    @classmethod
    def from_wire(cls, data: Any, where: str = "routing.test") -> OutboundRouteChoice:
        return cls(
            called_number=field(data, "calledNumber", str, where),
            route=optional(data, "route", str, where),
            trunk_group=optional(data, "trunkGroup", str, where),
            hunt=optional(data, "hunt", str, where),
            dial=optional(data, "dial", str, where),
            line=optional(data, "line", str, where),
            free_lines=strings(data, "freeLines", where),
            reason=field(data, "reason", str, where),
        )


def _pairs(data: Any, key: str, first: str, second: str, where: str) -> tuple[tuple[Any, Any], ...]:
    return tuple(
        (field(item, first, int, f"{where}.{key}[]"), item.get(second))
        for item in items(data, key, where)
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignSummary:
    """One campaign in ``campaign.list``."""

    name: str
    mode: str
    queue: str
    #: ``stopped``, ``running``, ``paused`` or ``finished``.
    state: str
    #: ``config`` (``[[campaigns]]``) or ``api`` (``campaign.create``).
    source: str
    #: Records by status (``new``, ``retry``, ``callback``, ``done``, ``failed``, ``dnc``...).
    records: Mapping[str, int]

    @classmethod
    def from_wire(cls, data: Any, where: str = "campaign.list.campaigns[]") -> CampaignSummary:
        return cls(
            name=field(data, "name", str, where),
            mode=field(data, "mode", str, where),
            queue=field(data, "queue", str, where),
            state=field(data, "state", str, where),
            source=field(data, "source", str, where),
            records=counts(data, "records", where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignList:
    """One imported list of a campaign."""

    name: str
    number_column: str
    imported_at: str
    imported: int
    rejected: int
    records: Mapping[str, int]

    @classmethod
    def from_wire(cls, data: Any, where: str = "campaign.get.lists[]") -> CampaignList:
        return cls(
            name=field(data, "name", str, where),
            number_column=field(data, "numberColumn", str, where),
            imported_at=field(data, "importedAt", str, where),
            imported=field(data, "imported", int, where),
            rejected=field(data, "rejected", int, where),
            records=counts(data, "records", where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignInfo:
    """``campaign.get`` (and ``campaign.create``/``campaign.update``)."""

    #: The definition, lowerCamel keys as ``campaign.create`` takes them.
    campaign: Mapping[str, Any]
    state: str
    source: str
    records: Mapping[str, int]
    lists: tuple[CampaignList, ...]

    @property
    def name(self) -> str:
        return str(self.campaign["name"])

    @classmethod
    def from_wire(cls, data: Any, where: str = "campaign.get") -> CampaignInfo:
        return cls(
            campaign=MappingProxyType(dict(field(data, "campaign", dict, where))),
            state=field(data, "state", str, where),
            source=field(data, "source", str, where),
            records=counts(data, "records", where),
            lists=tuple(
                CampaignList.from_wire(x, f"{where}.lists[]") for x in items(data, "lists", where)
            ),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListProblem:
    """A row of a list left out: its line in the file (the header is line 1) and why."""

    line: int
    problem: str


def _problems(data: Any, where: str) -> tuple[ListProblem, ...]:
    return tuple(
        ListProblem(
            line=field(p, "line", int, f"{where}.problems[]"),
            problem=field(p, "problem", str, f"{where}.problems[]"),
        )
        for p in items(data, "problems", where)
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListImportResult:
    """``campaign.importList``."""

    campaign: str
    list: str
    imported: int
    problems: tuple[ListProblem, ...]
    #: (line, the line the number first appeared on).
    duplicates: tuple[tuple[int, int], ...]
    #: (line, number) of numbers already in another list of the campaign.
    already_listed: tuple[tuple[int, str], ...]
    records: Mapping[str, int]

    @classmethod
    def from_wire(cls, data: Any, where: str = "campaign.importList") -> ListImportResult:
        return cls(
            campaign=field(data, "campaign", str, where),
            list=field(data, "list", str, where),
            imported=field(data, "imported", int, where),
            problems=_problems(data, where),
            duplicates=_pairs(data, "duplicates", "line", "firstLine", where),
            already_listed=_pairs(data, "alreadyListed", "line", "number", where),
            records=counts(data, "records", where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CallbackBooking:
    """``campaign.scheduleCallback``."""

    campaign: str
    record: int
    #: UTC, ISO 8601.
    at: str
    #: The agent it is offered to (``None``: any agent of the campaign).
    agent: str | None

    @classmethod
    def from_wire(cls, data: Any, where: str = "campaign.scheduleCallback") -> CallbackBooking:
        return cls(
            campaign=field(data, "campaign", str, where),
            record=field(data, "record", int, where),
            at=field(data, "at", str, where),
            agent=optional(data, "agent", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class DncChange:
    """``dnc.add``, ``dnc.remove`` and ``dnc.import``: which list (``*``: the global one)
    and how many numbers changed."""

    list: str
    added: int = 0
    #: Numbers that were on the list already (add, import).
    already: int = 0
    removed: int = 0
    problems: tuple[ListProblem, ...] = ()
    duplicates: tuple[tuple[int, int], ...] = ()

    @classmethod
    def from_wire(cls, data: Any, where: str = "dnc") -> DncChange:
        return cls(
            list=field(data, "list", str, where),
            added=data.get("added", 0),
            already=data.get("already", 0),
            removed=data.get("removed", 0),
            problems=_problems(data, where) if "problems" in data else (),
            duplicates=_pairs(data, "duplicates", "line", "firstLine", where)
            if "duplicates" in data
            else (),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class DncListing:
    """One do-not-call list a number is on."""

    #: ``*`` (the global list) or a campaign's name.
    scope: str
    added_at: str
    note: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class DncStatus:
    """``dnc.check``."""

    #: The number as ctid keeps it (normalised).
    number: str
    listed: bool
    lists: tuple[DncListing, ...]

    @classmethod
    def from_wire(cls, data: Any, where: str = "dnc.check") -> DncStatus:
        return cls(
            number=field(data, "number", str, where),
            listed=field(data, "listed", bool, where),
            lists=tuple(
                DncListing(
                    scope=field(x, "scope", str, f"{where}.lists[]"),
                    added_at=field(x, "addedAt", str, f"{where}.lists[]"),
                    note=field(x, "note", str, f"{where}.lists[]"),
                )
                for x in items(data, "lists", where)
            ),
        )
