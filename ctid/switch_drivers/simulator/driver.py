"""The simulator driver: a thin trio shell around ``SimSwitch``.

One task serves the card's deadlines and pumps its events into the call
model's channel in order. Commands and phone actions change the card
synchronously and wake the pump. The card reads time only through
``trio.current_time()`` (its ``now``), so a day of traffic runs in seconds on ``MockClock``.

The simulator can also pretend to lose its link (``drop_link``/``restore_link``)
so the reconnect-and-resync path of the call model is exercised exactly as with
a real switch: while the link is down, commands fail with ``DriverUnavailable``
and events are lost; on restore the card reports a full ``Resynchronized``.
"""

from __future__ import annotations

import functools
import logging
import math
import wave
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs
import trio

from ... import faximage
from ...blocking import Blocking, in_thread
from ...numbers import parse_number_ranges
from ...structure import Problems
from ...timers import Timer, TimerQueue
from .. import base as sw
from ..lines import WrittenLines, extensions_as_written
from . import fax
from .audio import write_wav
from .config import Callees, FaxMachine, OutsideBehaviour, OutsideRule, SimulatorConfig
from .core import LineState, SimError, SimSwitch

__all__ = ["SimError", "SimulatorDriver"]

log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class _OutsideSection:
    pattern: str
    behaviour: OutsideBehaviour = OutsideBehaviour.ANSWER
    answer_after: float = 2.0
    hangup_after: float | None = None
    machine: bool = False
    greeting_seconds: float = 0.8


@attrs.frozen(kw_only=True)
class _CalleesSection:
    pattern: str
    answer_share: float = 1.0
    machine_share: float = 0.0
    answer_after: list[float] = attrs.field(factory=lambda: [2.0, 10.0])
    greeting_seconds: list[float] = attrs.field(factory=lambda: [3.0, 15.0])
    message_seconds: float = 20.0


@attrs.frozen(kw_only=True)
class _FaxMachineSection:
    pattern: str
    pages: int = 3
    behaviour: OutsideBehaviour = OutsideBehaviour.ANSWER
    answer_after: float = 2.0
    fail_at_page: int | None = None
    cng: bool = True


@attrs.frozen(kw_only=True)
class _Section:
    """``[switch.simulator]`` as written in the config file."""

    extensions: str | list[str] = "1001-1010"
    trunks: int = 8
    trunk_group: str = "T"
    ring_timeout: float = 45.0
    inter_digit_timeout: float = 4.0
    first_digit_timeout: float = 15.0
    dial_delay: float = 0.5
    auto_answer_delay: float = 0.0
    default_sound_seconds: float = 1.0
    sounds_dir: str | None = None
    outside: list[_OutsideSection] | None = None
    fax_machines: list[_FaxMachineSection] | None = None
    fax_bit_rate: int = 9600
    callees: list[_CalleesSection] | None = None
    callee_seed: int = 0


def _callees(
    raw: list[_CalleesSection] | None, path: str, problems: Problems
) -> tuple[Callees, ...]:
    crowds = []
    for i, c in enumerate(raw or ()):
        key = f"{path}.callees[{i}]"
        for name in ("answer_share", "machine_share"):
            if not 0 <= getattr(c, name) <= 1:
                problems.add(f"{key}.{name}", "a fraction from 0 to 1")
        for name in ("answer_after", "greeting_seconds"):
            span = getattr(c, name)
            if len(span) != 2 or not 0 <= span[0] <= span[1]:
                problems.add(f"{key}.{name}", "expected [low, high] seconds, low <= high")
        if problems.found_under(key):
            continue
        try:
            crowds.append(
                Callees(
                    pattern=c.pattern,
                    answer_share=c.answer_share,
                    machine_share=c.machine_share,
                    answer_after=(c.answer_after[0], c.answer_after[1]),
                    greeting_seconds=(c.greeting_seconds[0], c.greeting_seconds[1]),
                    message_seconds=c.message_seconds,
                )
            )
        except Exception as exc:  # re.error from a bad pattern
            problems.add(f"{key}.pattern", f"bad pattern: {exc}")
    return tuple(crowds)


