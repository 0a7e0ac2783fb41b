"""Overflow: a call leaves its queue for another destination.

The rules of a queue (``[[acd.queues.overflow]]``) say what happens when a
call has waited ``max_wait`` (``timeout``), arrives at a full queue
(``full``), arrives while agents are logged on but none is ready
(``all_busy``), or when nobody serving the queue is logged on (``no_agents``,
on arrival and when the last agent logs off). A rule sends the call to
another queue, an IVR flow's number, a device, voicemail, or hangs up; a
message may be played first. Without a rule, a timeout or a full queue hangs
up (busy for a full queue) and the other conditions let the call wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..calls.control import NoSuchCall
from ..calls.values import EventCause
from ..switch_drivers import base as sw
from .announce import stop_media
from .config import Condition, OverflowAction, OverflowRule
from .entry_states import EntryState, EntryTrigger

if TYPE_CHECKING:
    from .core import AcdCore
    from .queue import Entry, QueueRuntime

__all__ = ["max_wait_reached", "nobody_left", "overflow", "send_on"]

#: What a timeout or a full queue does without a rule.
HANG_UP_ON_TIMEOUT = OverflowRule(when=Condition.TIMEOUT, action=OverflowAction.HANGUP)
HANG_UP_WHEN_FULL = OverflowRule(when=Condition.FULL, action=OverflowAction.HANGUP)


def overflow(engine: AcdCore, entry: Entry, rule: OverflowRule) -> None:
    """Take a waiting call out of its queue and send it where ``rule`` says."""
    queue = engine.queues[entry.queue]
    queue.today.overflowed += 1
    stop_media(engine, entry)
    call = engine.model.calls.get(entry.call_id)
    outcome = "timeout" if rule.when is Condition.TIMEOUT else "overflow"
    engine.finish(entry, EntryTrigger.OVERFLOW, outcome, call)
    if call is not None:
        send_on(engine, entry.call_id, rule)


def max_wait_reached(engine: AcdCore, entry: Entry) -> None:
    entry.max_wait_timer = None
    if entry.state is EntryState.OFFERED:
        entry.timed_out = True  # decided once the ringing phone is answered, or not
        return
    if entry.state is not EntryState.WAITING:
        return
    rule = engine.queues[entry.queue].config.rule(Condition.TIMEOUT) or HANG_UP_ON_TIMEOUT
    overflow(engine, entry, rule)


def nobody_left(engine: AcdCore, queue: QueueRuntime) -> None:
    """The last agent serving ``queue`` left: its waiting callers follow the no-agents rule."""
    rule = queue.config.rule(Condition.NO_AGENTS)
    if rule is None:
        return
    for entry in queue.callers_waiting():
        overflow(engine, entry, rule)


def send_on(engine: AcdCore, call_id: str, rule: OverflowRule, *, refused: bool = False) -> None:
    """Route a call the queue lets go, after the rule's message if any."""
    if rule.message:
        engine.control.answer_caller(call_id)
        try:
            playback = engine.control.play(call_id, rule.message)
        except NoSuchCall:
            return
        engine.after_playback[playback] = lambda: _route_on(engine, call_id, rule, refused)
        return
    _route_on(engine, call_id, rule, refused)


def _route_on(engine: AcdCore, call_id: str, rule: OverflowRule, refused: bool) -> None:
    if call_id not in engine.model.calls:
        return
    if rule.action is OverflowAction.HANGUP:
        busy = refused or rule.when is Condition.FULL
        engine.control.hang_up(call_id, sw.HangupCause.BUSY if busy else sw.HangupCause.NORMAL)
        return
    assert rule.target is not None
    if rule.action is OverflowAction.VOICEMAIL and rule.mailbox is not None:
        engine.control.update_data(call_id, {"ctid.mailbox": rule.mailbox})
    engine.control.route(call_id, rule.target, cause=EventCause.OVERFLOW)
