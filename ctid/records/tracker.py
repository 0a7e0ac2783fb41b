"""Following calls through their CSTA events, for their call detail records. Pure.

The call model tells clients everything that happens to a call as CSTA events;
``CallTracker`` folds those same events into what a record needs and the
``CallEnded`` notice does not carry: each party's stint (leg) with its answer,
hold and end, who answered first, whether the call was transferred or
conferenced, whether the caller gave up while a phone rang, and the last
failure cause. ``build_record`` then combines a call's track, its notice and
its facts into a ``CallClose`` op.

No trio, no I/O: the records service feeds it events (``observe``) and
notices (``finish``) in the order the model produced them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .. import facts as f
from ..calls.events import (
    CallClearedEvent,
    ConferencedEvent,
    ConnectionClearedEvent,
    CstaEvent,
    DeliveredEvent,
    DivertedEvent,
    EstablishedEvent,
    FailedEvent,
    HeldEvent,
    OriginatedEvent,
    QueuedEvent,
    RetrievedEvent,
    ServiceInitiatedEvent,
    TransferredEvent,
)
from ..calls.notices import CallEnded
from .disposition import CallOutcome, disposition
from .ops import CallClose, LegRecord

__all__ = ["CallTrack", "CallTracker", "LegTrack", "build_record"]

#: Device kinds (``DeviceType`` values).
ROUTE_POINT = "routePoint"
EXTENSION = "extension"


@attrs.define
class LegTrack:
    """One party's stint in a call, as it happens."""

    device: str
    kind: str
    trunk: str | None
    joined_at: float
    answered_at: float | None = None
    alerting: bool = False
    held_since: float | None = None
    hold_seconds: float = 0.0
    ended_at: float | None = None
    end_cause: str | None = None
    failed: bool = False

    def end(self, at: float, cause: str) -> None:
        if self.ended_at is not None:
            return
        if self.held_since is not None:
            self.hold_seconds += at - self.held_since
            self.held_since = None
        self.ended_at = at
        self.end_cause = cause
        self.alerting = False

    def record(self, ended_at: float) -> LegRecord:
        return LegRecord(
            device=self.device,
            kind=self.kind,
            trunk=self.trunk,
            joined_at=self.joined_at,
            answered_at=self.answered_at,
            ended_at=self.ended_at if self.ended_at is not None else ended_at,
            hold_seconds=self.hold_seconds,
            end_cause=self.end_cause or "normalClearing",
            failed=self.failed,
        )


@attrs.define
class CallTrack:
    call_id: str
    calling_device: str
    legs: list[LegTrack] = attrs.field(factory=list)
    #: Device -> its current (not ended) leg.
    active: dict[str, LegTrack] = attrs.field(factory=dict)
    person_answered_at: float | None = None
    answered_by: str | None = None
    transferred: bool = False
    conferenced: bool = False
    merged_into: str | None = None
    abandoned_while_ringing: bool = False
    saw_ringing: bool = False
    failure_cause: str | None = None

    @property
    def hold_seconds(self) -> float:
        return sum(leg.hold_seconds for leg in self.legs)


