"""Records offered to one agent: preview mode, and callbacks booked for an agent.

A preview reserves a ready agent of the campaign's queue (its state becomes
``reserved``, cause ``outboundReserved``), marks the record ``preview`` and
sends the agent ``campaign.preview`` with the record's data. The agent then
dials it (``campaign.previewDial``: its own phone calls the number, as a
MakeCall would, with the record's data as the call's ``userData``) or skips it
with a reason (``campaign.previewSkip``: the record ends ``skipped``, the
reason in its ``disposition``, and the agent is ready again). When the
campaign's ``preview_timeout`` passes first, ``preview_timeout_action`` says
which of the two happens (a skip's reason is then ``timeout``).

The same desk offers, in every mode, the callbacks booked with ``agentOnly``:
when one is due and its agent is ready, it is that agent's next preview (and
nobody else's). A callback booked for any agent is a due record like the
others: dialled for any agent (progressive) or previewed to any (preview).

The desk depends on the ACD and the calls through ``AgentDesk`` and
``PreviewCalls`` only (``ctid/outbound/install.py`` implements them).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, Final, Protocol

import attrs
import trio

from . import store
from .agent_callbacks import callback_agents_due
from .attempts import Standing, VerdictKind, verdict
from .blend import Blender
from .campaign_config import CampaignSpec

__all__ = ["PREVIEW_EVENT", "AgentDesk", "Preview", "PreviewCalls", "PreviewDesk", "PreviewError"]

log = logging.getLogger(__name__)

#: The event an agent receives with the record to preview.
PREVIEW_EVENT: Final = "campaign.preview"
#: Seconds between two look-ups of the callbacks booked for agents, in the dialling
#: modes (a callback comes due at most this late; booking one looks at once).
CALLBACKS_EVERY: Final = 5.0
#: The record's state while an agent previews it.
PREVIEWING: Final = "preview"
#: Records read to learn whether a blended campaign with no agent free has work due.
BLEND_LOOK_AHEAD: Final = 8

Reader = Callable[..., Any]
Publish = Callable[..., None]
CallbacksDue = Callable[[str, dt.datetime, list[str]], Awaitable[list[store.StoredRecord]]]
#: Whether a campaign's callbacks for one agent may be due (``callbook.CallbackBook.may_be_due``).
CallbacksMayBeDue = Callable[[str, dt.datetime], Awaitable[bool]]


class AgentDesk(Protocol):
    """What the desk needs of the ACD."""

    def ready_agents(self, queue: str) -> list[str]:
        """Ready agents of ``queue``, the longest ready first."""
        ...

    def reserve(self, agent_id: str, campaign: str, record: int) -> str | None:
        """Hold the agent for ``campaign``'s ``record``: a ready agent, or one the ACD gave the
        campaign (``blend``); its device (None: it is neither)."""
        ...

    def release(self, agent_id: str, campaign: str) -> None:
        """Let an agent ``campaign`` holds go back to ready (or its pending state)."""
        ...


class PreviewCalls(Protocol):
    def agent_dial(
        self, device: str, number: str, *, user_data: Mapping[str, Any], facts: Mapping[str, Any]
    ) -> str:
        """The agent's phone calls ``number`` (raises ``CstaError`` if it cannot); the call id."""
        ...


