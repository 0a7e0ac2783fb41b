"""The ACD engine: agents' states, calls in queues, offers to agents. Pure: no trio, no I/O.

The engine drives calls only through ``CallControl`` (and ``CstaServices``
for callbacks), which change the call model and queue switch commands, and
learns what happened from the model's CSTA events and notices, fed in by its
owner (``service``) in order. What became of an offered call is read from the
model's state of the call (which parties are connected, or gone) whenever one
of its events goes by, not pattern-matched from single events, so the order in
which the events of one switch step arrive does not matter.

Time is the owner's clock (``now``), timeouts go through one ``Scheduler``
(the daemon's ``TimerQueue``: a heap served by one task, never a task per
call), and events for clients go out through ``publish``.

Companion modules hold the rest: ``desk`` (what agents and supervisors ask
for), ``announce`` (what callers hear), ``overflow``, ``callbacks``,
``daily``, ``wallboard`` (queue figures), ``supervision`` (listen, whisper,
barge), ``blend`` (campaigns against inbound calls). They see the engine
through ``core.AcdCore`` and do not import this module; the engine imports them.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from ..calls.control import CallControl, NoSuchCall
from ..calls.errors import CstaError, CstaErrorValue
from ..calls.events import ConferencedEvent, TransferredEvent
from ..calls.model import Call, CallModel, Emitted
from ..calls.notices import CallArrived, DigitsDetected, Notice, PlaybackDone
from ..calls.services import CstaServices
from ..calls.states import ConnectionState
from ..calls.values import ConnectionID, EventCause
from ..clock import WallClock
from ..facts import (
    FACT_AGENT,
    FACT_AGENT_DEVICE,
    FACT_QUEUE,
    FACT_QUEUE_ENTERED_AT,
    FACT_QUEUE_LEFT_AT,
    FACT_QUEUE_OUTCOME,
    FACT_QUEUE_PRIORITY,
    FACT_QUEUES_VISITED,
    FACT_RINGING_STARTED_AT,
    AgentStateChanged,
    QueueFigures,
    QueueWaitObserved,
)
from . import announce, blend, callbacks, overflow
from .agent import Agent, Cancellable, Membership, Offer
from .agent_states import AgentState, AgentTrigger, next_state
from .config import AcdConfig, Condition
from .core import Heard, OutboundWork, Publish, Scheduler, always_heard
from .daily import Daily
from .desk import EVENT_NAMES, STATE_EVENTS, publish_agent_event
from .entry_states import FINAL, EntryState, EntryTrigger
from .entry_states import next_state as next_entry_state
from .queue import Entry, QueueRuntime
from .router import Router
from .schedule import Calendar
from .strategies import StrategyContext, make_strategy
from .wallboard import Wallboard

__all__ = ["EVENT_NAMES", "AcdEngine", "Publish", "Scheduler"]

log = logging.getLogger(__name__)

A = AgentState
T = AgentTrigger
E = EntryState
ET = EntryTrigger

#: Seconds after a queue's ring timeout that the ACD withdraws an offer itself,
#: should the switch not have stopped the ringing by then.
RONA_GRACE: Final = 5.0
#: Callers remembered for ``last-agent`` (the least recent are forgotten first).
MAX_REMEMBERED_CALLERS: Final = 100_000

_PENDING_TRIGGER: Final = {
    A.NOT_READY: T.NOT_READY,
    A.LOGGED_OFF: T.LOG_OFF,
    A.WORKING_AFTER_CALL: T.WORK,
}
_IN_QUEUE: Final = (E.WAITING, E.OFFERED)


class AcdEngine:
    """Every agent and queue; see the module docstring."""

    #: Campaigns' work for blended agents (``blend``; set by ``ctid.outbound.install``).
    outbound: OutboundWork | None = None

    def __init__(
        self,
        config: AcdConfig,
        *,
        model: CallModel,
        control: CallControl,
        csta: CstaServices,
        scheduler: Scheduler,
        clock: WallClock,
        now: Callable[[], float],
        publish: Publish,
        rng: random.Random | None = None,
        heard: Heard = always_heard,
    ) -> None:
        self.config = config
        self.model = model
        self.control = control
        self.csta = csta
        self.scheduler = scheduler
        self.clock = clock
        self.now = now
        self.publish = publish
        #: Asked before building an agent event or queue figures (nobody listening: skip).
        self.heard = heard
        self.rng = rng or random.Random()
        #: What the queues' strategies consult (a reload makes new strategies with it).
        self.strategy_context = ctx = StrategyContext(rng=self.rng, last_agent=self._last_agent)
        self.queues: dict[str, QueueRuntime] = {}
        #: Route point (queue name or number) -> its queue.
        self.points: dict[str, QueueRuntime] = {}
        for qc in config.queues:
            strategy = make_strategy(
                qc.strategy,
                ctx,
                max_age=qc.last_agent_days * 86400.0,
                fallback=qc.last_agent_fallback,
            )
            queue = QueueRuntime(qc, strategy)
            self.queues[qc.name] = queue
            for point in qc.points:
                self.points[point] = queue
        self.agents: dict[str, Agent] = {
            ac.agent_id: Agent(
                config=ac, memberships={m.queue: Membership(config=m) for m in ac.skills}
            )
            for ac in config.agents
        }
        #: Device -> the agent logged on there.
        self.by_device: dict[str, Agent] = {}
        self.router = Router(self.queues)
        self.entries: dict[str, Entry] = {}
        #: Call -> its entry (the waiting call, or the call of a callback).
        self.entry_of_call: dict[str, Entry] = {}
        #: Caller -> (agent, trio time) of the last ACD call answered, for ``last-agent``,
        #: oldest first. Kept only if a queue uses it, and only as far back as the
        #: longest ``last_agent_days``: a busy centre sees a new caller every call.
        self.last_served: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.settings_changed()
        #: Playbacks whose end the engine waits for: playback id -> what to do then.
        self.after_playback: dict[str, Callable[[], None]] = {}
        self._seq = itertools.count(1)
        self.wallboard = Wallboard(self)
        self.daily = Daily(self)

    def settings_changed(self) -> None:
        """Derive what follows from ``config`` (at start, and after a reload changed it)."""
        config = self.config
        self.calendar = Calendar(self.clock, config.tz)
        self.reason_codes = frozenset(config.reason_codes) | {config.rona_reason}
        self._look_back = max(
            (qc.last_agent_days * 86400.0 for qc in config.queues if qc.strategy == "last-agent"),
            default=None,
        )

    # ---------------------------------------------------------------- start

    def start(self) -> None:
        """Begin: agents' clocks, schedules and the day's rollover are timed from now."""
        now = self.now()
        for agent in self.agents.values():
            agent.accounted = agent.since = now
        self.daily.start()

    def end_step(self) -> None:
        """After each batch of work: publish what changed in the queues (throttled)."""
        self.wallboard.flush()

    # ------------------------------------------------------------- inputs

    def on_notice(self, notice: Notice) -> None:
        if isinstance(notice, CallArrived):
            queue = self.points.get(notice.route_point)
            if queue is not None:
                self._arrive(notice.call_id, notice.route_point, queue)
        elif isinstance(notice, DigitsDetected):
            entry = self.entry_of_call.get(notice.call_id)
            if entry is not None:
                self._digits(entry, notice)
        elif isinstance(notice, PlaybackDone):
            action = self.after_playback.pop(notice.playback_id, None)
            if action is not None:
                action()

    def on_event(self, emitted: Emitted) -> None:
        event = emitted.event
        if isinstance(event, TransferredEvent | ConferencedEvent) and event.secondary_old_call:
            self._merged(event.secondary_old_call, event.primary_old_call)
        for call_id in emitted.calls:
            entry = self.entry_of_call.get(call_id)
            if entry is not None:
                self.sync_entry(entry)
        for device in emitted.devices:
            agent = self.by_device.get(device)
            if agent is not None:
                self._sync_agent(agent)

    def on_call_ending(self, call: Call) -> None:
        """The model is ending ``call`` (an ending hook): record why, while its facts still go.

        It runs inside the model's step, so it only keeps books; agents whose
        phones still ring with the call are freed when their connection goes.
        """
        entry = self.entry_of_call.get(call.call_id)
        if entry is None:
            return
        if entry.state in _IN_QUEUE and entry.call_id == call.call_id:
            self.finish(entry, ET.ABANDON, "abandoned", call)
        elif entry.callback_call == call.call_id and FACT_QUEUE_OUTCOME not in call.facts:
            # A callback attempt that did not reach the customer.
            call.facts[FACT_QUEUE_LEFT_AT] = self.now()
            call.facts[FACT_QUEUE_OUTCOME] = "callback"

    # ------------------------------------------------------------- arrival

    def _arrive(self, call_id: str, point: str, queue: QueueRuntime) -> None:
        try:
            call = self.control.take(call_id, point)
        except NoSuchCall:
            return
        now = self.now()
        cfg = queue.config
        entry = Entry(
            entry_id=self.model.ids.new("qe"),
            queue=queue.name,
            call_id=call_id,
            point=point,
            caller=call.calling_device,
            priority=self._priority(call, queue),
            seq=next(self._seq),
            entered_at=now,
        )
        self.entries[entry.entry_id] = entry
        queue.entries[entry.entry_id] = entry
        self.entry_of_call[call_id] = entry
        # The queue the call waited in last wins: a call that overflowed here
        # from another queue starts a new stay.
        for key in (FACT_QUEUE_LEFT_AT, FACT_QUEUE_OUTCOME, FACT_AGENT, FACT_AGENT_DEVICE):
            call.facts.pop(key, None)
        call.facts[FACT_QUEUE] = queue.name
        # Every queue it waited in: their supervisors may act on it (api.methods.acd_access).
        call.facts[FACT_QUEUES_VISITED] = (*call.facts.get(FACT_QUEUES_VISITED, ()), queue.name)
        call.facts[FACT_QUEUE_ENTERED_AT] = now
        queue.today.offered += 1
        # The queue goes with the call's data (QueuedEvent, then the agent's screen
        # pop in DeliveredEvent); set before queueing, it needs no event of its own.
        call.user_data["ctid.queue"] = queue.name
        self.control.queue(call_id, point, number_queued=len(queue.waiting) + 1)
        self.wallboard.touch(queue)
        if entry.caller in cfg.blacklist:
            queue.today.overflowed += 1
            self.finish(entry, ET.OVERFLOW, "overflow", call)
            overflow.send_on(self, call_id, cfg.blacklist_action, refused=True)
            return
        rule = None
        if not queue.members:
            rule = cfg.rule(Condition.NO_AGENTS)
        elif cfg.max_length and len(queue.waiting) >= cfg.max_length:
            rule = cfg.rule(Condition.FULL) or overflow.HANG_UP_WHEN_FULL
        elif queue.ready == 0:
            rule = cfg.rule(Condition.ALL_BUSY)
        if rule is not None:
            overflow.overflow(self, entry, rule)
            return
        if cfg.answer:
            self.control.answer_caller(call_id)
        queue.add_waiting(entry)
        if cfg.max_wait:
            entry.max_wait_timer = self.scheduler.call_at(
                now + cfg.max_wait, lambda: overflow.max_wait_reached(self, entry)
            )
        self.dispatch_queue(queue)
        if entry.state in _IN_QUEUE and cfg.answer:
            if cfg.greeting:
                announce.play(self, entry, cfg.greeting)
            else:
                announce.music(self, entry, True)
                announce.schedule_announcement(self, entry)

    def _priority(self, call: Call, queue: QueueRuntime) -> int:
        """VIP callers by number, or a priority in the call's data (e.g. set by an IVR)."""
        cfg = queue.config
        priority = cfg.vip_priority if call.calling_device in cfg.vip_numbers else 0
        asked = call.facts.get(FACT_QUEUE_PRIORITY)
        if isinstance(asked, int) and not isinstance(asked, bool):
            priority = max(priority, asked)  # an IVR's queue node asked for it
        if cfg.priority_key is not None:
            value = call.user_data.get(cfg.priority_key)
            if isinstance(value, str) and value.lstrip("-").isdigit():
                value = int(value)
            if isinstance(value, int | float) and not isinstance(value, bool):
                priority = max(priority, int(value))
        return priority

    def _digits(self, entry: Entry, notice: DigitsDetected) -> None:
        queue = self.queues[entry.queue]
        if (
            queue.config.callback_digit is not None
            and notice.digits == queue.config.callback_digit
            and notice.device == entry.caller
            and entry.state is E.WAITING
        ):
            callbacks.request_callback(self, queue, entry)

    # ------------------------------------------------------------ routing

    def dispatch_queue(self, queue: QueueRuntime) -> None:
        """Offer the queue's head calls while it has free agents."""
        while True:
            entry = queue.waiting.first()
            if entry is None:
                return
            agents = blend.agents_for(self, queue, entry)
            if not agents or not self._offer(queue, entry, agents):
                return

    def dispatch_agent(self, agent: Agent) -> None:
        """``agent`` just became free: give it the best waiting call, or index it as free."""
        if agent.state is not A.READY:
            return
        if self.model.by_device.get(agent.device or ""):
            # Made ready while its phone is on a call of its own: busy until that ends.
            agent.acd_call = False
            self.transition(agent, T.CALL, cause="directCall")
            return
        best = blend.best_entry_for(self, agent)
        if best is not None and self._offer(best[0], best[1], [agent]):
            return
        if agent.state is A.READY:
            self.router.make_available(agent)

    def _offer(self, queue: QueueRuntime, entry: Entry, agents: list[Agent]) -> bool:
        """Ring ``agents`` with the entry's call; False if none could be rung."""
        if entry.state is E.CALLBACK:
            return callbacks.offer_callback(self, queue, entry, agents[0])
        now = self.now()
        cfg = queue.config
        rung = []
        for agent in agents:
            assert agent.device is not None
            try:
                self.control.offer(
                    entry.call_id,
                    agent.device,
                    timeout=cfg.ring_timeout,
                    auto_answer=agent.config.auto_answer,
                    via=cfg.name,
                )
            except (ValueError, NoSuchCall) as exc:
                log.warning("cannot offer %s to %s: %s", entry.call_id, agent.agent_id, exc)
                continue
            rung.append(agent)
        if not rung:
            return False
        queue.waiting.discard(entry.entry_id)
        self.entry_changed(entry, ET.OFFER)
        entry.ring_all = len(agents) > 1
        call = self.model.calls.get(entry.call_id)
        if call is not None:
            call.facts[FACT_RINGING_STARTED_AT] = now
        for agent in rung:
            offer = Offer(entry=entry, call_id=entry.call_id, at=now)
            offer.backstop = self.backstop(agent, offer, cfg.ring_timeout)
            agent.offer = offer
            entry.offers[agent.agent_id] = agent
            self.transition(agent, T.OFFER, cause="offered")
        self.wallboard.touch(queue)
        return True

    def backstop(self, agent: Agent, offer: Offer, ring_timeout: float) -> Cancellable:
        """Withdraw ``offer`` should the switch still ring after the ring timeout."""

        def ring_out() -> None:
            if agent.offer is not offer or agent.state is not A.RESERVED or agent.device is None:
                return
            cid = ConnectionID(call_id=offer.call_id, device_id=agent.device)
            if self.model.connection(cid) is None:
                # Gone without the engine hearing of it: settle the agent now.
                self._sync_agent(agent)
            else:
                self.control.withdraw(cid)

        return self.scheduler.call_at(self.now() + ring_timeout + RONA_GRACE, ring_out)

    # ------------------------------------------------------- reconciliation

    def sync_entry(self, entry: Entry) -> None:
        """Bring an entry in step with its call as the model has it now."""
        if entry.state is E.CALLING_BACK:
            callbacks.sync_callback(self, entry)
            return
        if entry.state not in _IN_QUEUE:
            return
        call = self.model.calls.get(entry.call_id)
        if call is None:
            return  # on_call_ending recorded it
        conns = call.connections
        if entry.state is E.OFFERED:
            for agent in entry.offers.values():
                conn = conns.get(agent.device or "")
                if conn is not None and conn.state is ConnectionState.CONNECTED:
                    self._answered(entry, agent, call)
                    return
        if entry.caller not in conns:
            # The caller left; the call lives on only because an agent's phone rings.
            self.finish(entry, ET.ABANDON, "abandoned", call)
            self.control.hang_up(call.call_id)
            return
        if entry.state is E.OFFERED:
            for agent in list(entry.offers.values()):
                if agent.device not in conns:
                    self.offer_failed(entry, agent)

    def _sync_agent(self, agent: Agent) -> None:
        """Bring an agent in step with its device as the model has it now."""
        device = agent.device
        if device is None:
            return
        state = agent.state
        if state is A.RESERVED and agent.offer is not None:
            offer = agent.offer
            entry = offer.entry
            if agent.agent_id in entry.offers and entry.state in (E.OFFERED, E.CALLING_BACK):
                self.sync_entry(entry)
                return
            call = self.model.calls.get(offer.call_id)
            if call is None or device not in call.connections:
                # The entry is over (answered elsewhere, abandoned): the phone stopped.
                self.offer_failed(entry, agent)
            return
        conns = self.model.by_device.get(device)
        # Reserved with no offer: a campaign holds it, and its phone is now on the call.
        if state in (A.READY, A.RESERVED) and conns:
            agent.acd_call = False
            self.transition(agent, T.CALL, cause="directCall")
        elif state is A.BUSY and not conns:
            self._call_ended(agent)

    # -------------------------------------------------------------- answer

    def _answered(self, entry: Entry, agent: Agent, call: Call) -> None:
        now = self.now()
        queue = self.queues[entry.queue]
        announce.stop_media(self, entry)
        queue.today.answered += 1
        if now - entry.entered_at <= queue.config.service_level_seconds:
            queue.today.answered_in_time += 1
        self.finish(entry, ET.ANSWER, "answered", call)
        assert agent.device is not None
        call.facts[FACT_AGENT] = agent.agent_id
        call.facts[FACT_AGENT_DEVICE] = agent.device
        self.control.leave(call.call_id, entry.point, to=agent.device, cause=EventCause.DISTRIBUTED)
        call.owner = None
        self.cancel_offer(agent)
        agent.call_id = call.call_id
        agent.acd_call = True
        agent.last_queue = entry.queue
        agent.answered_at = now
        agent.day.calls += 1
        self.remember(entry.caller, agent.agent_id, now)
        self.transition(agent, T.ANSWER, cause="answered")
        for other in list(entry.offers.values()):
            if other is not agent:
                self.offer_failed(entry, other)
        entry.offers.clear()

    def remember(self, caller: str, agent_id: str, now: float) -> None:
        if self._look_back is None:
            return
        served = self.last_served
        served.pop(caller, None)
        served[caller] = (agent_id, now)
        while len(served) > MAX_REMEMBERED_CALLERS or (
            now - next(iter(served.values()))[1] > self._look_back
        ):
            served.popitem(last=False)

    def _last_agent(self, caller: str, max_age: float) -> str | None:
        found = self.last_served.get(caller)
        if found is None or self.now() - found[1] > max_age:
            return None
        return found[0]

    # ------------------------------------------------------ offer failures

    def cancel_offer(self, agent: Agent) -> None:
        offer = agent.offer
        if offer is not None and offer.backstop is not None:
            offer.backstop.cancel()
        agent.offer = None

    def offer_failed(self, entry: Entry, agent: Agent) -> None:
        """``agent``'s phone no longer rings with the entry's call, and it did not answer."""
        entry.offers.pop(agent.agent_id, None)
        self.cancel_offer(agent)
        if agent.state is A.RESERVED:
            if self.model.by_device.get(agent.device or ""):
                # The phone was taken for a call of its own meanwhile.
                agent.acd_call = False
                self.transition(agent, T.CALL, cause="directCall")
            elif entry.state not in (E.OFFERED, E.CALLING_BACK) or entry.ring_all:
                self.free(agent, T.OFFER_ENDED, cause="offerEnded")
            else:
                agent.day.rona += 1
                if agent.pending is not None:
                    self._apply_pending(agent, cause="rona")
                else:
                    self.transition(agent, T.RONA, reason=self.config.rona_reason, cause="rona")
        if entry.state is E.OFFERED and not entry.offers:
            # Nobody took it: back to its place at the head of the queue.
            queue = self.queues[entry.queue]
            self.entry_changed(entry, ET.NO_ANSWER)
            queue.add_waiting(entry)
            self.wallboard.touch(queue)
            if entry.timed_out:
                overflow.max_wait_reached(self, entry)
            else:
                self.dispatch_queue(queue)

    # ------------------------------------------------------------ after call

    def _call_ended(self, agent: Agent) -> None:
        """A busy agent's device has no call left."""
        call_id, agent.call_id = agent.call_id, None
        if not agent.acd_call:
            self.free(agent, T.READY, cause="callEnded")
            return
        agent.acd_call = False
        queue = self.queues.get(agent.last_queue or "")
        wrap = queue.config.wrap_up if queue is not None else 0.0
        if agent.pending is not None or wrap == 0.0:
            self._record_handle_time(agent)
            self.free(agent, T.READY, cause="callEnded")
            return
        # The after-call work belongs to the call just ended: its state change carries
        # the call, so the records add this time to the call's acw_seconds.
        self.transition(agent, T.WORK, cause="callEnded", call_id=call_id)
        if wrap is not None:
            agent.wrap_timer = self.scheduler.call_at(
                self.now() + wrap, lambda: self._wrap_done(agent)
            )

    def _wrap_done(self, agent: Agent) -> None:
        agent.wrap_timer = None
        if agent.state is A.WORKING_AFTER_CALL:
            self.end_wrap_up(agent, T.READY, cause="wrapUpEnded")

    def end_wrap_up(
        self, agent: Agent, trigger: AgentTrigger, reason: str | None = None, cause: str = ""
    ) -> None:
        """Leave after-call work (its timer, or the agent's request)."""
        if agent.wrap_timer is not None:
            agent.wrap_timer.cancel()
            agent.wrap_timer = None
        self._record_handle_time(agent)
        if trigger is T.READY:
            self.free(agent, T.READY, cause=cause)
        elif trigger is T.LOG_OFF:
            self.log_off(agent, cause=cause)
        else:
            self.transition(agent, trigger, reason=reason, cause=cause)

    def _record_handle_time(self, agent: Agent) -> None:
        if agent.answered_at is None:
            return
        queue = self.queues.get(agent.last_queue or "")
        if queue is not None:
            queue.handle_times.append(self.now() - agent.answered_at)
        agent.answered_at = None

    def free(self, agent: Agent, trigger: AgentTrigger, *, cause: str) -> None:
        """Leave a call or an offer: into a pending state if one was asked for, else ready."""
        if agent.pending is not None and agent.state in (A.BUSY, A.RESERVED):
            self._apply_pending(agent, cause=cause)
            return
        self.transition(agent, trigger, cause=cause)
        self.dispatch_agent(agent)

    def _apply_pending(self, agent: Agent, *, cause: str) -> None:
        assert agent.pending is not None
        state, reason = agent.pending
        agent.pending = None
        if state is A.LOGGED_OFF:
            self.log_off(agent, cause=cause)
        else:
            self.transition(agent, _PENDING_TRIGGER[state], reason=reason, cause=cause)

    # ---------------------------------------------------- agent transitions

    def transition(
        self,
        agent: Agent,
        trigger: AgentTrigger,
        *,
        reason: str | None = None,
        cause: str = "",
        call_id: str | None = None,
    ) -> None:
        """The one place an agent's state changes: figures, indexes, notice, event.

        ``call_id`` names the call the new state belongs to when the agent holds no
        call any more (after-call work); otherwise it is the agent's offer or call.
        """
        now = self.now()
        old = agent.state
        new = next_state(old, trigger)
        agent.account(now)
        if old is A.READY:
            self.router.make_unavailable(agent)
        for name in agent.active:
            queue = self.queues[name]
            queue.counts[old] -= 1
            queue.counts[new] += 1
            self.wallboard.touch(queue)
        old_reason = agent.reason
        agent.state = new
        agent.reason = reason if new is A.NOT_READY else None
        if new is not old or agent.reason != old_reason:
            agent.since = now
        if new is A.READY:
            agent.ready_since = now
        self.model.notify(
            AgentStateChanged(
                agent_id=agent.agent_id,
                device=agent.device,
                old_state=old.value,
                new_state=new.value,
                reason_code=agent.reason,
                at=now,
                call_id=call_id or (agent.offer.call_id if agent.offer else agent.call_id),
                queues=tuple(sorted(agent.active)),
            )
        )
        publish_agent_event(
            self,
            agent,
            "AgentLoggedOnEvent" if old is A.LOGGED_OFF else STATE_EVENTS[new],
            old,
            cause,
        )

    def set_active(self, agent: Agent, active: frozenset[str]) -> None:
        """Change the queues an agent serves now (log-on, log-off, groups, schedules)."""
        old = agent.active
        if active == old:
            return
        gone, added = old - active, active - old
        if agent.state is A.READY:
            self.router.make_unavailable(agent, gone)
        agent.active = active
        for name in gone:
            queue = self.queues[name]
            queue.members.pop(agent.agent_id, None)
            queue.counts[agent.state] -= 1
            agent.memberships[name].active = False
            self.wallboard.touch(queue)
        for name in added:
            queue = self.queues[name]
            queue.members[agent.agent_id] = agent
            queue.counts[agent.state] += 1
            agent.memberships[name].active = True
            self.wallboard.touch(queue)
        if added and agent.state is A.READY:
            self.dispatch_agent(agent)
        for name in gone:
            queue = self.queues[name]
            if not queue.members:
                overflow.nobody_left(self, queue)

    def scheduled_groups(self, agent: Agent, now: float) -> frozenset[str]:
        """The queues ``agent`` is logged on to whose schedule is open now."""
        wanted = agent.wanted_groups()
        if not wanted:
            return frozenset()
        local = self.calendar.local(now)
        out = set()
        for name in wanted:
            schedule = agent.memberships[name].config.schedule
            if schedule is None or self.config.schedules[schedule].active(local):
                out.add(name)
        return frozenset(out)

    def log_off(self, agent: Agent, *, cause: str) -> None:
        """Log an agent off (it must not be busy or reserved)."""
        if agent.wrap_timer is not None:
            agent.wrap_timer.cancel()
            agent.wrap_timer = None
        agent.pending = None
        agent.logged_groups = None
        self.set_active(agent, frozenset())
        self.transition(agent, T.LOG_OFF, cause=cause)
        if agent.device is not None:
            self.by_device.pop(agent.device, None)
        agent.device = None

    # ---------------------------------------------------------- entries

    def entry_changed(self, entry: Entry, trigger: EntryTrigger) -> None:
        entry.state = next_entry_state(entry.state, trigger)

    def finish(self, entry: Entry, trigger: EntryTrigger, outcome: str, call: Call | None) -> None:
        """The caller leaves the queue (``outcome``): books, call facts, the wait notice."""
        queue = self.queues[entry.queue]
        self.entry_changed(entry, trigger)
        queue.waiting.discard(entry.entry_id)
        self.cancel_timers(entry)
        if trigger is ET.ABANDON:
            queue.today.abandoned += 1
        self.forget(entry)
        self.record_leave(entry, outcome, call)
        self.wallboard.touch(queue)

    def record_leave(self, entry: Entry, outcome: str, call: Call | None) -> None:
        """The waiting caller left the line: its call's facts and a ``QueueWaitObserved``."""
        now = self.now()
        if call is not None:
            call.facts[FACT_QUEUE_LEFT_AT] = now
            call.facts[FACT_QUEUE_OUTCOME] = outcome
        self.model.notify(
            QueueWaitObserved(
                queue=entry.queue,
                call_id=entry.call_id,
                seconds=now - entry.entered_at,
                outcome=outcome,
            )
        )

    def cancel_timers(self, entry: Entry) -> None:
        for timer in (entry.max_wait_timer, entry.announce_timer, entry.callback_timer):
            if timer is not None:
                timer.cancel()
        entry.max_wait_timer = entry.announce_timer = entry.callback_timer = None
        if entry.playback_id is not None:
            self.after_playback.pop(entry.playback_id, None)

    def forget(self, entry: Entry) -> None:
        """Drop a finished entry from the indexes."""
        if entry.state in FINAL:
            self.entries.pop(entry.entry_id, None)
            self.queues[entry.queue].entries.pop(entry.entry_id, None)
            for call_id in (entry.call_id, entry.callback_call):
                if call_id is not None and self.entry_of_call.get(call_id) is entry:
                    del self.entry_of_call[call_id]

    def hang_up_if_alive(self, call_id: str) -> None:
        if call_id in self.model.calls:
            self.control.hang_up(call_id)

    def _merged(self, old_call: str, new_call: str) -> None:
        """A transfer or conference merged ``old_call`` into ``new_call``: its entry follows."""
        entry = self.entry_of_call.pop(old_call, None)
        if entry is None:
            return
        if entry.call_id == old_call:
            entry.call_id = new_call
        if entry.callback_call == old_call:
            entry.callback_call = new_call
        self.entry_of_call[new_call] = entry
        for agent in entry.offers.values():
            if agent.offer is not None and agent.offer.call_id == old_call:
                agent.offer.call_id = new_call
        call = self.model.calls.get(new_call)
        if entry.call_id == new_call and call is not None and entry.state in _IN_QUEUE:
            # Transferred into the queue: whoever consulted it has left, and the
            # waiting party is now the merged call's (the customer).
            if call.calling_device in call.connections:
                entry.caller = call.calling_device
            if self.queues[entry.queue].config.answer:
                announce.music(self, entry, True)

    # ------------------------------------------------------------ queries

    def queue_figures(self) -> list[QueueFigures]:
        """``facts.AcdStatistics``: every queue's figures now."""
        now = self.now()
        return [queue.figures(now) for queue in self.queues.values()]

    def check_reason(self, reason: str | None) -> None:
        if reason is not None and reason not in self.reason_codes:
            codes = ", ".join(sorted(self.reason_codes))
            raise CstaError(
                CstaErrorValue.INVALID_PARAMETER_VALUE,
                f"reasonCode {reason!r} is not a configured reason code ({codes})",
            )
