"""The progressive dialler: one call per free agent of the campaign's queue.

Each running campaign has a pacing loop. Every ``PACE_SECONDS`` (and at
once when an attempt ends) it counts the ready agents of the campaign's
queue, subtracts the campaign's calls still looking for an agent (ringing,
or answered and waiting in the queue), and dials that many due records,
each checked first by ``attempts.verdict`` (do-not-call lists read at that
moment, calling windows in the callee's zone, retries and attempts).

A call is the customer's (``CallControl.dial_out``): when the customer
answers, it enters the campaign's queue ahead of inbound callers, and the
real ACD connects it to the agent it found free. When the call ends, its
outcome (answered, busy, no answer, failed, invalid number) moves the
record on (``attempts.after_attempt``). The ACD is reached only through
``AgentPool``: how many agents of a queue are free, and the queue's number.

A ``predictive`` campaign dials as many calls as ``pacer.Pacer`` finds safe
instead. Answered calls (machines, the 2-second abandon rule) are the
``abandon.Connector``'s.

Preview mode and callbacks booked for one agent are offered through the
``PreviewDesk`` (``preview.py``); events and today's figures go through the
``CampaignBoard`` (``events.py``); agent dispositions are in
``dispositions.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Protocol

import attrs
import trio

from ..calls.events import DeliveredEvent, EstablishedEvent, FailedEvent
from ..calls.notices import AnswerClassified, CallEnded, Notice, PlaybackDone
from ..calls.objects import Emitted
from ..structure import StructureError
from . import agentless, claims, store
from .abandon import Connector, Handing
from .attempts import Standing, after_attempt, outcome_of
from .blend import Blender
from .callbook import CallbackBook
from .campaign_config import CampaignSpec, spec_from_api
from .claims import RecordWrite
from .dispositions import (
    FACT_AGENT_DISPOSITION,
    FACT_CAMPAIGN_OUTCOME,
    CallAttempt,
    after_disposition,
)
from .events import CampaignBoard
from .pacer import AgentView, Pacer, Ringing
from .pick import Picker
from .preview import AgentDesk, Preview, PreviewCalls, PreviewDesk
from .writeback import RecordWriter

__all__ = ["PACE_SECONDS", "AgentPool", "CallPort", "Dialler", "outcome_of", "spec_zone"]

log = logging.getLogger(__name__)

#: Seconds between pacing rounds of a running campaign.
PACE_SECONDS: Final = 1.0
#: Ended attempts waiting to be written (a full queue blocks the sink: fail loudly).
ENDED_QUEUE: Final = 1024
#: Seconds between checks while a person waits for an agent (the 2-second rule).
WAIT_TICK: Final = 0.1
#: Ended attempts remembered for the agents' dispositions (older ones: the call records).
RECENT_ATTEMPTS: Final = 4096

Reader = Callable[..., Any]


class AgentPool(Protocol):
    """What the dialler needs of the ACD."""

    def free_agents(self, queue: str) -> int:
        """Agents of ``queue`` that are ready now."""
        ...

    def offered(self, call_id: str) -> bool:
        """Whether an agent holds an offer of the call (reserved for it, phone ringing)."""
        ...

    def queue_number(self, queue: str) -> str | None:
        """The route point that puts a call in ``queue``."""
        ...

    def agent_views(self, queue: str) -> list[AgentView]:
        """The logged-on agents of ``queue``, for predictive pacing."""
        ...


class CallPort(Protocol):
    """What the dialler needs of the calls (``CallControl`` and ``CallService.sync``)."""

    def dial_out(
        self,
        number: str,
        *,
        owner: str,
        caller_number: str,
        timeout: float,
        user_data: Any = None,
        facts: Any = None,
        detect_machines: bool = False,
    ) -> str: ...

    def to_queue(self, call_id: str, number: str, priority: int) -> None:
        """Send the call to a queue's number with ``priority`` over its other callers."""
        ...

    def play(self, call_id: str, media: list[str]) -> str: ...

    def hang_up(self, call_id: str) -> None: ...

    def set_fact(self, call_id: str, key: str, value: Any) -> None: ...

    def sync(self) -> None: ...

    def to_number(self, call_id: str, number: str) -> None: ...

    def facts(self, call_id: str) -> dict[str, Any] | None:
        """The call's facts, to write to (None: the call is gone)."""
        ...


