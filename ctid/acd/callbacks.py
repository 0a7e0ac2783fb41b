"""Callback in queue: a waiting caller presses a digit, hangs up, and is called back.

The caller's entry stays in the queue's waiting list with its key, so it
keeps its place. When it reaches an agent, the agent's phone is prompted
(``MakeCall``: it rings, or answers by itself for an auto-answer agent) and,
once the agent takes it, the customer is dialled. The entry is answered when
the customer picks up. If the agent does not take the prompt, the entry goes
back to its place (and the agent gets ring-no-answer); if the customer cannot
be reached, the entry is tried again ``callback_retry`` seconds later, up to
``callback_attempts`` times.

Like the rest of the engine, outcomes are read from the model's state of the
callback call whenever one of its events goes by.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..calls.errors import CstaError
from ..calls.states import ConnectionState
from ..facts import (
    FACT_AGENT,
    FACT_AGENT_DEVICE,
    FACT_QUEUE,
    FACT_QUEUE_ENTERED_AT,
    FACT_QUEUE_LEFT_AT,
    FACT_QUEUE_OUTCOME,
    FACT_RINGING_STARTED_AT,
)
from .agent import Agent, Offer
from .agent_states import AgentState, AgentTrigger
from .announce import CALLBACK_CONFIRMED, stop_media
from .entry_states import EntryState, EntryTrigger

if TYPE_CHECKING:
    from .core import AcdCore
    from .queue import Entry, QueueRuntime

__all__ = ["offer_callback", "request_callback", "sync_callback"]

log = logging.getLogger(__name__)

A = AgentState
E = EntryState
ET = EntryTrigger


def request_callback(engine: AcdCore, queue: QueueRuntime, entry: Entry) -> None:
    """The waiting caller pressed the callback digit."""
    call = engine.model.calls.get(entry.call_id)
    stop_media(engine, entry)
    engine.entry_changed(entry, ET.CALLBACK)
    engine.cancel_timers(entry)
    engine.record_leave(entry, "callback", call)
    queue.today.callbacks_requested += 1
    engine.entry_of_call.pop(entry.call_id, None)
    engine.wallboard.touch(queue)
    # Thank the caller, then let the line go; the entry keeps its place.
    call_id = entry.call_id
    try:
        playback = engine.control.play(call_id, CALLBACK_CONFIRMED)
    except Exception:  # NoSuchCall: the caller is already gone
        return
    engine.after_playback[playback] = lambda: engine.hang_up_if_alive(call_id)


def offer_callback(engine: AcdCore, queue: QueueRuntime, entry: Entry, agent: Agent) -> bool:
    """Prompt ``agent``'s phone to call the customer back; False if it cannot be done now."""
    assert agent.device is not None
    try:
        cid = engine.csta.make_call(
            agent.device,
            entry.caller,
            prompt=not agent.config.auto_answer,
            user_data={"ctid.queue": queue.name, "ctid.callbackFor": entry.call_id},
        )
    except CstaError as exc:
        log.warning("cannot call %s back from %s: %s", entry.caller, agent.agent_id, exc.message)
        return False
    now = engine.now()
    queue.waiting.discard(entry.entry_id)
    engine.entry_changed(entry, ET.OFFER)
    entry.callback_call = cid.call_id
    entry.callback_attempts += 1
    engine.entry_of_call[cid.call_id] = entry
    call = engine.model.calls[cid.call_id]
    call.facts[FACT_QUEUE] = queue.name
    call.facts[FACT_QUEUE_ENTERED_AT] = entry.entered_at
    call.facts[FACT_RINGING_STARTED_AT] = now
    offer = Offer(entry=entry, call_id=cid.call_id, at=now)
    offer.backstop = engine.backstop(agent, offer, queue.config.ring_timeout)
    agent.offer = offer
    entry.offers = {agent.agent_id: agent}
    engine.transition(agent, AgentTrigger.OFFER, cause="callback")
    engine.wallboard.touch(queue)
    return True


def sync_callback(engine: AcdCore, entry: Entry) -> None:
    """Bring a callback in step with its call."""
    if entry.state is not E.CALLING_BACK or entry.callback_call is None:
        return
    agent = next(iter(entry.offers.values()), None)
    if agent is None:
        return
    call = engine.model.calls.get(entry.callback_call)
    conns = call.connections if call is not None else {}
    mine = conns.get(agent.device or "")
    if agent.state is A.RESERVED and agent.offer is not None and agent.offer.entry is entry:
        if mine is None:
            # The agent let the prompt ring out: not the customer's attempt.
            entry.callback_attempts -= 1
            engine.offer_failed(entry, agent)
            _again(engine, entry, at_once=True)
            return
        if mine.state is ConnectionState.CONNECTED:
            engine.cancel_offer(agent)
            agent.call_id = entry.callback_call
            agent.acd_call = False
            engine.transition(agent, AgentTrigger.ANSWER, cause="callback")
    customer = conns.get(entry.caller)
    if customer is not None and customer.state is ConnectionState.CONNECTED:
        _reached(engine, entry, agent)
        return
    failed = customer is not None and customer.state is ConnectionState.FAIL
    if failed or call is None or (mine is None and agent.state is not A.RESERVED):
        # The customer could not be reached (busy, no answer), or the agent gave up.
        entry.offers.clear()
        if call is not None:
            engine.control.hang_up(call.call_id)
        _again(engine, entry, at_once=False)


def _reached(engine: AcdCore, entry: Entry, agent: Agent) -> None:
    now = engine.now()
    queue = engine.queues[entry.queue]
    assert entry.callback_call is not None
    assert agent.device is not None
    call = engine.model.calls.get(entry.callback_call)
    if call is not None:
        call.facts[FACT_QUEUE_LEFT_AT] = now
        call.facts[FACT_QUEUE_OUTCOME] = "answered"
        call.facts[FACT_AGENT] = agent.agent_id
        call.facts[FACT_AGENT_DEVICE] = agent.device
    queue.today.callbacks_answered += 1
    entry.offers.clear()
    engine.entry_changed(entry, ET.ANSWER)
    engine.forget(entry)
    agent.acd_call = True
    agent.last_queue = entry.queue
    agent.answered_at = now
    agent.day.calls += 1
    engine.remember(entry.caller, agent.agent_id, now)
    engine.wallboard.touch(queue)


def _again(engine: AcdCore, entry: Entry, *, at_once: bool) -> None:
    """The attempt failed: back to the entry's place, now or after the retry delay, or give up."""
    queue = engine.queues[entry.queue]
    engine.entry_of_call.pop(entry.callback_call or "", None)
    entry.callback_call = None
    if entry.callback_attempts >= queue.config.callback_attempts:
        engine.entry_changed(entry, ET.GIVE_UP)
        engine.forget(entry)
        engine.wallboard.touch(queue)
        return
    engine.entry_changed(entry, ET.NO_ANSWER)

    def back() -> None:
        entry.callback_timer = None
        if entry.state is E.CALLBACK:
            queue.add_waiting(entry)
            engine.wallboard.touch(queue)
            engine.dispatch_queue(queue)

    if at_once:
        back()
    else:
        entry.callback_timer = engine.scheduler.call_at(
            engine.now() + queue.config.callback_retry, back
        )