class CallTracker:
    """Tracks every call that is in progress; see the module docstring.

    ``kind_of(device)`` says what a device is (``extension``, ``external``,
    ``routePoint``); ``trunk_of(call_id, device)`` which trunk line a party's
    leg uses, if any. Both read the call model, which is current when an event
    is observed.
    """

    def __init__(
        self,
        *,
        kind_of: Callable[[str], str],
        trunk_of: Callable[[str, str], str | None],
    ) -> None:
        self.kind_of = kind_of
        self.trunk_of = trunk_of
        self.calls: dict[str, CallTrack] = {}

    def track(self, call_id: str, calling_device: str) -> CallTrack:
        """The call's track, started if it is new."""
        track = self.calls.get(call_id)
        if track is None:
            track = self.calls[call_id] = CallTrack(call_id=call_id, calling_device=calling_device)
        return track

    def join(self, call_id: str, device: str, at: float) -> None:
        """A party already in the call when the tracker first saw it (the caller of an
        inbound call has no event of its own)."""
        track = self.calls.get(call_id)
        if track is not None:
            self._leg(track, device, at)

    def _leg(self, track: CallTrack, device: str, at: float, kind: str | None = None) -> LegTrack:
        leg = track.active.get(device)
        if leg is None:
            leg = LegTrack(
                device=device,
                kind=kind or self.kind_of(device),
                trunk=self.trunk_of(track.call_id, device),
                joined_at=at,
            )
            track.legs.append(leg)
            track.active[device] = leg
        return leg

    def _end(self, track: CallTrack, device: str, at: float, cause: str) -> None:
        leg = track.active.pop(device, None)
        if leg is None:
            return
        if (
            device == track.calling_device
            and track.person_answered_at is None
            and any(other.alerting for other in track.active.values())
        ):
            track.abandoned_while_ringing = True
        leg.end(at, cause)

    def observe(self, event: CstaEvent, at: float) -> None:
        """Fold in one CSTA event of a call this tracker knows (others are ignored)."""
        match event:
            case ServiceInitiatedEvent():
                track = self.calls.get(event.initiated_connection.call_id)
                if track is not None:
                    self._leg(track, event.initiating_device, at)
            case OriginatedEvent():
                track = self.calls.get(event.originated_connection.call_id)
                if track is not None:
                    self._leg(track, event.calling_device, at)
            case DeliveredEvent():
                track = self.calls.get(event.connection.call_id)
                if track is not None:
                    leg = self._leg(track, event.alerting_device, at)
                    if leg.answered_at is None and leg.kind != ROUTE_POINT:
                        leg.alerting = True
                        track.saw_ringing = True
            case QueuedEvent():
                track = self.calls.get(event.queued_connection.call_id)
                if track is not None:
                    self._leg(track, event.queue, at, ROUTE_POINT)
            case EstablishedEvent():
                track = self.calls.get(event.established_connection.call_id)
                if track is not None:
                    self._answered(track, event.answering_device, at)
            case HeldEvent():
                track = self.calls.get(event.held_connection.call_id)
                held = track.active.get(event.holding_device) if track else None
                if held is not None and held.held_since is None:
                    held.held_since = at
            case RetrievedEvent():
                track = self.calls.get(event.retrieved_connection.call_id)
                back = track.active.get(event.retrieving_device) if track else None
                if back is not None and back.held_since is not None:
                    back.hold_seconds += at - back.held_since
                    back.held_since = None
            case ConnectionClearedEvent():
                track = self.calls.get(event.dropped_connection.call_id)
                if track is not None:
                    self._end(track, event.releasing_device, at, event.cause.value)
            case FailedEvent():
                track = self.calls.get(event.failed_connection.call_id)
                if track is not None:
                    leg = self._leg(track, event.failing_device, at)
                    leg.failed = True
                    track.failure_cause = event.cause.value
                    track.active.pop(event.failing_device, None)
                    leg.end(at, event.cause.value)
            case DivertedEvent():
                track = self.calls.get(event.connection.call_id)
                if track is not None:
                    self._end(track, event.diverting_device, at, event.cause.value)
            case TransferredEvent():
                self._transferred(event, at)
            case ConferencedEvent():
                self._conferenced(event, at)
            case CallClearedEvent():
                track = self.calls.get(event.cleared_call)
                if track is not None:
                    for device in list(track.active):
                        self._end(track, device, at, event.cause.value)
            case _:
                pass

    def _answered(self, track: CallTrack, device: str, at: float) -> None:
        leg = self._leg(track, device, at)
        leg.alerting = False
        if leg.answered_at is None:
            leg.answered_at = at
        if leg.kind != ROUTE_POINT and track.person_answered_at is None:
            track.person_answered_at = at
            track.answered_by = device

    def _move(self, source: CallTrack, target: CallTrack, device: str, at: float) -> None:
        """A party moved from ``source`` into ``target`` (transfer, conference)."""
        old = source.active.pop(device, None)
        if old is not None:
            old.end(at, "merged")
        if device in target.active:
            return
        leg = self._leg(target, device, at)
        if old is not None and old.answered_at is not None:
            leg.answered_at = at
            if leg.kind != ROUTE_POINT and target.person_answered_at is None:
                target.person_answered_at = at
                target.answered_by = device
        elif old is not None and old.alerting:
            leg.alerting = True

    def _transferred(self, event: TransferredEvent, at: float) -> None:
        primary = self.calls.get(event.primary_old_call)
        secondary = self.calls.get(event.secondary_old_call) if event.secondary_old_call else None
        cause = event.cause.value
        if primary is not None:
            primary.transferred = True
            self._leave(primary, event.transferring_device, at, cause)
        if secondary is not None:
            secondary.transferred = True
            secondary.merged_into = event.primary_old_call
            self._leave(secondary, event.transferring_device, at, cause)
            if primary is not None:
                for pair in event.transferred_connections:
                    self._move(secondary, primary, pair.old_connection.device_id, at)

    def _conferenced(self, event: ConferencedEvent, at: float) -> None:
        primary = self.calls.get(event.primary_old_call)
        secondary = self.calls.get(event.secondary_old_call) if event.secondary_old_call else None
        device = event.conferencing_device
        if primary is not None:
            primary.conferenced = True
            leg = primary.active.get(device)
            if leg is not None and leg.held_since is not None:
                # Conferencing retrieves the held call without a RetrievedEvent.
                leg.hold_seconds += at - leg.held_since
                leg.held_since = None
        if secondary is not None:
            secondary.conferenced = True
            secondary.merged_into = event.primary_old_call
            self._leave(secondary, device, at, event.cause.value)
            if primary is not None:
                for pair in event.conference_connections:
                    if pair.old_connection.call_id == secondary.call_id:
                        self._move(secondary, primary, pair.old_connection.device_id, at)

    def _leave(self, track: CallTrack, device: str, at: float, cause: str) -> None:
        leg = track.active.pop(device, None)
        if leg is not None:
            leg.end(at, cause)

    def finish(self, call_id: str) -> CallTrack | None:
        """The call ended: forget it and return its track."""
        return self.calls.pop(call_id, None)