def config_from_section(
    section: Mapping[str, Any], path: str = "switch.simulator"
) -> tuple[SimulatorConfig, Path | None]:
    """Check and convert a ``[switch.simulator]`` section; errors name the key (all of
    them: a ``StructureError`` holding every problem found)."""
    problems = Problems()
    raw = problems.salvage(_Section, section, path)
    extensions: tuple[str, ...] = ()
    try:
        extensions = tuple(parse_number_ranges(raw.extensions))
    except ValueError as exc:
        problems.add(f"{path}.extensions", str(exc))
    if raw.trunks < 0 or raw.trunks > 1000:
        problems.add(f"{path}.trunks", "must be between 0 and 1000")
    for key in ("ring_timeout", "inter_digit_timeout", "first_digit_timeout"):
        if getattr(raw, key) <= 0:
            problems.add(f"{path}.{key}", "must be more than 0 seconds")
    outside = SimulatorConfig().outside
    if raw.outside is not None:
        rules = []
        for i, rule in enumerate(raw.outside):
            try:
                rules.append(
                    OutsideRule(
                        pattern=rule.pattern,
                        behaviour=rule.behaviour,
                        answer_after=rule.answer_after,
                        hangup_after=rule.hangup_after,
                        machine=rule.machine,
                        greeting_seconds=rule.greeting_seconds,
                    )
                )
            except Exception as exc:  # re.error from a bad pattern
                problems.add(f"{path}.outside[{i}].pattern", f"bad pattern: {exc}")
        outside = tuple(rules)
    fax_machines = SimulatorConfig().fax_machines
    if raw.fax_machines is not None:
        machines = []
        for i, m in enumerate(raw.fax_machines):
            if m.pages < 1 or m.pages > faximage.MAX_PAGES:
                problems.add(f"{path}.fax_machines[{i}].pages", "must be 1 to 500")
            try:
                machines.append(
                    FaxMachine(
                        pattern=m.pattern,
                        pages=m.pages,
                        behaviour=m.behaviour,
                        answer_after=m.answer_after,
                        fail_at_page=m.fail_at_page,
                        cng=m.cng,
                    )
                )
            except Exception as exc:  # re.error from a bad pattern
                problems.add(f"{path}.fax_machines[{i}].pattern", f"bad pattern: {exc}")
        fax_machines = tuple(machines)
    if raw.fax_bit_rate not in (2400, 4800, 7200, 9600, 12000, 14400):
        problems.add(f"{path}.fax_bit_rate", "must be a V.27ter/V.29/V.17 rate")
    callees = _callees(raw.callees, path, problems)
    problems.raise_any()
    config = SimulatorConfig(
        extensions=extensions,
        trunks=raw.trunks,
        trunk_group=raw.trunk_group,
        ring_timeout=raw.ring_timeout,
        inter_digit_timeout=raw.inter_digit_timeout,
        first_digit_timeout=raw.first_digit_timeout,
        dial_delay=raw.dial_delay,
        auto_answer_delay=raw.auto_answer_delay,
        default_sound_seconds=raw.default_sound_seconds,
        outside=outside,
        fax_machines=fax_machines,
        fax_bit_rate=raw.fax_bit_rate,
        callees=callees,
        callee_seed=raw.callee_seed,
    )
    return config, Path(raw.sounds_dir) if raw.sounds_dir else None