class _Port:
    """The calls and the ACD as the connector sees them (``abandon.Handing``)."""

    def __init__(self, calls: CallPort, agents: AgentPool) -> None:
        self.calls, self.agents = calls, agents

    def to_queue(self, call_id: str, number: str, priority: int) -> None:
        self.calls.to_queue(call_id, number, priority)

    def play(self, call_id: str, media: list[str]) -> str:
        return self.calls.play(call_id, media)

    def hang_up(self, call_id: str) -> None:
        self.calls.hang_up(call_id)

    def set_fact(self, call_id: str, key: str, value: Any) -> None:
        self.calls.set_fact(call_id, key, value)

    def free_agents(self, queue: str) -> int:
        return self.agents.free_agents(queue)

    def offered(self, call_id: str) -> bool:
        return self.agents.offered(call_id)

    def queue_number(self, queue: str) -> str | None:
        return self.agents.queue_number(queue)


def spec_zone(spec: CampaignSpec) -> zoneinfo.ZoneInfo:
    """The campaign's own zone: its day (for the abandon rate) is a local date there."""
    return zoneinfo.ZoneInfo(spec.timezone)


@attrs.define
class _Attempt:
    campaign: str
    record_id: int
    standing: Standing
    failed_cause: str | None = None
    #: The callee answered (the connector has the call from then on).
    handed: bool = False
    dialled_at: float = 0.0
    call_id: str = ""
    #: The agent who took the call (the ACD's, or the previewing agent).
    agent: str | None = None
    #: The agent's disposition code, and the record's before this attempt.
    disposition: str | None = None
    previous_disposition: str | None = None
    #: A callback booked while the call was up (``campaign.scheduleCallback``): when, and
    #: for which agent (None: any); applied when the attempt ends.
    callback: tuple[dt.datetime, str | None] | None = None


@attrs.define
class _Run:
    spec: CampaignSpec
    scope: trio.CancelScope
    paused: bool = False


