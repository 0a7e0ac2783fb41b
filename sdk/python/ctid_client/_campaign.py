"""Campaigns from the agent's and the supervisor's side (docs/outbound.md): dispositions,
previews, ``report.campaign``, and typed readers of the ``campaign.*`` events."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from ._calls import Call
from ._records import Report
from ._values import counts, field, optional, optional_number, strings

if TYPE_CHECKING:
    from ._event import Event

__all__ = [
    "CAMPAIGN_EVENT_NAMES",
    "CampaignFigures",
    "CampaignPreview",
    "CampaignStateEvent",
    "DispositionResult",
    "PreviewDialled",
    "PreviewSkipped",
    "campaign_preview_dial",
    "campaign_preview_skip",
    "campaign_set_disposition",
    "report_campaign",
]

#: A campaign's run-state events (``CampaignStateEvent``).
CAMPAIGN_STATE_EVENTS: Final = frozenset(
    {"campaign.started", "campaign.paused", "campaign.stopped", "campaign.finished"}
)
#: Every campaign event: run states, ``campaign.figures`` and ``campaign.preview``.
CAMPAIGN_EVENT_NAMES: Final = CAMPAIGN_STATE_EVENTS | {"campaign.figures", "campaign.preview"}


def _check(event: Event, names: frozenset[str]) -> None:
    if event.name not in names:
        raise ValueError(f"{event.name} is not one of {', '.join(sorted(names))}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class DispositionResult:
    """``campaign.setDisposition``: where the record stands after the agent's code."""

    campaign: str
    record: int
    call_id: str
    disposition: str
    #: The record's state (``retry`` when a retry rule is named after the code).
    status: str
    #: ISO 8601, when the record is dialled again (``None``: not planned).
    next_attempt_at: str | None

    @classmethod
    def from_wire(cls, data: Any, where: str = "campaign.setDisposition") -> DispositionResult:
        return cls(
            campaign=field(data, "campaign", str, where),
            record=field(data, "record", int, where),
            call_id=field(data, "callID", str, where),
            disposition=field(data, "disposition", str, where),
            status=field(data, "status", str, where),
            next_attempt_at=optional(data, "nextAttemptAt", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class PreviewDialled:
    """``campaign.previewDial``: the call the agent's phone makes."""

    record: int
    call_id: str

    @classmethod
    def from_wire(cls, data: Any, where: str = "campaign.previewDial") -> PreviewDialled:
        return cls(
            record=field(data, "record", int, where), call_id=field(data, "callID", str, where)
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class PreviewSkipped:
    """``campaign.previewSkip``: the record ends ``skipped`` with the reason."""

    record: int
    status: str
    reason: str

    @classmethod
    def from_wire(cls, data: Any, where: str = "campaign.previewSkip") -> PreviewSkipped:
        return cls(
            record=field(data, "record", int, where),
            status=field(data, "status", str, where),
            reason=field(data, "reason", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignPreview:
    """The ``campaign.preview`` event: a record shown to the agent, to dial or skip."""

    campaign: str
    record: int
    number: str
    #: The record's list columns (the screen pop).
    data: Mapping[str, Any]
    agent_id: str
    #: A callback booked for this agent.
    callback: bool
    attempts: int
    timeout: float
    #: ``dial`` or ``skip``: what happens when ``timeout`` passes.
    timeout_action: str
    #: The codes ``campaign_set_disposition`` takes for the call.
    dispositions: tuple[str, ...]
    expires_at: str

    @classmethod
    def from_event(cls, event: Event) -> CampaignPreview:
        """Read a ``campaign.preview`` event; ``ValueError`` for another event."""
        _check(event, frozenset({"campaign.preview"}))
        p, where = event.params, event.name
        return cls(
            campaign=field(p, "campaign", str, where),
            record=field(p, "record", int, where),
            number=field(p, "number", str, where),
            data=MappingProxyType(dict(field(p, "data", dict, where))),
            agent_id=field(p, "agentID", str, where),
            callback=field(p, "callback", bool, where),
            attempts=field(p, "attempts", int, where),
            timeout=float(optional_number(p, "timeout", where) or 0.0),
            timeout_action=field(p, "timeoutAction", str, where),
            dispositions=strings(p, "dispositions", where),
            expires_at=field(p, "expiresAt", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignStateEvent:
    """``campaign.started``, ``.paused``, ``.stopped``, ``.finished``."""

    campaign: str
    #: ``running``, ``paused``, ``stopped`` or ``finished``.
    state: str
    mode: str | None
    queue: str | None

    @classmethod
    def from_event(cls, event: Event) -> CampaignStateEvent:
        _check(event, CAMPAIGN_STATE_EVENTS)
        p, where = event.params, event.name
        return cls(
            campaign=field(p, "campaign", str, where),
            state=field(p, "state", str, where),
            mode=optional(p, "mode", str, where),
            queue=optional(p, "queue", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignFigures:
    """The ``campaign.figures`` event: today's figures of a running campaign."""

    campaign: str
    #: The campaign's day (``YYYY-MM-DD`` in its time zone).
    day: str
    dialled: int
    #: Persons who answered (connected or abandoned).
    answered: int
    machines: int
    connected: int
    abandoned: int
    #: abandoned / answered.
    abandon_rate: float
    #: Agents of the campaign's queue by state.
    agents: Mapping[str, int]
    records_left: int
    in_flight: int

    @classmethod
    def from_event(cls, event: Event) -> CampaignFigures:
        _check(event, frozenset({"campaign.figures"}))
        p, where = event.params, event.name
        return cls(
            campaign=field(p, "campaign", str, where),
            day=field(p, "day", str, where),
            dialled=field(p, "dialled", int, where),
            answered=field(p, "answered", int, where),
            machines=field(p, "machines", int, where),
            connected=field(p, "connected", int, where),
            abandoned=field(p, "abandoned", int, where),
            abandon_rate=float(optional_number(p, "abandonRate", where) or 0.0),
            agents=counts(p, "agents", where),
            records_left=field(p, "recordsLeft", int, where),
            in_flight=field(p, "inFlight", int, where),
        )


# -------------------------------------------------------------------- methods


def campaign_set_disposition(
    disposition: str,
    *,
    call_id: str | None = None,
    record: int | None = None,
    timeout: float | None = None,
) -> Call[DispositionResult]:
    """``campaign.setDisposition``: give the campaign call (``call_id``, or ``record``'s
    latest) a disposition code from the campaign's list."""
    params: dict[str, Any] = {"disposition": disposition}
    if call_id is not None:
        params["callID"] = call_id
    if record is not None:
        params["record"] = record
    return Call(
        method="campaign.setDisposition",
        params=params,
        parse=DispositionResult.from_wire,
        timeout=timeout,
    )


def campaign_preview_dial(record: int, *, timeout: float | None = None) -> Call[PreviewDialled]:
    """``campaign.previewDial``: the agent's phone calls the record on preview."""
    return Call(
        method="campaign.previewDial",
        params={"record": record},
        parse=PreviewDialled.from_wire,
        timeout=timeout,
    )


def campaign_preview_skip(
    record: int, reason: str, *, timeout: float | None = None
) -> Call[PreviewSkipped]:
    """``campaign.previewSkip``: skip the record on preview, with a reason (1-32 chars)."""
    return Call(
        method="campaign.previewSkip",
        params={"record": record, "reason": reason},
        parse=PreviewSkipped.from_wire,
        timeout=timeout,
    )


def report_campaign(
    campaign: str, from_: str, to: str, *, timeout: float | None = None
) -> Call[Report]:
    """``report.campaign``: attempts, outcomes, contacts, dispositions, abandon rate, agent
    occupancy, contacts per agent hour and list penetration over ``[from_, to)``."""
    return Call(
        method="report.campaign",
        params={"campaign": campaign, "from": from_, "to": to},
        parse=lambda r: Report.from_wire(r, "report.campaign"),
        timeout=timeout,
    )