def _fact_time(facts: Mapping[str, Any], key: str) -> float | None:
    value = facts.get(key)
    return float(value) if isinstance(value, int | float) else None


def _fact_str(facts: Mapping[str, Any], key: str) -> str | None:
    value = facts.get(key)
    return str(value) if value is not None else None


def build_record(
    notice: CallEnded,
    track: CallTrack | None,
    *,
    wall: Callable[[float], float],
    node: str,
    run_id: str,
    dnis: str | None,
) -> CallClose:
    """The call detail record of a call that ended. ``wall`` turns trio times into epoch."""
    facts = notice.facts
    if track is None:
        track = CallTrack(call_id=notice.call_id, calling_device=notice.calling_device)
    ended = notice.ended_at
    queue = _fact_str(facts, f.FACT_QUEUE)
    queue_in = _fact_time(facts, f.FACT_QUEUE_ENTERED_AT)
    queue_out = _fact_time(facts, f.FACT_QUEUE_LEFT_AT)
    ivr_in = _fact_time(facts, f.FACT_IVR_ENTERED_AT)
    ivr_out = _fact_time(facts, f.FACT_IVR_LEFT_AT)
    queue_outcome = _fact_str(facts, f.FACT_QUEUE_OUTCOME)
    ivr_flow = _fact_str(facts, f.FACT_IVR_FLOW)
    ivr_exit = _fact_str(facts, f.FACT_IVR_EXIT)
    agent_id = _fact_str(facts, f.FACT_AGENT)
    hold = track.hold_seconds
    answered = track.person_answered_at
    talk = max(0.0, ended - answered - hold) if answered is not None else 0.0
    wait: float | None = None
    if queue_in is not None:
        wait = max(0.0, (queue_out if queue_out is not None else ended) - queue_in)
    merged_into = track.merged_into
    cause = notice.cause
    if cause.startswith("mergedInto:"):
        merged_into = merged_into or cause.partition(":")[2]
        cause = "merged"
    outcome = CallOutcome(
        person_answered=answered is not None,
        transferred=track.transferred,
        conferenced=track.conferenced,
        abandoned_while_ringing=track.abandoned_while_ringing,
        queued=queue is not None,
        queue_outcome=queue_outcome,
        agent=agent_id is not None,
        ivr=ivr_flow is not None,
        ivr_exit=ivr_exit,
        failure_cause=track.failure_cause,
        ringing_fact=f.FACT_RINGING_STARTED_AT in facts and not track.saw_ringing,
    )
    recordings = facts.get(f.FACT_RECORDINGS) or ()

    def w(t: float | None) -> float | None:
        return None if t is None else wall(t)

    return CallClose(
        call_id=notice.call_id,
        node=node,
        run_id=run_id,
        direction=notice.direction,
        caller=notice.calling_device,
        called=notice.called_device,
        dnis=dnis,
        trunk=notice.trunk,
        queue=queue,
        queue_outcome=queue_outcome,
        agent_id=agent_id,
        agent_device=_fact_str(facts, f.FACT_AGENT_DEVICE),
        answered_by=track.answered_by,
        ivr_flow=ivr_flow,
        ivr_exit=ivr_exit,
        started_at=wall(notice.created_at),
        answered_at=w(answered),
        ivr_entered_at=w(ivr_in),
        ivr_left_at=w(ivr_out),
        queue_entered_at=w(queue_in),
        queue_left_at=w(queue_out),
        ended_at=wall(ended),
        wait_seconds=wait,
        hold_seconds=hold,
        talk_seconds=talk,
        disposition=disposition(outcome).value,
        end_cause=cause,
        merged_into=merged_into,
        recording_ids=tuple(str(r) for r in recordings),
        correlator_data=notice.correlator_data,
        user_data=_jsonable(notice.user_data),
        facts=_jsonable(facts),
        legs=tuple(
            attrs.evolve(
                leg.record(ended),
                joined_at=wall(leg.joined_at),
                answered_at=w(leg.answered_at),
                ended_at=wall(leg.ended_at if leg.ended_at is not None else ended),
            )
            for leg in track.legs
        ),
    )


def _jsonable(value: Mapping[str, Any]) -> dict[str, Any]:
    """A copy that is sure to go through JSON (unknown values become strings)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        out[str(key)] = _json_value(item)
    return out


def _json_value(item: Any) -> Any:
    if item is None or isinstance(item, bool | int | float | str):
        return item
    if isinstance(item, Mapping):
        return _jsonable(item)
    if isinstance(item, list | tuple | set | frozenset):
        return [_json_value(x) for x in item]
    return str(item)
