"""The ACD's live state across restarts: agents, queue entries, last-agent memory.

``AcdPersistence`` saves what the engine knows and the switch does not, as
rows of a ``LiveRows`` store (``ctid.livestate.store.LiveStore``), and puts
it back into a fresh engine at start, before the API serves:

* kind ``agent`` (key: agent id): where it is logged on, its state, reason and
  ``since``, pending state, groups, the call it handles or is offered, its
  after-call-work deadline and today's figures (strategies read them);
* kind ``queue_entry`` (key: the entry's call id): queue, route point, caller,
  priority, arrival order, entry time, state, callback attempts;
* kind ``last_agent`` (key: caller number): the agent and time for the
  ``last-agent`` strategy;
* kind ``queue`` (key: queue name): today's figures (offered, answered,
  abandoned, in time, ...: ``queue.figures`` and the service level) with their
  date, and the recent handle times the estimated wait is computed from.

Saving is cheap and follows the engine's steps: assignments to an ``Agent`` or
``Entry`` mark it (``agent.watched``), and at the end of each step (the ACD
service's step hooks) the marked ones are written; the store coalesces and
writes behind. Times are stored as wall-clock seconds, since trio's clock
starts again with each process.

Restoring trusts the switch over the rows: an agent whose device is gone is
logged off (``AgentLoggedOffEvent`` with cause ``deviceRemoved``); an entry
whose call is no longer there is dropped; a busy or ringing agent is brought in
step with the calls at its phone as the call model has them after its own
restart (``callstate``).
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from ..calls.states import ConnectionState
from ..calls.values import DeviceType
from ..clock import WallClock
from . import announce, overflow
from .agent import Agent, AgentDay, Offer
from .agent_states import AgentState
from .entry_states import FINAL, EntryState
from .queue import Entry, QueueDay, QueueRuntime

if TYPE_CHECKING:
    from .engine import AcdEngine

__all__ = ["DEVICE_REMOVED", "AcdPersistence", "LiveRows", "WatchedLastServed"]

log = logging.getLogger(__name__)

A = AgentState
E = EntryState

#: The ``cause`` of the event that logs off an agent whose phone is gone after a restart.
DEVICE_REMOVED = "deviceRemoved"

_DAY_FIELDS = ("calls", "talk", "acw", "not_ready", "ready", "reserved", "rona")
_QUEUE_DAY_FIELDS = (
    "offered",
    "answered",
    "abandoned",
    "overflowed",
    "answered_in_time",
    "callbacks_requested",
    "callbacks_answered",
)


class LiveRows(Protocol):
    """The store's part the ACD uses (``ctid.livestate.store.LiveStore``)."""

    def load(self, kind: str) -> dict[str, dict[str, Any]]: ...

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None: ...

    def delete(self, kind: str, key: str) -> None: ...


class WatchedLastServed(OrderedDict[str, tuple[str, float]]):
    """``AcdEngine.last_served`` that notes which callers changed (to save them)."""

    def __init__(self, items: Iterable[tuple[str, tuple[str, float]]] = ()) -> None:
        super().__init__(items)
        self.changed: set[str] = set()

    def __setitem__(self, key: str, value: tuple[str, float]) -> None:
        super().__setitem__(key, value)
        self.changed.add(key)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.changed.add(key)

    def pop(self, key: str, *default: Any) -> Any:
        self.changed.add(key)
        return super().pop(key, *default)

    def popitem(self, last: bool = True) -> tuple[str, tuple[str, float]]:
        item = super().popitem(last)
        self.changed.add(item[0])
        return item


def _to_trio(clock: WallClock, wall: float) -> float:
    return wall - clock.anchor_wall + clock.anchor_trio