class SimulatorDriver(sw.SwitchDriver):
    """The built-in voice-card simulator (the default driver)."""

    name: ClassVar[str] = "simulator"

    def __init__(self, config: SimulatorConfig | None = None, *, sounds_dir: Path | None = None):
        self.config = config or SimulatorConfig()
        self.sounds_dir = sounds_dir
        self.card = SimSwitch(self.config, sound_seconds=self._sound_seconds)
        #: trio's time; ``ctid simulate`` reads its clock directly (the same float, one
        #: call instead of trio's three, ~10 times a simulated call).
        self.now: Callable[[], float] = trio.current_time
        self._emit: trio.MemorySendChannel[sw.SwitchEvent] | None = None
        self._wakeup = trio.Event()
        #: The deadline the pump task sleeps until, while it sleeps (else -inf).
        self._sleeping_until = -math.inf
        #: The pump task is handing events over (it may wait on a full channel).
        self._pumping = False
        self._link_up = False
        self._restore_pending = False
        self._execute_wrapped = type(self).execute is not SimulatorDriver.execute
        #: Carry commands out synchronously when the call service asks (``execute_now``).
        #: Off in the daemon, where the executor task carries them out as for any
        #: switch; ``ctid simulate`` turns it on (on MockClock, in one process).
        self.commands_at_once = False
        #: A command carried out at once made a card timer due now (``advance_now``).
        self._due_in_turn = False
        #: The card's events are kept for the call service to take (``hold``), and
        #: some were (``_held``).
        self._holding = False
        self._held = False
        #: Recordings are written one at a time, in a worker thread.
        self._file_limiter = trio.CapacityLimiter(1)
        #: How blocking file work runs (``inline`` in tests on MockClock).
        self.blocking: Blocking = in_thread
        #: Faxes being received: fax id -> the texts of the pages the machine sends.
        self._fax_pages: dict[str, list[str]] = {}
        #: ``ctid simulate``: the card's deadlines are served by this queue's task
        #: (``serve_timers``), not by the pump task's cancel scope.
        self._timers: TimerQueue | None = None
        self._card_timer: Timer | None = None

    @classmethod
    def from_config(
        cls, section: Mapping[str, Any], *, path: str = "switch.simulator"
    ) -> SimulatorDriver:
        config, sounds_dir = config_from_section(section, path)
        return cls(config, sounds_dir=sounds_dir)

    @classmethod
    def lines_from_config(cls, section: Mapping[str, Any]) -> WrittenLines:
        """The extensions and outside lines ``section`` names, even when it has problems."""
        trunks, group = section.get("trunks", 8), section.get("trunk_group", "T")
        lines = None
        if isinstance(trunks, int) and 0 <= trunks <= 1000 and isinstance(group, str):
            lines = {group: tuple(f"{group}/{n}" for n in range(1, trunks + 1))}
        return WrittenLines(
            extensions=extensions_as_written(section.get("extensions", "1001-1010")),
            trunk_groups=lines,
        )

    @property
    def capabilities(self) -> frozenset[sw.Capability]:
        # Everything but surviving a restart: the simulated switch lives in ctid's process.
        return frozenset(sw.Capability) - {sw.Capability.SURVIVES_RESTART}

    @property
    def extensions(self) -> tuple[str, ...]:
        return self.config.extensions

    @property
    def trunk_groups(self) -> Mapping[str, tuple[str, ...]]:
        return {self.config.trunk_group: tuple(line.name for line in self.card.trunk_lines)}

    @property
    def calls_per_line(self) -> int | None:
        return 1  # a voice-card line carries one call

    def held_objects(self) -> Mapping[str, int]:
        card = self.card
        return {
            "channels": len(card.channels),
            "bridges": len(card.bridges),
            "playbacks": len(card.playbacks),
            "recordings": len(card.recordings) + len(card.finished_recordings),
            "supervisions": len(card.supervisions),
            "faxes": len(card.fax.active) + len(self._fax_pages),
            "timers": card.pending_timers(),
        }

    # ------------------------------------------------------------------ run

    async def run(
        self,
        emit: trio.MemorySendChannel[sw.SwitchEvent],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        self._emit = emit
        async with emit:
            await emit.send(sw.LinkStateChanged(state=sw.LinkState.SYNCING))
            await emit.send(self.card.snapshot())
            await emit.send(sw.LinkStateChanged(state=sw.LinkState.UP))
            self._link_up = True
            task_status.started()
            while True:
                self._wakeup = trio.Event()
                try:
                    if self._timers is not None:
                        # The queue's task advances the card at its deadlines.
                        self._sleeping_until = math.inf
                        self._arm(self.card.next_deadline())
                        await self._wakeup.wait()
                    else:
                        self._sleeping_until = deadline = self.card.next_deadline()
                        with trio.move_on_at(deadline):
                            await self._wakeup.wait()
                finally:
                    self._sleeping_until = -math.inf
                self.card.advance(self.now())
                self._pumping = True
                try:
                    await self._pump(emit)
                finally:
                    self._pumping = False

    def _hand_over(self) -> bool:
        """Give ctid the card's new events now, without waking the pump task.

        Only while that task sleeps with nothing of its own under way, the link is
        up and no event needs file work first; then the order is the card's, as if
        the task had pumped them. True if every event went; else the task must.
        """
        emit = self._emit
        if emit is None or self._pumping or not self._link_up or self._restore_pending:
            return False
        events = self.card.events
        if self._holding:
            for event in events:
                if isinstance(event, sw.RecordingFinished | sw.FaxFinished):
                    self._holding = False  # file work first: the pump task's, in order
                    break
            else:
                # Kept, as if handed over: the call service takes them (``take_held``).
                self._held = True
                return True
        while events:
            event = events[0]
            if isinstance(event, sw.RecordingFinished | sw.FaxFinished):
                return False
            try:
                emit.send_nowait(event)
            except trio.WouldBlock:
                return False
            events.popleft()
        return True

    async def _pump(self, emit: trio.MemorySendChannel[sw.SwitchEvent]) -> None:
        events = self.card.events
        if self._restore_pending:
            self._restore_pending = False
            events.clear()
            await emit.send(sw.LinkStateChanged(state=sw.LinkState.SYNCING))
            snapshot = self.card.snapshot()
            # Up from the moment the snapshot is taken: what ctid does about it (the
            # resync's hang-ups) finds the link up, however soon it runs. Events that
            # causes wait in the card until this pump has sent UP.
            self._link_up = True
            await emit.send(snapshot)
            await emit.send(sw.LinkStateChanged(state=sw.LinkState.UP))
        while events:
            event = events.popleft()
            if isinstance(event, sw.RecordingFinished):
                event = await self._write_recording(event)
            elif isinstance(event, sw.FaxFinished):
                event = await self._write_fax(event)
            if self._link_up:
                try:
                    # No scheduler round-trip per event while the channel has room;
                    # a full channel still makes the card wait (back-pressure).
                    emit.send_nowait(event)
                except trio.WouldBlock:
                    await emit.send(event)

    async def _write_recording(
        self, event: sw.RecordingFinished
    ) -> sw.RecordingFinished | sw.RecordingFailed:
        """Write a finished recording's audio before telling ctid it is done."""
        rec = self.card.finished_recordings.pop(event.recording_id, None)
        if rec is None or rec.ended_at is None:
            return event
        try:
            await self.blocking(
                write_wav,
                Path(rec.path),
                rec.segments,
                rec.started_at,
                rec.ended_at,
                limiter=self._file_limiter,
            )
        except OSError as exc:
            log.warning("simulator: cannot write recording %s: %s", rec.path, exc)
            return sw.RecordingFailed(recording_id=event.recording_id, detail=str(exc))
        return event

    async def _write_fax(self, event: sw.FaxFinished) -> sw.FaxFinished:
        """Write the pages a simulated machine sent before telling ctid the fax ended."""
        texts = self._fax_pages.pop(event.fax_id, None)
        if texts is None or event.path is None or not event.pages:
            return event
        try:
            data = await self.blocking(
                faximage.make_fax_tiff, texts[: event.pages], limiter=self._file_limiter
            )
            await self.blocking(_write_file, Path(event.path), data, limiter=self._file_limiter)
        except OSError as exc:
            log.warning("simulator: cannot write fax %s: %s", event.path, exc)
            return attrs.evolve(
                event,
                success=False,
                path=None,
                result_code=fax.T30_FILE_ERROR,
                result_text=fax.T30_TEXT[fax.T30_FILE_ERROR],
            )
        return event

    async def _start_fax(self, command: sw.ReceiveFax | sw.SendFax) -> None:
        """Read (send) or make (receive) the document first: the card times its pages."""
        card = self.card
        chan = card.channels.get(command.channel_id)
        if chan is None:
            raise sw.CommandRejected(sw.RejectReason.NO_SUCH_CHANNEL, command.channel_id)
        sizes: tuple[int, ...] | None
        if isinstance(command, sw.SendFax):
            try:
                info = await self.blocking(
                    faximage.tiff_info, Path(command.path), limiter=self._file_limiter
                )
                sizes = info.page_bytes
            except (OSError, faximage.FaxImageError) as exc:
                log.warning("simulator: cannot send fax %s: %s", command.path, exc)
                sizes = None
        else:
            machine = self.config.fax_machine(chan.device)
            pages = machine.pages if machine is not None else 0
            texts = [
                f"Simulated fax from {chan.device}\nto {chan.called_number or '-'}\n"
                f"Document page {n}"
                for n in range(1, pages + 1)
            ]
            sizes = ()
            if texts:
                data = await self.blocking(
                    faximage.make_fax_tiff, texts, limiter=self._file_limiter
                )
                sizes = faximage.tiff_info(data).page_bytes
                self._fax_pages[command.fax_id] = texts
        if not self._link_up:
            raise sw.DriverUnavailable("the simulated switch link is down")
        try:
            fax.start(card, command, sizes, self.now())
        except sw.CommandRejected:
            self._fax_pages.pop(command.fax_id, None)
            raise

    def _changed(self, *, in_turn: bool = False) -> None:
        """The card changed (a command, a phone, a caller): its events must reach ctid.

        Handing them over here saves the pump task a wake-up per change (several
        per call). It still wakes when it has work the hand-over cannot do: a
        deadline earlier than the one it sleeps until, media being recorded
        (``advance`` notes what each recording hears), or events left over. A
        deadline due now that a command carried out ``in_turn`` (``execute_now``)
        armed is left to the call service's turn (``advance_now``, else
        ``end_of_turn`` wakes the task).
        """
        card = self.card
        if self._hand_over() and not card.recordings:
            deadline = card.next_deadline()
            if self._timers is not None and not (in_turn and deadline <= self.now()):
                self._arm(deadline)
                return
            if deadline >= self._sleeping_until:
                return
            if in_turn and deadline <= self.now():
                self._due_in_turn = True
                return
        self._wakeup.set()

    # ------------------------------------------- the card's deadlines on a TimerQueue

    def serve_timers(self, timers: TimerQueue) -> None:
        """``ctid simulate`` only: ``timers``' task advances the card at its deadlines
        while the pump task sleeps (from its next sleep on), one timer armed at a time.

        The pump task then sleeps without a deadline (no cancel scope, no wake-up per
        card deadline: a callee answering, a machine's greeting, a ring timing out); the
        timer's callback advances the card and hands its events over as a command
        would, so ``CallService.fold_after`` folds them in the timer's own turn. What the
        hand-over cannot do (media being recorded, a full channel, file work) still
        wakes the pump task, as before.
        """
        self._timers = timers
        self._wakeup.set()

    def _arm(self, deadline: float) -> None:
        """Keep the one card timer at ``deadline`` (none at ``inf``)."""
        timers = self._timers
        armed = self._card_timer
        if armed is not None:
            if armed.active and armed.deadline == deadline:
                return
            armed.cancel()
            self._card_timer = None
        if timers is not None and deadline < math.inf:
            self._card_timer = timers.call_at(deadline, self._card_due)

    def _card_due(self) -> None:
        self._card_timer = None
        if self._sleeping_until != math.inf:
            # The pump task is awake (pumping, or between sleeps): it advances the card.
            self._wakeup.set()
            return
        self.card.advance(self.now())
        self._changed()

    def advance_now(self) -> bool:
        """``inprocess.ExecutesNow``: the card's timers a command made due now, run at once."""
        if not self._due_in_turn:
            return False
        self._due_in_turn = False
        card = self.card
        if self._pumping or not self._link_up or self._restore_pending or card.recordings:
            self._wakeup.set()
            return False
        card.advance(self.now())
        if not self._hand_over():
            self._wakeup.set()
        elif self._timers is not None:
            self._arm(card.next_deadline())
        elif card.next_deadline() < self._sleeping_until:
            self._wakeup.set()
        return True

    def hold(self, on: bool) -> None:
        """``inprocess.ExecutesNow``: keep the card's new events for ``take_held`` (on);
        off: hand over those still kept, in order, as ``_changed`` would have."""
        self._holding = on
        if not on and self._held:
            self._held = False
            if self.card.events and not self._hand_over():
                self._wakeup.set()

    def take_held(self) -> sw.SwitchEvent | None:
        """``inprocess.ExecutesNow``: the next event kept by ``hold``, if any."""
        events = self.card.events
        if (
            not events
            or not self._held
            or self._pumping
            or not self._link_up
            or self._restore_pending
            or isinstance(events[0], sw.RecordingFinished | sw.FaxFinished)
        ):
            return None
        return events.popleft()

    def end_of_turn(self) -> None:
        """``inprocess.ExecutesNow``: timers due now that ``advance_now`` did not run."""
        if self._due_in_turn:
            self._due_in_turn = False
            self._wakeup.set()

    def execute_now(self, command: sw.SwitchCommand) -> bool:
        """``inprocess.ExecutesNow``: the card carries the command out at once."""
        # Faxes read or write a document first; a link that is down is execute()'s to
        # report; a subclass that wraps execute() (a test recording commands) gets them all.
        if (
            not self.commands_at_once
            or not self._link_up
            or self._execute_wrapped
            or isinstance(command, sw.ReceiveFax | sw.SendFax)
        ):
            return False
        self.card.execute(command, self.now())
        self._changed(in_turn=True)
        return True

    async def execute(self, command: sw.SwitchCommand) -> None:
        if not self._link_up:
            raise sw.DriverUnavailable("the simulated switch link is down")
        if isinstance(command, sw.ReceiveFax | sw.SendFax):
            await self._start_fax(command)
        else:
            self.card.execute(command, self.now())
        self._changed()

    # ------------------------------------------------------- phones, callers

    def off_hook(self, device: str) -> str:
        """A phone goes off-hook (answers if ringing); returns its channel id."""
        channel_id = self.card.off_hook(device, self.now())
        self._changed()
        return channel_id

    def on_hook(self, device: str) -> None:
        """A phone, or an outside caller by number, hangs up."""
        self.card.on_hook(device, self.now())
        self._changed()

    def press_digits(self, device: str, digits: str) -> None:
        self.card.press_digits(device, digits, self.now())
        self._changed()

    def hold_key(self, device: str) -> None:
        self.card.hold_key(device, self.now())
        self._changed()

    def incoming_call(self, calling: str, called: str, trunk: str | None = None) -> str:
        """An outside caller dials in; returns the switch channel id of the call."""
        channel_id = self.card.incoming_call(calling, called, self.now(), trunk=trunk)
        self._changed()
        return channel_id

    def line_state(self, device: str) -> LineState:
        return self.card.line_state(device)

    def drop_link(self) -> None:
        """Pretend the connection to the switch was lost (events are lost until restored)."""
        if self._link_up:
            self._link_up = False
            self.card.events.clear()
            if self._emit is not None:
                try:
                    self._emit.send_nowait(
                        sw.LinkStateChanged(state=sw.LinkState.DOWN, detail="simulated link loss")
                    )
                except trio.WouldBlock:
                    log.warning("event channel full; link-down notice delayed")
                    self.card.events.append(
                        sw.LinkStateChanged(state=sw.LinkState.DOWN, detail="simulated link loss")
                    )

    def restore_link(self) -> None:
        """Reconnect: the card reports everything it has, then UP."""
        if not self._link_up:
            self._restore_pending = True
            self._changed()

    # ------------------------------------------------------------------ media

    def _sound_seconds(self, uri: str) -> float:
        scheme, _, rest = uri.partition(":")
        if scheme == "file":
            return _wav_seconds(rest) or self.config.default_sound_seconds
        if scheme == "silence":
            try:
                return max(0.0, float(rest))
            except ValueError:
                return self.config.default_sound_seconds
        if scheme == "sound" and self.sounds_dir is not None:
            seconds = _wav_seconds(str(self.sounds_dir / f"{rest}.wav"))
            if seconds:
                return seconds
        return self.config.default_sound_seconds


@functools.lru_cache(maxsize=4096)
def _wav_seconds(path: str) -> float:
    """The duration of a WAV file from its header (0.0 if unreadable).

    Read in the trio thread on purpose: it is a cached 44-byte header read, and
    handing it to a worker thread would let MockClock jump while it runs.
    """
    try:
        with wave.open(path, "rb") as wav:
            rate = wav.getframerate()
            return wav.getnframes() / rate if rate else 0.0
    except (OSError, EOFError, wave.Error):
        return 0.0


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
