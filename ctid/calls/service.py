"""The call service: the trio task that owns the call model and the switch driver.

It is the thin I/O shell around the pure ``CallModel``:

* one task reads the driver's events in order and folds them in;
* one task runs the switch commands the model returns, strictly in the order
  they were produced (a hold must reach the switch before the transfer that
  follows it), so a slow switch delays commands but never event intake;
* after every step it hands the model's CSTA events to the publisher (the bus)
  and its notices to ctid's services.

CSTA requests come in through ``request()``: the service runs synchronously on
the model (validation, then mutation), its commands are queued, and the caller
waits until they have been carried out, so a request is answered only once
the switch has accepted it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final, ParamSpec, TypeVar

import trio

from ..clock import WallClock
from ..switch_drivers import base as sw
from ..switch_drivers.inprocess import ExecutesNow
from .errors import CstaError, CstaErrorValue
from .keep import CallKeeper, LiveRows
from .model import CallModel, Emitted
from .notices import Notice
from .recover import clear_ended_while_down
from .services import CstaServices

__all__ = ["CallService"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: Batches of switch commands waiting for the executor. A full queue makes
#: requesters wait (back-pressure), never grows memory.
COMMAND_QUEUE_SIZE: Final = 4096
#: Most switch events folded in one scheduler turn (then other tasks get theirs).
EVENT_BURST: Final = 256

_REJECTIONS = {
    sw.RejectReason.NO_SUCH_CHANNEL: CstaErrorValue.INVALID_CONNECTION_IDENTIFIER,
    sw.RejectReason.NO_SUCH_BRIDGE: CstaErrorValue.INVALID_CALL_IDENTIFIER,
    sw.RejectReason.INVALID_STATE: CstaErrorValue.INVALID_OBJECT_STATE,
    sw.RejectReason.INVALID_DESTINATION: CstaErrorValue.INVALID_DESTINATION,
    sw.RejectReason.NO_RESOURCES: CstaErrorValue.RESOURCE_BUSY,
    sw.RejectReason.NOT_SUPPORTED: CstaErrorValue.INVALID_FEATURE,
    sw.RejectReason.SWITCH_ERROR: CstaErrorValue.GENERIC,
}

_ORIGINATE_FAILURES = {
    sw.RejectReason.NO_RESOURCES: sw.HangupCause.CONGESTION,
    sw.RejectReason.INVALID_DESTINATION: sw.HangupCause.UNREACHABLE,
}

#: What ``_turn``'s ``take`` returns at the end of the event channel (no event).
_END: Final = sw.SwitchEvent()

EventSink = Callable[[Emitted], None]
NoticeSink = Callable[[Notice], None]


class _Batch:
    __slots__ = ("commands", "done", "error")

    def __init__(self, commands: list[sw.SwitchCommand]) -> None:
        self.commands = commands
        self.done = trio.Event()
        self.error: sw.DriverError | None = None


class CallService:
    """Owns a ``CallModel`` and a ``SwitchDriver``; see the module docstring."""

    def __init__(
        self,
        *,
        model: CallModel,
        driver: sw.SwitchDriver,
        clock: WallClock,
    ) -> None:
        self.model = model
        self.driver = driver
        self.clock = clock
        self.csta = CstaServices(model, driver.capabilities)
        self.event_sinks: list[EventSink] = []
        self.notice_sinks: list[NoticeSink] = []
        self._send, self._receive = trio.open_memory_channel[_Batch](COMMAND_QUEUE_SIZE)
        #: Batches sent to the executor and not yet taken, and whether it is carrying
        #: one out: while neither, a command may be carried out at once in order.
        self._queued = 0
        self._executing = False
        self._now: ExecutesNow | None = driver if isinstance(driver, ExecutesNow) else None
        self.commands_failed = 0
        self._changed = trio.Event()
        #: The event loop waits in ``receive()`` (or was just handed an event: then it
        #: is runnable; ``fold_after``).
        self._loop_waits = False
        #: Writes the calls to the live store as they change (``keep``), if there is one.
        self.keeper: CallKeeper | None = None
        #: Set once the first resynchronisation with the switch is folded in (the
        #: calls of a previous run are restored or known gone by then).
        self.resynced = trio.Event()

    def keep(self, store: LiveRows) -> CallKeeper:
        """Keep the calls in ``store`` and recover those of the previous run from it.

        Call before ``run``: the stored calls are restored by the driver's first
        resynchronisation.
        """
        clock = self.clock
        self.model.from_wall = lambda wall: clock.anchor_trio + (wall - clock.anchor_wall)
        self.keeper = CallKeeper(store, clock.at)
        self.keeper.adopt(self.model)
        return self.keeper

    # ------------------------------------------------------------------ run

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start the driver and serve until cancelled; ready once the driver is."""
        send_events, receive_events = trio.open_memory_channel[sw.SwitchEvent](
            sw.EVENT_CHANNEL_SIZE
        )
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._execute_loop)
            nursery.start_soon(self._event_loop, receive_events)
            await nursery.start(self.driver.run, send_events)
            task_status.started()

    async def _event_loop(self, receive: trio.MemoryReceiveChannel[sw.SwitchEvent]) -> None:
        def take() -> sw.SwitchEvent | None:
            try:
                return receive.receive_nowait()
            except trio.WouldBlock:
                return None
            except trio.EndOfChannel:
                return _END  # the next receive() sees the end of the channel

        async with receive:
            while True:
                self._loop_waits = True
                try:
                    event = await receive.receive()
                except trio.EndOfChannel:
                    return
                finally:
                    self._loop_waits = False
                commands = self._turn(event, take)
                if commands:
                    await self._submit(_Batch(commands))

    def _turn(
        self, event: sw.SwitchEvent, take: Callable[[], sw.SwitchEvent | None]
    ) -> list[sw.SwitchCommand]:
        """Fold in ``event`` and every one ``take`` has behind it (None: nothing now) in
        one scheduler turn; returns the commands left for the executor.

        A call is ~16 switch events, mostly in bursts: the same order, one wake-up per
        burst instead of per event. The executor cannot run before the turn ends, so
        the commands of the burst go as one batch, in the order they were produced.
        """
        commands = self._fold(event)
        for _ in range(EVENT_BURST - 1):
            if commands:
                commands = self._execute_now(commands)
            taken = take()
            if taken is None:
                # The switch's timers those commands made due now (an agent's phone
                # answering by itself) run in this turn too, instead of in a wake-up
                # of the driver's task that would run just them.
                if commands or not self._advance_now():
                    break
                continue
            if taken is _END:
                break
            commands += self._fold(taken)
        if commands:
            commands = self._execute_now(commands)
        if self._now is not None:
            self._now.end_of_turn()
        self._changed.set()
        self._changed = trio.Event()
        return commands

    def fold_after(self, work: Callable[[], object], alone: bool) -> None:
        """Run ``work`` (the daemon's timers due now, which change the switch), then fold
        the switch's events in this same turn: what the event loop's next wake-up would
        have done, one scheduler pass and one task step earlier (issue 14).

        ``ctid simulate`` only (``TimerQueue.wrap_due``): the driver holds the events
        back while ``work`` runs (``ExecutesNow.hold``). They are folded here only when
        nothing could have run between: ``alone`` (the clock woke this task, and no
        other, at this instant), no other task runnable, the event loop waiting with
        nothing queued, no command waiting for the executor. Otherwise they go to the
        event loop as before.
        """
        driver = self._now
        if driver is None or not alone:
            work()
            return
        driver.hold(True)
        try:
            work()
            # Waiting in receive() and not runnable: nothing was handed to it, and its
            # channel is empty (trio's channels wait only when empty).
            if (
                self._loop_waits
                and not self._queued
                and not self._executing
                and not _tasks_runnable()
            ):
                event = driver.take_held()
                if event is not None:
                    commands = self._turn(event, driver.take_held)
                    if commands:
                        # The queue is empty (checked above): this never waits.
                        self._send.send_nowait(_Batch(commands))
                        self._queued += 1
        finally:
            # Events not folded here (a burst's end, or the cases above) go to the
            # event loop in their order.
            driver.hold(False)

    async def _submit(self, batch: _Batch) -> None:
        """Queue a batch for the executor (waiting while the queue is full)."""
        self._queued += 1
        try:
            self._send.send_nowait(batch)
        except trio.WouldBlock:
            try:
                await self._send.send(batch)
            except BaseException:
                self._queued -= 1
                raise

    def _execute_now(self, commands: list[sw.SwitchCommand]) -> list[sw.SwitchCommand]:
        """Carry out commands at once where the driver can and nothing queued is ahead of
        them (the simulator: its events come back in this same turn of the event loop,
        instead of a wake-up of the executor and another of this loop). Failures are
        handled as the executor handles them. Returns the commands left for the executor.
        """
        driver = self._now
        if driver is None or self._queued or self._executing:
            return commands
        for i, command in enumerate(commands):
            try:
                if not driver.execute_now(command):
                    return commands[i:]
            except sw.DriverError as exc:
                self.commands_failed += 1
                _log_refusal(command, exc)
                more = self._compensate(command, exc)
                more += self.flush()
                for j, extra in enumerate(more):
                    try:
                        if not driver.execute_now(extra):
                            return more[j:] + commands[i + 1 :]
                    except sw.DriverError as again:
                        _log_refusal(extra, again)
        return []

    def _advance_now(self) -> bool:
        """The driver's timers due now, run in order with everything else: only while
        no command waits for the executor (as ``_execute_now``). True if events came."""
        driver = self._now
        return (
            driver is not None and not self._queued and not self._executing and driver.advance_now()
        )

    def _fold(self, event: sw.SwitchEvent) -> list[sw.SwitchCommand]:
        """One switch event into the model; the switch commands it led to."""
        commands = self.model.apply(event)
        commands += self.flush()
        if isinstance(event, sw.Resynchronized):
            self.resynced.set()
        return commands

    async def _execute_loop(self) -> None:
        async for batch in self._receive:
            self._queued -= 1
            self._executing = True
            for command in batch.commands:
                try:
                    await self.driver.execute(command)
                except sw.DriverError as exc:
                    self.commands_failed += 1
                    if batch.error is None:
                        batch.error = exc
                    _log_refusal(command, exc)
                    more = self._compensate(command, exc)
                    more += self.flush()
                    for extra in more:
                        try:
                            await self.driver.execute(extra)
                        except sw.DriverError as again:
                            _log_refusal(extra, again)
            self._executing = False
            batch.done.set()

    def _compensate(self, command: sw.SwitchCommand, exc: sw.DriverError) -> list[sw.SwitchCommand]:
        """A command failed: fold in what that means for the model."""
        if isinstance(command, sw.Originate):
            reason = exc.reason if isinstance(exc, sw.CommandRejected) else None
            cause = (
                _ORIGINATE_FAILURES.get(reason, sw.HangupCause.FAILED)
                if reason
                else sw.HangupCause.FAILED
            )
            leg = self.model.legs.get(command.channel_id)
            if leg is not None:
                leg.created = True
            return self.model.apply(
                sw.ChannelHungUp(channel_id=command.channel_id, cause=cause, detail=str(exc))
            )
        # Bridge, media and hang-up commands that fail mean the switch already
        # changed under us (a party hung up); its events will say so.
        return []

    # -------------------------------------------------------------- outputs

    def flush(self) -> list[sw.SwitchCommand]:
        """Hand the model's events and notices to their sinks, in order.

        Returns the switch commands the model holds afterwards, including any a
        sink caused by reacting synchronously (a service acting on a notice).
        """
        model = self.model
        while model.outbox or model.notices:
            if model.outbox:
                events, model.outbox = model.outbox, []
                for emitted in events:
                    for sink in self.event_sinks:
                        sink(emitted)
            if model.notices:
                notices, model.notices = model.notices, []
                for notice in notices:
                    for notice_sink in self.notice_sinks:
                        notice_sink(notice)
        if self.keeper is not None:
            self.keeper.sync(model)
        else:
            model.dirty.clear()
        return model.take_commands()

    # ------------------------------------------------------------- requests

    async def request(self, service: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a CSTA service, carry out its commands, and return its result.

        Raises ``CstaError`` if validation fails (nothing changed) or if the
        switch refused one of its commands.
        """
        result = service(*args, **kwargs)
        commands = self.model.take_commands()
        commands += self.flush()
        if commands:
            batch = _Batch(commands)
            await self._submit(batch)
            await batch.done.wait()
            if batch.error is not None:
                raise _to_csta(batch.error) from batch.error
        return result

    async def execute(self, commands: list[sw.SwitchCommand]) -> None:
        """Carry out commands issued by a service (IVR, ACD) in order with everything else."""
        commands = self.model.take_commands() + list(commands) + self.flush()
        if commands:
            batch = _Batch(commands)
            await self._submit(batch)
            await batch.done.wait()
            if batch.error is not None:
                raise batch.error

    async def call_for_channel(self, channel_id: str) -> str:
        """The call a switch-made channel started, once the model has folded it in."""
        while True:
            call_id = self.model.channel_calls.get(channel_id)
            if call_id is not None:
                return call_id
            await self._changed.wait()

    def clear_ended_while_down(self) -> list[str]:
        """End the stored calls that ended while ctid was away (``calls.recover``).

        ``App`` calls it once every service has started (and restored its state).
        """
        ended = clear_ended_while_down(self.model)
        self.sync()
        return ended

    def sync(self) -> None:
        """After a service changed the model outside ``request()``: publish and queue commands."""
        commands = self.flush()
        if commands:
            try:
                self._send.send_nowait(_Batch(commands))
                self._queued += 1
            except trio.WouldBlock:
                # A full command queue means the switch is far behind; shedding
                # here would corrupt call state, so fail loudly instead.
                raise RuntimeError("switch command queue is full") from None


try:
    # ``trio.lowlevel.current_statistics().tasks_runnable`` builds the run's I/O
    # statistics too: a third of ``fold_after``'s cost, twice a simulated call.
    from trio._core._run import GLOBAL_RUN_CONTEXT as _RUN

    def _tasks_runnable() -> int:
        return len(_RUN.runner.runq)

except ImportError:  # pragma: no cover - a trio that moved it

    def _tasks_runnable() -> int:
        return trio.lowlevel.current_statistics().tasks_runnable


def _log_refusal(command: sw.SwitchCommand, exc: sw.DriverError) -> None:
    # A party hanging up while ctid bridges it is an everyday race, not a fault.
    gone = isinstance(exc, sw.CommandRejected) and exc.reason in (
        sw.RejectReason.NO_SUCH_CHANNEL,
        sw.RejectReason.NO_SUCH_BRIDGE,
    )
    log.log(logging.DEBUG if gone else logging.WARNING, "switch refused %r: %s", command, exc)


def _to_csta(exc: sw.DriverError) -> CstaError:
    if isinstance(exc, sw.CommandRejected):
        return CstaError(_REJECTIONS[exc.reason], f"the switch refused: {exc}")
    return CstaError(CstaErrorValue.RESOURCE_OUT_OF_SERVICE, f"the switch is unavailable: {exc}")