class AcdPersistence:
    """See the module docstring: ``restore()`` once at start, ``save()`` after each step."""

    def __init__(self, engine: AcdEngine, rows: LiveRows) -> None:
        self.engine = engine
        self.rows = rows
        self._dirty_agents: dict[str, Agent] = {}
        self._dirty_entries: dict[str, Entry] = {}
        #: Entry id -> the key its row was saved under (its call id then).
        self._entry_keys: dict[str, str] = {}
        #: At restore: stored entry id -> the restored entry's id.
        self._renamed: dict[str, str] = {}
        self.last_served = WatchedLastServed()
        engine.last_served = self.last_served
        #: What was last written for each queue (its figures change at every call).
        self._queue_rows: dict[str, dict[str, Any]] = {}
        for agent in engine.agents.values():
            agent.watch = self._agent_changed

    def _agent_changed(self, agent: Agent) -> None:
        self._dirty_agents[agent.agent_id] = agent

    def _entry_changed(self, entry: Entry) -> None:
        self._dirty_entries[entry.entry_id] = entry

    def _wall(self, trio_time: float) -> float:
        return self.engine.clock.at(trio_time)

    def _trio(self, wall: float) -> float:
        return _to_trio(self.engine.clock, wall)

    # ------------------------------------------------------------------ save

    def save(self) -> None:
        """Write what changed in this step (a step hook of the ACD service)."""
        engine = self.engine
        for entry_id, entry in engine.entries.items():
            if entry_id not in self._entry_keys and entry.state not in FINAL:
                entry.watch = self._entry_changed
                self._dirty_entries[entry_id] = entry
        if self._dirty_entries:
            self._save_entries()
        if self._dirty_agents:
            dirty, self._dirty_agents = self._dirty_agents, {}
            for agent in dirty.values():
                self.rows.put("agent", agent.agent_id, self.agent_row(agent))
        for queue in engine.queues.values():
            row = self.queue_row(queue)
            if self._queue_rows.get(queue.name) != row:
                self._queue_rows[queue.name] = row
                self.rows.put("queue", queue.name, row)
        if self.last_served.changed:
            changed, self.last_served.changed = self.last_served.changed, set()
            for caller in changed:
                found = self.last_served.get(caller)
                if found is None:
                    self.rows.delete("last_agent", caller)
                else:
                    self.rows.put(
                        "last_agent", caller, {"agent": found[0], "at": self._wall(found[1])}
                    )

    def _save_entries(self) -> None:
        dirty, self._dirty_entries = self._dirty_entries, {}
        gone: set[str] = set()
        puts: dict[str, dict[str, Any]] = {}
        for entry_id, entry in dirty.items():
            old_key = self._entry_keys.get(entry_id)
            if entry.state in FINAL or entry_id not in self.engine.entries:
                entry.watch = None
                self._entry_keys.pop(entry_id, None)
                if old_key is not None:
                    gone.add(old_key)
                continue
            if old_key is not None and old_key != entry.call_id:
                gone.add(old_key)  # merged into another call (a transfer)
            self._entry_keys[entry_id] = entry.call_id
            puts[entry.call_id] = self.entry_row(entry)
        # A call that left one queue for another this step: its new row stays.
        for key in gone - puts.keys():
            self.rows.delete("queue_entry", key)
        for key, row in puts.items():
            self.rows.put("queue_entry", key, row)

    def agent_row(self, agent: Agent) -> dict[str, Any]:
        engine = self.engine
        now = engine.now()
        offer = agent.offer
        wrap = agent.wrap_timer
        deadline = getattr(wrap, "deadline", None) if wrap is not None else None
        day = {name: getattr(agent.day, name) for name in _DAY_FIELDS}
        day["date"] = engine.calendar.local(now).date().isoformat()
        return {
            "device": agent.device,
            "state": agent.state.value,
            "reason": agent.reason,
            "since": self._wall(agent.since),
            "groups": None if agent.logged_groups is None else sorted(agent.logged_groups),
            "pending": None
            if agent.pending is None
            else [agent.pending[0].value, agent.pending[1]],
            "offerCall": offer.call_id if offer is not None else None,
            "offerAt": self._wall(offer.at) if offer is not None else None,
            "offerEntry": offer.entry.entry_id if offer is not None else None,
            "callID": agent.call_id,
            "acdCall": agent.acd_call,
            "lastQueue": agent.last_queue,
            "answeredAt": None if agent.answered_at is None else self._wall(agent.answered_at),
            "readySince": self._wall(agent.ready_since),
            "wrapUntil": None if deadline is None else self._wall(deadline),
            "accounted": self._wall(agent.accounted),
            "day": day,
        }

    def queue_row(self, queue: QueueRuntime) -> dict[str, Any]:
        """Today's figures of ``queue`` and its recent handle times."""
        day: dict[str, Any] = {name: getattr(queue.today, name) for name in _QUEUE_DAY_FIELDS}
        day["date"] = self.engine.calendar.local(self.engine.now()).date().isoformat()
        return {"day": day, "handleTimes": list(queue.handle_times)}

    def _restore_queues(self, rows: dict[str, dict[str, Any]], now: float) -> None:
        today = self.engine.calendar.local(now).date().isoformat()
        for name, row in rows.items():
            queue = self.engine.queues.get(name)
            if queue is None:
                self.rows.delete("queue", name)
                continue
            try:
                day = row.get("day") or {}
                if day.get("date") == today:
                    queue.today = QueueDay(**{f: int(day[f]) for f in _QUEUE_DAY_FIELDS})
                queue.handle_times.extend(float(t) for t in row.get("handleTimes") or ())
            except (KeyError, ValueError, TypeError) as exc:
                log.error("live state: figures of queue %s not restored (%r)", name, exc)
                continue
            self._queue_rows[name] = self.queue_row(queue)

    def entry_row(self, entry: Entry) -> dict[str, Any]:
        queue = self.engine.queues[entry.queue]
        return {
            "entryID": entry.entry_id,
            "queue": entry.queue,
            "callID": entry.call_id,
            "point": entry.point,
            "caller": entry.caller,
            "priority": entry.priority,
            "seq": entry.seq,
            "enteredAt": self._wall(entry.entered_at),
            "state": entry.state.value,
            "listed": entry.entry_id in queue.waiting,
            "ringAll": entry.ring_all,
            "timedOut": entry.timed_out,
            "callbackAttempts": entry.callback_attempts,
            "callbackCall": entry.callback_call,
            "callerChannel": self._caller_channel(entry),
        }

    def _caller_channel(self, entry: Entry) -> str | None:
        """The switch's channel id of the waiting caller (finds the call if its id changed)."""
        call = self.engine.model.calls.get(entry.call_id)
        conn = call.connections.get(entry.caller) if call is not None else None
        return conn.leg.channel_id if conn is not None and conn.leg is not None else None

    def _find_call(self, call_id: str, caller: str, channel: object) -> str | None:
        """The call of a stored entry now: by its id if that is still the same call (the
        caller's channel is in it), else by the caller's channel (the id was not kept)."""
        call = self.engine.model.calls.get(call_id)
        if call is not None:
            conn = call.connections.get(caller)
            same = not isinstance(channel, str) or (
                conn is not None and conn.leg is not None and conn.leg.channel_id == channel
            )
            if conn is not None and same:
                return call_id
        return self._call_by_channel(channel)

    def _call_by_channel(self, channel: object) -> str | None:
        if not isinstance(channel, str):
            return None
        for call in self.engine.model.calls.values():
            for conn in call.connections.values():
                if conn.leg is not None and conn.leg.channel_id == channel:
                    return call.call_id
        return None

    # --------------------------------------------------------------- restore

    def restore(self) -> None:
        """Put the stored agents, entries and last agents back (a start hook)."""
        engine = self.engine
        now = engine.now()
        served = sorted(
            (
                (caller, (str(row["agent"]), self._trio(float(row["at"]))))
                for caller, row in self.rows.load("last_agent").items()
            ),
            key=lambda item: item[1][1],
        )
        self.last_served.update(served)
        self.last_served.changed.clear()
        # Before the entries: an entry whose caller left meanwhile counts in them.
        self._restore_queues(self.rows.load("queue"), now)
        entries = self._restore_entries(self.rows.load("queue_entry"))
        agents = self.rows.load("agent")
        restored: list[Agent] = []
        # Every agent gets a row now, so a logged-off agent's ``since`` lasts too.
        self._dirty_agents.update(engine.agents)
        for agent_id, row in sorted(agents.items()):
            agent = engine.agents.get(agent_id)
            if agent is None:
                log.warning("live state: agent %s is no longer configured; forgotten", agent_id)
                self.rows.delete("agent", agent_id)
                continue
            try:
                if self._restore_agent(agent, row, entries, now):
                    restored.append(agent)
            except (KeyError, ValueError, TypeError) as exc:
                log.error("live state: agent %s not restored (%r): %s", agent_id, exc, row)
        for entry in entries.values():
            if entry.state is E.OFFERED and not entry.offers:
                # Its agents' phones no longer ring with it: back in its place.
                entry.state = E.WAITING
        for entry in entries.values():
            queue = engine.queues[entry.queue]
            # A callback waiting out its retry delay gets its place back now.
            if entry.state in (E.WAITING, E.CALLBACK):
                queue.add_waiting(entry)
            entry.watch = self._entry_changed
            self._entry_keys[entry.entry_id] = entry.call_id
            engine.wallboard.touch(queue)
        # Reconcile with the calls as the switch has them now, then serve the queues.
        for agent in restored:
            if agent.state in (A.BUSY, A.RESERVED):
                engine._sync_agent(agent)
        for entry in list(entries.values()):
            engine.sync_entry(entry)
        for queue in engine.queues.values():
            engine.dispatch_queue(queue)
        for agent in restored:
            if agent.state is A.READY:
                engine.dispatch_agent(agent)
        log.info(
            "live state: %d agent(s) logged on, %d caller(s) queued, %d last agent(s) restored",
            sum(1 for a in engine.agents.values() if a.logged_on),
            len(entries),
            len(self.last_served),
        )

    def _restore_entries(self, rows: dict[str, dict[str, Any]]) -> dict[str, Entry]:
        engine = self.engine
        entries: dict[str, Entry] = {}
        top = 0
        for key, row in rows.items():
            try:
                entry = self._entry(row)
            except (KeyError, ValueError, TypeError) as exc:
                log.error("live state: queue entry %s not restored (%r): %s", key, exc, row)
                self.rows.delete("queue_entry", key)
                continue
            if entry is None:
                self.rows.delete("queue_entry", key)
                continue
            top = max(top, entry.seq)
            self._renamed[str(row["entryID"])] = entry.entry_id
            entries[entry.entry_id] = entry
            engine.entries[entry.entry_id] = entry
            engine.queues[entry.queue].entries[entry.entry_id] = entry
            live = entry.live_call
            if live is not None:
                engine.entry_of_call[live] = entry
        # New callers arrive after every restored one.
        engine._seq = itertools.count(top + 1)
        return entries

    def _entry(self, row: dict[str, Any]) -> Entry | None:
        engine = self.engine
        queue = engine.queues.get(str(row["queue"]))
        if queue is None:
            log.warning("live state: queue %s is no longer configured; its caller is dropped", row)
            return None
        state = EntryState(row["state"])
        call_id = str(row["callID"])
        callback_call = row.get("callbackCall")
        if state in (E.WAITING, E.OFFERED):
            found = self._find_call(call_id, str(row["caller"]), row.get("callerChannel"))
            if found is None:
                log.info(
                    "live state: call %s left queue %s during the restart", call_id, queue.name
                )
                return None
            if found != call_id:
                log.info("live state: queued call %s is back as %s", call_id, found)
            call_id = found
        if state is E.CALLING_BACK and (callback_call not in engine.model.calls):
            state = E.CALLBACK
            callback_call = None
        entry = Entry(
            # A new id: ids are unique per run, and new entries of this run must not
            # collide with it (``offerEntry`` of the agents' rows maps through ``_renamed``).
            entry_id=engine.model.ids.new("qe"),
            queue=queue.name,
            call_id=call_id,
            point=str(row["point"]),
            caller=str(row["caller"]),
            priority=int(row["priority"]),
            seq=int(row["seq"]),
            entered_at=self._trio(float(row["enteredAt"])),
            state=state,
            ring_all=bool(row.get("ringAll", False)),
            timed_out=bool(row.get("timedOut", False)),
            callback_attempts=int(row.get("callbackAttempts", 0)),
            callback_call=None if callback_call is None else str(callback_call),
        )
        if state in (E.WAITING, E.OFFERED):
            call = engine.control.take(call_id, entry.point)
            point = call.connections.get(entry.point)
            if state is E.WAITING and (point is None or point.state is not ConnectionState.QUEUED):
                # The call came back without its place at the queue (the switch has no
                # such thing): queue it there again.
                engine.control.queue(call_id, entry.point)
            cfg = queue.config
            if cfg.max_wait:
                deadline = entry.entered_at + cfg.max_wait
                entry.max_wait_timer = engine.scheduler.call_at(
                    max(deadline, engine.now()), lambda: overflow.max_wait_reached(engine, entry)
                )
            if cfg.answer and not cfg.greeting:
                announce.schedule_announcement(engine, entry)
        return entry

    def _restore_agent(
        self, agent: Agent, row: dict[str, Any], entries: dict[str, Entry], now: float
    ) -> bool:
        """Put one agent back; True if it is logged on afterwards."""
        engine = self.engine
        day_row = row.get("day") or {}
        if day_row.get("date") == engine.calendar.local(now).date().isoformat():
            agent.day = AgentDay(**{name: day_row[name] for name in _DAY_FIELDS})
        state = AgentState(row["state"])
        if state is A.LOGGED_OFF:
            agent.since = self._trio(float(row["since"]))
            agent.accounted = self._trio(float(row["accounted"]))
            return False
        device = row.get("device")
        if not isinstance(device, str):
            raise ValueError("a logged-on agent without a device")
        agent.state = state
        agent.reason = row.get("reason")
        agent.since = self._trio(float(row["since"]))
        agent.accounted = self._trio(float(row["accounted"]))
        agent.ready_since = self._trio(float(row["readySince"]))
        agent.device = device
        engine.by_device[device] = agent
        groups = row.get("groups")
        agent.logged_groups = None if groups is None else frozenset(groups)
        if engine.model.directory.classify(device) is not DeviceType.EXTENSION or (
            agent.config.devices and device not in agent.config.devices
        ):
            log.warning(
                "live state: agent %s was logged on at %s, which is gone; logging it off",
                agent.agent_id,
                device,
            )
            agent.call_id = None
            engine.log_off(agent, cause=DEVICE_REMOVED)
            return False
        pending = row.get("pending")
        agent.pending = None if pending is None else (AgentState(pending[0]), pending[1])
        agent.call_id = row.get("callID")
        agent.acd_call = bool(row.get("acdCall", False))
        agent.last_queue = row.get("lastQueue")
        answered = row.get("answeredAt")
        agent.answered_at = None if answered is None else self._trio(float(answered))
        if state is A.RESERVED:
            entry = entries.get(self._renamed.get(str(row.get("offerEntry")), ""))
            if entry is not None and entry.state in (E.OFFERED, E.CALLING_BACK):
                offer = Offer(
                    entry=entry, call_id=str(row["offerCall"]), at=self._trio(float(row["offerAt"]))
                )
                ring = engine.queues[entry.queue].config.ring_timeout
                left = max(0.0, offer.at + ring - now)
                offer.backstop = engine.backstop(agent, offer, left)
                agent.offer = offer
                entry.offers[agent.agent_id] = agent
            else:
                # The offered call is gone: the offer ended while ctid was down.
                agent.state = A.READY
                agent.since = agent.ready_since = now
        wrap_until = row.get("wrapUntil")
        if state is A.WORKING_AFTER_CALL and wrap_until is not None:
            agent.wrap_timer = engine.scheduler.call_at(
                max(self._trio(float(wrap_until)), now),
                lambda: engine._wrap_done(agent),
            )
        engine.set_active(agent, engine.scheduled_groups(agent, now))
        return True