class Dialler:
    """Runs the campaigns that are started; see the module docstring."""

    def __init__(
        self,
        *,
        read: Reader,
        calls: CallPort,
        agents: AgentPool,
        utcnow: Callable[[], dt.datetime],
        zone_prefixes: dict[str, str],
        desk: AgentDesk | None = None,
        agent_calls: PreviewCalls | None = None,
        publish: Callable[..., None] | None = None,
        agent_states: Callable[[str], Mapping[str, int]] | None = None,
        figures_interval: float = 1.0,
        heard: Callable[..., bool] | None = None,
    ) -> None:
        self._read = read
        self._calls = calls
        self._agents = agents
        self._utcnow = utcnow
        self._zone_prefixes = zone_prefixes
        self.runs: dict[str, _Run] = {}
        #: The definition of each campaign stopped in this process: an attempt still up at
        #: the stop is written by its rules when it ends (not given back undialled).
        self.stopped: dict[str, CampaignSpec] = {}
        #: Call id -> the attempt it is.
        self.attempts: dict[str, _Attempt] = {}
        #: Call id -> an ended attempt, the latest ``RECENT_ATTEMPTS`` (dispositions).
        self.recent: OrderedDict[str, CallAttempt] = OrderedDict()
        self.previews: PreviewDesk | None = None
        #: Preview work put before inbound calls for blended agents (``blend``).
        self.blend = Blender(self.wake)
        #: The callbacks booked for one agent: when the next is due (``callbook``).
        self.callbacks = CallbackBook(read, pending=lambda record_id: self.writer.holds(record_id))
        if desk is not None and agent_calls is not None:
            self.previews = PreviewDesk(
                read=read,
                agents=desk,
                calls=agent_calls,
                publish=publish,
                utcnow=utcnow,
                zone_prefixes=zone_prefixes,
                on_dialled=self._preview_dialled,
                blend=self.blend,
                callbacks_due=self.callbacks.due,
                callbacks_may_be_due=self.callbacks.may_be_due,
            )
        self.board = CampaignBoard(
            publish, utcnow=utcnow, clock=trio.current_time, interval=figures_interval, heard=heard
        )
        self._agent_states = agent_states
        #: Agentless: IVR flow -> the number that starts it; playback id -> its call.
        self.flow_numbers: dict[str, str] = {}
        self._playing: dict[str, str] = {}
        self._ended_send, self._ended_recv = trio.open_memory_channel[_Attempt](ENDED_QUEUE)
        self._nursery: trio.Nursery | None = None
        self._wake = trio.Event()
        #: Campaign name -> its learned pacing model (kept across pauses and restarts).
        self.pacers: dict[str, Pacer] = {}
        port: Handing = _Port(calls, agents)
        self.connector = Connector(port, self.pacers, trio.current_time)
        self._waiting = trio.Event()
        #: Ended attempts' records, written behind in batches.
        self.writer = RecordWriter(read)
        #: What the rounds dial: the due queues and their do-not-call verdicts.
        self.picker = Picker(
            read,
            zone_prefixes=zone_prefixes,
            busy=lambda: {a.record_id for a in self.attempts.values()},
            held=self.writer.holds,
        )
        self._changed_soon = False
        #: Call ids whose attempt was made, changed or ended since the step hooks last ran.
        self.touched: set[str] = set()
        #: Run after each change of attempts or figures (``keep.CampaignKeeper.save``).
        self.step_hooks: list[Callable[[], None]] = []
        #: Run after each pacing round (the learned models).
        self.round_hooks: list[Callable[[], None]] = []
        #: Awaited at start, before the stored campaigns resume (``keep``).
        self.restore_hooks: list[Callable[[], Awaitable[None]]] = []

    @property
    def read(self) -> Reader:
        """How blocking store calls run."""
        return self._read

    def utcnow(self) -> dt.datetime:
        return self._utcnow()

    def now(self) -> float:
        """The dialler's clock (trio's): attempts' ``dialled_at``."""
        return trio.current_time()

    def call_facts(self, call_id: str) -> dict[str, Any] | None:
        """The call's facts (None: no such call)."""
        return self._calls.facts(call_id)

    def wake(self) -> None:
        """Run the running campaigns' pacing rounds now."""
        self._wake.set()
        self._wake = trio.Event()

    def sync(self) -> None:
        """Publish and send now what was decided outside a call event's turn (an agent
        released by a pause or stop is offered a waiting caller: that call must ring)."""
        self._calls.sync()
        self._changed()

    def _changed(self) -> None:
        for hook in self.step_hooks:
            hook()
        self.touched.clear()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            if self.previews is not None:
                self.previews.attach(nursery)
            await nursery.start(self.writer.run)
            nursery.start_soon(self._write_ended)
            nursery.start_soon(self._watch)
            for hook in self.restore_hooks:
                await hook()
            await self.resume()
            task_status.started()

    async def resume(self) -> None:
        """Start again the campaigns the database says are ``running`` or ``paused``
        (a restart, a takeover): the run state outlives the process."""
        rows: list[store.CampaignRow] = await self._read(store.campaign_rows)
        for row in rows:
            if row.state not in ("running", "paused") or row.name in self.runs:
                continue
            try:
                spec = spec_from_api(row.spec)
            except StructureError as exc:
                log.error("campaign %s not resumed: %s", row.name, exc)
                continue
            self.start(spec)
            self.pause(row.name, row.state == "paused")
            log.info("campaign %s resumed (%s)", row.name, row.state)

    def adopt(
        self,
        call_id: str,
        *,
        campaign: str,
        record_id: int,
        standing: Standing,
        dialled_at: float,
        handed: bool,
        failed_cause: str | None,
        agent: str | None,
        disposition: str | None,
        previous_disposition: str | None,
        callback: tuple[dt.datetime, str | None] | None = None,
    ) -> None:
        """Take back an attempt whose call went on across a restart (``keep``)."""
        self.attempts[call_id] = _Attempt(
            campaign=campaign,
            record_id=record_id,
            standing=standing,
            failed_cause=failed_cause,
            handed=handed,
            dialled_at=dialled_at,
            call_id=call_id,
            agent=agent,
            disposition=disposition,
            previous_disposition=previous_disposition,
            callback=callback,
        )

    # ------------------------------------------------------------- control

    def start(self, spec: CampaignSpec) -> None:
        # Started or resumed: its agents' callbacks are read again (a pause sent those
        # on preview back to ``callback``).
        self.callbacks.forget(spec.name)
        if spec.name in self.runs:
            self.runs[spec.name].paused = False
            return
        assert self._nursery is not None
        run = _Run(spec=spec, scope=trio.CancelScope())
        self.runs[spec.name] = run
        self.pacers.setdefault(spec.name, Pacer())
        self._nursery.start_soon(self._pace, run)

    def pause(self, name: str, paused: bool) -> None:
        if name in self.runs:
            self.runs[name].paused = paused

    def stop(self, name: str) -> None:
        run = self.runs.pop(name, None)
        if run is not None:
            run.scope.cancel()
            self.stopped[name] = run.spec

    def in_flight(self, name: str) -> int:
        return sum(1 for a in self.attempts.values() if a.campaign == name)

    # --------------------------------------------------------------- pacing

    async def _pace(self, run: _Run) -> None:
        with run.scope:
            await self._recover(run.spec)
            while True:
                if not run.paused:
                    await self._mode_round(run)
                    for hook in self.round_hooks:
                        hook()
                    if await self._finished(run):
                        return
                await self._send_figures(run)
                with trio.move_on_after(PACE_SECONDS):
                    await self._wake.wait()

    async def _mode_round(self, run: _Run) -> None:
        spec = run.spec
        if self.previews is not None:
            await self.previews.round(spec, any_record=spec.mode == "preview")
        if spec.mode != "preview":
            await self._round(run)

    def _want(self, spec: CampaignSpec) -> int:
        """How many calls to dial now (progressive: one per free agent)."""
        ringing = [a for a in self.attempts.values() if a.campaign == spec.name and not a.handed]
        waiting = self.connector.needing(spec.name)
        waiting += sum(1 for q in self.connector.promised.values() if q == spec.queue)
        if spec.mode == "agentless":
            return agentless.lines_wanted(spec, self.in_flight(spec.name))
        if spec.mode != "predictive":
            return self._agents.free_agents(spec.queue) - len(ringing) - waiting
        pacer = self.pacers.setdefault(spec.name, Pacer())
        agents = self._agents.agent_views(spec.queue)
        pacer.observe(agents)
        now = trio.current_time()
        return pacer.to_dial(
            agents=agents,
            ringing=[Ringing(now - a.dialled_at) for a in ringing],
            waiting=waiting,
            max_rate=spec.max_abandon_rate,
            max_ratio=spec.max_dial_ratio,
        )

    async def _round(self, run: _Run) -> None:
        spec = run.spec
        now = self._utcnow()
        pacer = self.pacers.setdefault(spec.name, Pacer())
        # Before deciding: the abandon rate judged is today's, not a restored yesterday's.
        pacer.tally.roll(now.astimezone(spec_zone(spec)).date().isoformat())
        want = self._want(spec)
        if want <= 0:
            return
        picked, ended = await self.picker.pick(spec, want, now)
        if not picked and not ended:
            return
        # One transaction claims them all: each is ``dialling`` in the database before
        # it is dialled, so no restart can dial it a second time while it is up.
        claimed: list[store.StoredRecord] = await self._read(
            claims.claim_records, spec.name, [s.id for s in picked], now, ended
        )
        if len(claimed) < len(picked):
            self.picker.refused(spec.name)
        # The pacing loop ran the database in a thread: the world may have moved.
        if run.scope.cancel_called or run.paused:
            for stored in claimed:
                self.writer.submit(stored.id, RecordWrite(standing=stored.standing, at=now))
            return
        for stored in claimed:
            call_id = self._calls.dial_out(
                stored.standing.number,
                owner=f"campaign:{spec.name}",
                caller_number=spec.caller_id,
                timeout=spec.ring_seconds,
                user_data={"campaign": spec.name, "record": stored.id, **stored.standing.data},
                facts={"campaign": spec.name, "campaign_record": stored.id},
                detect_machines=spec.amd,
            )
            self.attempts[call_id] = _Attempt(
                campaign=spec.name,
                record_id=stored.id,
                standing=stored.standing,
                dialled_at=trio.current_time(),
                call_id=call_id,
                previous_disposition=stored.disposition,
            )
            self.touched.add(call_id)
            pacer.dialled()
            self.board.count(spec.name, spec.timezone, dialled=1)
        if claimed:
            self._calls.sync()
            self._changed()

    def dnc_changed(self) -> None:
        """A do-not-call list changed (``campaign.dnc*``): the batches' verdicts are stale."""
        self.picker.dnc_changed()

    # ------------------------------------------------------- call outcomes

    def on_event(self, emitted: Emitted) -> None:
        """Event sink: an answered customer goes to the connector (AMD, an agent)."""
        self._changed_soon = False
        self._on_event(emitted)
        if self._changed_soon:
            self._changed()

    def _on_event(self, emitted: Emitted) -> None:
        event = emitted.event
        if isinstance(event, EstablishedEvent | DeliveredEvent) and self.connector.waiting:
            self._waiting.set()  # an agent's call changed: one may be ready
        for call_id in emitted.calls:
            attempt = self.attempts.get(call_id)
            if attempt is None:
                continue
            self._changed_soon = True
            self.touched.add(call_id)
            if isinstance(event, FailedEvent):
                attempt.failed_cause = event.cause.value
                self._set_fact(call_id, FACT_CAMPAIGN_OUTCOME, outcome_of(False, event.cause.value))
            elif (
                isinstance(event, EstablishedEvent)
                and event.answering_device == attempt.standing.number
            ):
                if attempt.handed:
                    # A preview: the agent's own call reached the customer. The call
                    # record keeps how the attempt went (``calls.campaign_outcome``).
                    self._set_fact(call_id, FACT_CAMPAIGN_OUTCOME, "answered")
                    continue
                attempt.handed = True
                run = self.runs.get(attempt.campaign)
                if run is None:
                    continue  # a stopped campaign's customer is left to hang up
                if run.spec.mode == "agentless":
                    self._set_fact(call_id, FACT_CAMPAIGN_OUTCOME, "answered")
                    agentless.hand_over(
                        run.spec,
                        call_id,
                        self._calls,
                        self.flow_numbers,
                        self._playing,
                        warn=log.warning,
                    )
                    continue
                self.connector.on_answer(call_id, run.spec, attempt.dialled_at)
                self._waiting.set()
            elif (
                isinstance(event, DeliveredEvent)
                and event.alerting_device != attempt.standing.number
            ):
                self.connector.on_offered(call_id)

    def _set_fact(self, call_id: str, key: str, value: Any) -> None:
        facts = self._calls.facts(call_id)
        if facts is not None:
            facts[key] = value

    def on_notice(self, notice: Notice) -> None:
        """Notice sink: AMD verdicts, messages played, ended attempts (written by a task)."""
        if isinstance(notice, AnswerClassified):
            self.connector.on_classified(notice.call_id, notice.answered_by)
            self._waiting.set()
            self._changed()
            return
        if isinstance(notice, PlaybackDone):
            self.connector.on_playback_done(notice.playback_id)
            # An agentless campaign's message: the call ends with it.
            call_id = self._playing.pop(notice.playback_id, None)
            if call_id is not None and call_id in self.attempts:
                self._calls.hang_up(call_id)
                self._calls.sync()
            return
        if not isinstance(notice, CallEnded):
            return
        answered = self.connector.on_ended(notice.call_id)
        attempt = self.attempts.pop(notice.call_id, None)
        if attempt is None:
            return
        self.touched.add(notice.call_id)
        if answered is not None and answered.outcome is not None:
            attempt.failed_cause = answered.outcome
        else:
            attempt.failed_cause = outcome_of(notice.answered_at is not None, attempt.failed_cause)
        pacer = self.pacers.get(attempt.campaign)
        if pacer is not None and (answered is None or answered.person_at is None):
            pacer.ended(attempt.failed_cause)
        agent = notice.facts.get("agent_id")
        if isinstance(agent, str):
            attempt.agent = agent
        self._remember(attempt)
        run = self.runs.get(attempt.campaign)
        if run is not None:
            answered_ok = attempt.failed_cause == "answered"
            self.board.count(
                attempt.campaign,
                run.spec.timezone,
                answered=int(attempt.failed_cause in ("answered", "abandoned")),
                connected=int(answered_ok and attempt.agent is not None),
                abandoned=int(attempt.failed_cause == "abandoned"),
                machines=int(attempt.failed_cause == "machine"),
            )
        self._ended_send.send_nowait(attempt)
        self._changed()
        self._wake.set()
        self._wake = trio.Event()

    async def _watch(self) -> None:
        """Persons waiting for an agent: hand them over, or abandon them at 2 s."""
        while True:
            await self._waiting.wait()
            self._waiting = trio.Event()
            self.connector.check()
            self._calls.sync()
            self._changed()
            deadline = self.connector.next_deadline()
            if deadline is not None:
                # Agents become ready at times the dialler is not told of: look often.
                with trio.move_on_at(min(deadline, trio.current_time() + WAIT_TICK)):
                    await self._waiting.wait()
                self._waiting.set()

    async def _write_ended(self) -> None:
        async for attempt in self._ended_recv:
            run = self.runs.get(attempt.campaign)
            spec = run.spec if run is not None else self.stopped.get(attempt.campaign)
            outcome = attempt.failed_cause or "failed"
            now = self._utcnow()
            if spec is None:
                self.writer.submit(
                    attempt.record_id, RecordWrite(standing=attempt.standing, at=now)
                )
                continue
            ended = after_attempt(spec, attempt.standing, outcome, now)
            if attempt.disposition is not None and outcome == "answered":
                ended = after_disposition(
                    spec, ended, attempt.previous_disposition, attempt.disposition, now
                )
            if attempt.callback is not None:
                # The agent's booking wins over the retry rules, whatever the outcome.
                at, agent = attempt.callback
                ended = attrs.evolve(ended, status="callback", retries=0, next_attempt_at=at)
                write = RecordWrite(standing=ended, at=now, callback_agent=agent)
                if agent is not None:
                    self.callbacks.booked(attempt.campaign, attempt.record_id, at)
            else:
                write = RecordWrite(standing=ended, at=now)
            self.writer.submit(attempt.record_id, write)

    async def _recover(self, spec: CampaignSpec) -> None:
        """Records a run that died left ``dialling`` (claimed, outcome never written): each
        counts as an attempt, with its call record's outcome (``failed`` if none), and moves
        on by the retry rules (``claims.recover``)."""
        orphans: list[claims.Orphan] = await self._read(claims.orphan_claims, spec.name)
        live = {a.record_id for a in self.attempts.values()}
        now = self._utcnow()
        for orphan in orphans:
            record_id = orphan.stored.id
            if record_id in live or self.writer.holds(record_id):
                continue  # this run's own attempt, still up or being written
            standing = claims.recover(spec, orphan, now)
            log.warning(
                "campaign %s: record %d was being dialled when ctid stopped; "
                "counted as an attempt (%s), now %s",
                spec.name,
                record_id,
                orphan.outcome or claims.ORPHAN_OUTCOME,
                standing.status,
            )
            self.writer.submit(record_id, RecordWrite(standing=standing, at=now))
        await self.writer.flush()

    # ---------------------------------------------------- previews, dispositions

    def _preview_dialled(self, call_id: str, preview: Preview) -> None:
        self.attempts[call_id] = _Attempt(
            campaign=preview.campaign,
            record_id=preview.stored.id,
            standing=preview.stored.standing,
            handed=True,  # the agent's own phone calls: no queue to hand it to
            call_id=call_id,
            agent=preview.agent,
            previous_disposition=preview.stored.disposition,
        )
        self.touched.add(call_id)
        run = self.runs.get(preview.campaign)
        if run is not None:
            self.board.count(preview.campaign, run.spec.timezone, dialled=1)
        self._calls.sync()
        self._changed()

    def _remember(self, attempt: _Attempt) -> None:
        self.recent[attempt.call_id] = CallAttempt(
            call_id=attempt.call_id,
            campaign=attempt.campaign,
            record=attempt.record_id,
            agent=attempt.agent,
            outcome=attempt.failed_cause,
        )
        while len(self.recent) > RECENT_ATTEMPTS:
            self.recent.popitem(last=False)

    def live_attempt(self, call_id: str) -> CallAttempt | None:
        """A campaign call that is up now, with the agent who has it."""
        attempt = self.attempts.get(call_id)
        if attempt is None:
            return None
        agent = attempt.agent
        facts = self._calls.facts(call_id)
        if facts is not None and isinstance(facts.get("agent_id"), str):
            agent = facts["agent_id"]
        return CallAttempt(
            call_id=call_id, campaign=attempt.campaign, record=attempt.record_id, agent=agent
        )

    def live_attempt_of_record(self, record_id: int) -> CallAttempt | None:
        for call_id, attempt in self.attempts.items():
            if attempt.record_id == record_id:
                return self.live_attempt(call_id)
        return None

    def recent_attempt_of_record(self, record_id: int) -> CallAttempt | None:
        for attempt in reversed(self.recent.values()):
            if attempt.record == record_id:
                return attempt
        return None

    def book_callback_live(self, record_id: int, at: dt.datetime, agent: str | None) -> str | None:
        """A callback booked for a record whose call is up: noted on the attempt and
        applied when it ends (written now, the attempt's end would overwrite it, and a
        callback due at once would dial the record a second time while the first call
        is up). The attempt's campaign, or None when the record has no call up."""
        for call_id, attempt in self.attempts.items():
            if attempt.record_id == record_id:
                attempt.callback = (at, agent)
                self.touched.add(call_id)
                self._changed()
                return attempt.campaign
        return None

    def dispose_live(self, call_id: str, code: str) -> None:
        """An agent's disposition of a call still up: applied when the attempt ends."""
        attempt = self.attempts[call_id]
        attempt.disposition = code
        self.touched.add(call_id)
        self._set_fact(call_id, FACT_AGENT_DISPOSITION, code)
        self._calls.sync()
        self._changed()

    # ----------------------------------------------------------- figures

    async def _send_figures(self, run: _Run) -> None:
        name = run.spec.name
        # Nobody watching: no count of the list (it grows with the list) at every round.
        if not self.board.watched(name) or not self.board.figures_due(name):
            return
        counts: dict[str, int] = await self._read(store.record_counts, name)
        left = sum(counts.get(s, 0) for s in ("new", "retry", "callback", "preview"))
        agents = dict(self._agent_states(run.spec.queue)) if self._agent_states else {}
        self.board.send_figures(
            self.board.figures(
                name,
                run.spec.timezone,
                agents=agents,
                records_left=left,
                in_flight=self.in_flight(name),
            )
        )

    async def _finished(self, run: _Run) -> bool:
        """Whether the running campaign has nothing left to do; if so it ends ``finished``."""
        name = run.spec.name
        if self.in_flight(name) or (self.previews and self.previews.of_campaign(name)):
            return False
        counts: dict[str, int] = await self._read(store.record_counts, name)
        if not counts or any(counts.get(s) for s in ("new", "retry", "callback", "preview")):
            return False
        if any(counts.get(s) for s in ("dialling",)):
            return False
        if self.runs.get(name) is not run or run.paused:
            return False
        del self.runs[name]
        await self._read(store.set_campaign_state, name, "finished", self._utcnow())
        self.board.state(name, "finished", run.spec.to_wire())
        await self._send_figures(run)
        return True