class PreviewError(Exception):
    """A preview request that cannot be done; ``reason`` as ``CampaignError``'s."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@attrs.define(eq=False)
class Preview:
    campaign: str
    stored: store.StoredRecord
    agent: str
    device: str
    callback: bool
    scope: trio.CancelScope = attrs.field(factory=trio.CancelScope)


class PreviewDesk:
    """The previews on offer, by record id; see the module docstring."""

    def __init__(
        self,
        *,
        read: Reader,
        agents: AgentDesk,
        calls: PreviewCalls,
        publish: Publish | None,
        utcnow: Callable[[], dt.datetime],
        zone_prefixes: Mapping[str, str],
        on_dialled: Callable[[str, Preview], None],
        blend: Blender | None = None,
        callbacks_due: CallbacksDue | None = None,
        callbacks_may_be_due: CallbacksMayBeDue | None = None,
    ) -> None:
        self._read = read
        #: How the agents' due callbacks are looked up (``callbook.CallbackBook.due``;
        #: default: the database at each look-up).
        self._callbacks_due = callbacks_due or partial(read, store.agent_callbacks_due)
        #: Whether to ask which agents a due callback claims (None: at every round).
        self._callbacks_may_be_due = callbacks_may_be_due
        self._agents = agents
        self._calls = calls
        self._publish = publish
        self._utcnow = utcnow
        self._zone_prefixes = zone_prefixes
        self._on_dialled = on_dialled
        self._blend = blend
        self.previews: dict[int, Preview] = {}
        self._nursery: trio.Nursery | None = None
        #: Campaign -> when its agents' callbacks were last looked up (trio seconds).
        self._callbacks_read: dict[str, float] = {}

    def callbacks_changed(self) -> None:
        """A callback was booked: look them up at the next round."""
        self._callbacks_read.clear()

    def attach(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery

    def busy_agents(self) -> set[str]:
        return {p.agent for p in self.previews.values()}

    def of_campaign(self, campaign: str) -> int:
        return sum(1 for p in self.previews.values() if p.campaign == campaign)

    # ---------------------------------------------------------------- offering

    async def round(self, spec: CampaignSpec, *, any_record: bool) -> None:
        """Offer due records to the campaign's ready agents, and to those the ACD gave it
        before an inbound call (``blend``): the callbacks booked for each first; then, with
        ``any_record`` (preview mode), the next due records. Agents given to it that get
        nothing go back when it has nothing due."""
        busy = self.busy_agents()
        blend = self._blend
        held = [a for a in blend.held_by(spec.name) if a not in busy] if blend else []
        if blend is not None and spec.priority > 0:
            # Callbacks booked for one agent claim it by priority too (``blend``).
            now = self._utcnow()
            agents: frozenset[str] = frozenset()
            may = self._callbacks_may_be_due
            if may is None or await may(spec.name, now):
                agents = await self._read(callback_agents_due, spec.name, now)
            blend.seen_callbacks(spec, agents)
        if held:
            # An agent given to the campaign: its callbacks are looked up now.
            self._callbacks_read.pop(spec.name, None)
        ready = self._agents.ready_agents(spec.queue)
        free = held + [a for a in ready if a not in busy and a not in held]
        due_left = False
        try:
            due_left = await self._round(spec, free, any_record=any_record)
        finally:
            if blend is not None:
                blend.seen(spec, due_left)
                if not due_left:
                    for agent in held:
                        if blend.held.get(agent) == spec.name:
                            blend.let_go(agent)
                            self._agents.release(agent, spec.name)

    async def _round(self, spec: CampaignSpec, free: list[str], *, any_record: bool) -> bool:
        """``round``'s offers; whether due records are left over (blended priority)."""
        now = self._utcnow()
        if not free:
            if not (any_record and self._blend is not None and spec.priority > 0):
                return False
            # Nobody to offer to, but the ACD asks whether work waits: look.
            waiting: list[store.StoredRecord] = await self._read(
                store.due_records, spec.name, now, BLEND_LOOK_AHEAD
            )
            return self._dialable(spec, waiting, now)
        clock = trio.current_time()
        booked: list[store.StoredRecord] = []
        last = self._callbacks_read.get(spec.name)
        if any_record or last is None or clock - last >= CALLBACKS_EVERY:
            # In the dialling modes this runs at every round: the booked callbacks are
            # looked up at most every CALLBACKS_EVERY s, and at once after a booking.
            self._callbacks_read[spec.name] = clock
            booked = await self._callbacks_due(spec.name, now, free)
        offered: list[tuple[store.StoredRecord, str]] = []
        for stored in booked:
            agent = stored.callback_agent
            if agent in free:
                free.remove(agent)
                offered.append((stored, agent))
        due: list[store.StoredRecord] = []
        if any_record and free:
            due = await self._read(store.due_records, spec.name, now, 4 * len(free) + 16)
            for i, stored in enumerate(due):
                if not free:
                    due = due[i:]
                    break
                if stored.callback_agent is not None or stored.id in self.previews:
                    continue
                offered.append((stored, free.pop(0)))
            else:
                due = []
        due_left = self._dialable(spec, due, now)
        if not offered:
            return due_left
        dnc: set[str] = await self._read(
            store.dnc_numbers_for, spec.name, [s.standing.number for s, _ in offered]
        )
        for stored, agent in offered:
            decision = verdict(
                spec, stored.standing, now, dnc=dnc, zone_prefixes=self._zone_prefixes
            )
            if decision.kind is VerdictKind.DNC:
                ended = attrs.evolve(
                    stored.standing, status="dnc", next_attempt_at=None, last_outcome="dnc"
                )
                await self._read(store.update_record, stored.id, ended, now)
                continue
            if decision.kind is not VerdictKind.DIAL:
                continue
            await self._offer(spec, stored, agent, now)
        return due_left

    def _dialable(
        self, spec: CampaignSpec, due: list[store.StoredRecord], now: dt.datetime
    ) -> bool:
        """Whether one of ``due`` may be shown now (the do-not-call lists are read when it is)."""
        zones = self._zone_prefixes
        return any(
            stored.callback_agent is None
            and stored.id not in self.previews
            and verdict(spec, stored.standing, now, dnc=set(), zone_prefixes=zones).kind
            is VerdictKind.DIAL
            for stored in due
        )

    async def _offer(
        self, spec: CampaignSpec, stored: store.StoredRecord, agent: str, now: dt.datetime
    ) -> None:
        blend = self._blend
        if blend is not None:
            blend.let_go(agent)
            if spec.name in blend.off:
                return  # paused or stopped while the database was read
        device = self._agents.reserve(agent, spec.name, stored.id)
        if device is None:
            return  # it took another call while the database was read
        preview = Preview(
            campaign=spec.name,
            stored=stored,
            agent=agent,
            device=device,
            callback=stored.standing.status == "callback",
        )
        self.previews[stored.id] = preview
        if blend is not None and preview.callback:
            blend.offered_callback(spec.name, agent)
        held = attrs.evolve(stored.standing, status=PREVIEWING)
        await self._read(store.update_record, stored.id, held, now)
        expires = now + dt.timedelta(seconds=spec.preview_timeout)
        if self._publish is not None:
            self._publish(
                PREVIEW_EVENT,
                {
                    "campaign": spec.name,
                    "record": stored.id,
                    "number": stored.standing.number,
                    "data": dict(stored.standing.data),
                    "agentID": agent,
                    "callback": preview.callback,
                    "attempts": stored.standing.attempts,
                    "timeout": spec.preview_timeout,
                    "timeoutAction": spec.preview_timeout_action,
                    # The codes the agent may give the call (``campaign.setDisposition``).
                    "dispositions": list(spec.dispositions),
                    "expiresAt": expires.isoformat().replace("+00:00", "Z"),
                },
                devices=(device,),
                topics=(f"agent:{agent}",),
            )
        assert self._nursery is not None
        self._nursery.start_soon(self._expire, preview, spec)

    async def _expire(self, preview: Preview, spec: CampaignSpec) -> None:
        with preview.scope:
            await trio.sleep(spec.preview_timeout)
        # Out of the scope: dialling or skipping cancels it (a no-op once left).
        if preview.scope.cancelled_caught or self.previews.get(preview.stored.id) is not preview:
            return
        try:
            if spec.preview_timeout_action == "dial":
                await self.dial(preview.stored.id, preview.agent)
            else:
                await self.skip(preview.stored.id, preview.agent, "timeout")
        except PreviewError as exc:
            log.info("preview of record %s timed out: %s", preview.stored.id, exc)

    # ----------------------------------------------------------- the agent acts

    def _take(self, record_id: int, agent: str | None) -> Preview:
        preview = self.previews.get(record_id)
        if preview is None:
            raise PreviewError("noSuchPreview", f"record {record_id} is not on preview")
        if agent is not None and preview.agent != agent:
            raise PreviewError(
                "notYourPreview", f"record {record_id} is on preview to agent {preview.agent}"
            )
        return preview

    async def dial(self, record_id: int, agent: str | None) -> str:
        """The agent (None: a supervisor for it) dials the previewed record; the call id."""
        preview = self._take(record_id, agent)
        stored = preview.stored
        spec_name = preview.campaign
        try:
            call_id = self._calls.agent_dial(
                preview.device,
                stored.standing.number,
                user_data={"campaign": spec_name, "record": stored.id, **stored.standing.data},
                # The agent's own call: the call record names the agent (as the ACD's do).
                facts={
                    "campaign": spec_name,
                    "campaign_record": stored.id,
                    "agent_id": preview.agent,
                    "agent_device": preview.device,
                },
            )
        except Exception as exc:  # a CstaError: the phone is busy, the number refused...
            raise PreviewError("dialFailed", f"cannot dial record {record_id}: {exc}") from None
        del self.previews[record_id]
        preview.scope.cancel()
        dialling = attrs.evolve(stored.standing, status="dialling")
        await self._read(
            partial(store.update_record, callback_agent=None), stored.id, dialling, self._utcnow()
        )
        self._on_dialled(call_id, preview)
        return call_id

    async def skip(self, record_id: int, agent: str | None, reason: str) -> Standing:
        """The agent skips the previewed record: it ends ``skipped`` with ``reason``."""
        preview = self._take(record_id, agent)
        del self.previews[record_id]
        preview.scope.cancel()
        self._agents.release(preview.agent, preview.campaign)
        skipped = attrs.evolve(
            preview.stored.standing, status="skipped", next_attempt_at=None, last_outcome="skipped"
        )
        await self._read(
            partial(store.update_record, disposition=reason, callback_agent=None),
            record_id,
            skipped,
            self._utcnow(),
        )
        return skipped

    async def withdraw(self, campaign: str) -> None:
        """The campaign paused or stopped: the agents it holds go back at once, its previews
        go, their records back to where they were."""
        if self._blend is not None:
            for agent in self._blend.forget(campaign):
                self._agents.release(agent, campaign)
        for record_id, preview in list(self.previews.items()):
            if preview.campaign != campaign:
                continue
            del self.previews[record_id]
            preview.scope.cancel()
            self._agents.release(preview.agent, campaign)
            await self._read(
                store.update_record, record_id, preview.stored.standing, self._utcnow()
            )
