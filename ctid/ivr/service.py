"""The IVR service: the trio shell that runs ``FlowRun``s against the call model.

One ``FlowRun`` per call at an IVR route point. The service feeds each run
what the call model reports (keys, prompts done, recordings done, the call
ending) and carries out the actions it returns through ``CallControl``:

* notices arrive inside ``CallService.flush()``, so actions taken there need
  no ``sync()``: the flush loop picks up the commands and notices they make;
* timer callbacks (one ``TimerQueue`` for every digit and recording timeout,
  not a task per call) and tasks (TTS, lookups) call ``calls.sync()`` after.

Calls in progress keep the ``Flow`` value they started with; ``reload``
swaps the service's flows for new calls only.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any, Final, Protocol

import attrs
import trio

from ..calls.control import CallControl, NoSuchCall
from ..calls.errors import CstaError
from ..calls.model import Call
from ..calls.notices import (
    CallArrived,
    CallEnded,
    DigitsDetected,
    FaxDone,
    FaxToneHeard,
    Notice,
    PlaybackDone,
    RecordingDone,
)
from ..calls.service import CallService
from ..calls.services import check_user_data
from ..clock import WallClock
from ..facts import (
    FACT_IVR_ENTERED_AT,
    FACT_IVR_EXIT,
    FACT_IVR_FLOW,
    FACT_IVR_LEFT_AT,
    FACT_RECORDINGS,
    IvrFinished,
    IvrNodeVisited,
    RecordingStateChanged,
)
from ..switch_drivers import base as sw
from ..timers import Timer, TimerQueue
from . import engine as E
from .destinations import Agents, DestinationError, Queues
from .flow import Flow, Tts
from .lookup import LookupFailed, SqlLookups
from .stats import IvrStats
from .tts import PromptCache, TtsError

__all__ = ["ROUTE_POINT_PREFIX", "IvrService"]

log = logging.getLogger(__name__)

#: The ``detail`` of the IVR run of a caller hung up because ctid restarted.
RESTARTED: Final = "ctidRestarted"

#: Every flow has a route point ``ivr:<flow>`` (where inbound routing sends calls).
ROUTE_POINT_PREFIX: Final = "ivr:"
#: Calls routed here are refused without being answered (the caller blacklist).
REJECT_POINT: Final = "ivr:reject"

Lookup = Callable[[Any], Awaitable[Any]]


class FaxHook(Protocol):
    """What ``faxReceive``/``faxSend`` nodes use of the fax service (``ctid.fax``).

    ``FaxDone`` with the returned fax id reports the end.
    """

    def fax_in(self, call_id: str, mailbox: str) -> str:
        """Receive from the caller; the fax id (raises ``NoSuchCall``)."""
        ...

    async def fax_back(
        self, call_id: str, document: str, *, header: str | None, mailbox: str
    ) -> tuple[str | None, str]:
        """Send ``document`` to the caller: (fax id, "") or (None, why not)."""
        ...


@attrs.define(eq=False)
class _Active:
    """A call in the IVR: its run and what it is waiting for on the switch."""

    call_id: str
    point: str
    run: E.FlowRun
    entered_at: float
    node_since: float
    timer: Timer | None = None
    playback_id: str | None = None
    recording_id: str | None = None
    recording_token: int = 0


class IvrService:
    """See the module docstring. ``install.install_ivr`` builds and wires it."""

    def __init__(
        self,
        *,
        calls: CallService,
        control: CallControl,
        timers: TimerQueue,
        clock: WallClock,
        timezone: _dt.tzinfo,
        queues: Queues,
        agents: Agents,
        prompts: PromptCache | None,
        http: Lookup,
        sql: SqlLookups,
        state_dir: Path,
    ) -> None:
        self.calls = calls
        self.control = control
        self.model = control.model
        self.timers = timers
        self.clock = clock
        self.timezone = timezone
        self.queues = queues
        self.agents = agents
        self.prompts = prompts
        self.http = http
        self.sql = sql
        self.state_dir = state_dir
        #: Flows for new calls, by name (flow files and the routing's own flows).
        self.flows: dict[str, Flow] = {}
        #: Route point -> flow name.
        self.points: dict[str, str] = {}
        self.active: dict[str, _Active] = {}
        self.stats = IvrStats()
        self._playbacks: dict[str, tuple[str, int]] = {}
        self._recordings: dict[str, tuple[str, int]] = {}
        #: Faxes of faxReceive/faxSend nodes: fax id -> (call id, token).
        self._faxes: dict[str, tuple[str, int]] = {}
        #: Set by the fax service when it runs (``ctid.fax.service.install``).
        self.fax: FaxHook | None = None
        #: Recording id -> (the mailbox, the path asked for) of a voicemail being left.
        self._mailboxes: dict[str, tuple[str, str]] = {}
        self._nursery: trio.Nursery | None = None
        self._pending: list[tuple[Callable[..., Awaitable[None]], tuple[Any, ...]]] = []
        self.model.ending_hooks.append(self._ending)
        calls.notice_sinks.append(self.on_notice)
        self.model.directory.add_route_point(REJECT_POINT, "ivr")

    # ------------------------------------------------------------ lifecycle

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Make the flows' fixed prompts, then serve until cancelled."""
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                # Calls can reach the IVR as soon as the call service runs, before this.
                pending, self._pending = self._pending, []
                for fn, args in pending:
                    nursery.start_soon(fn, *args)
                await self.warm(self.flows.values())
                self.close_restored()
                task_status.started()
                await trio.sleep_forever()
        finally:
            # The lookup databases' pooled connections go with the service.
            self.sql.close()

    def close_restored(self) -> list[str]:
        """Hang up the callers a previous run left in a menu (restored from live state).

        Where a caller was in a flow (its node, its timers, what it typed) is not
        kept, so the flow cannot go on; playing it again from the start would
        surprise the caller as much. The call is closed cleanly instead: its IVR
        run ends with exit ``error`` (detail ``ctidRestarted``), an ``IvrFinished``
        notice for its IVR record, and the caller is released (ConnectionCleared,
        CallCleared; the call record is closed normally). docs/design.md says why.
        """
        now = trio.current_time()
        closed: list[str] = []
        for call in list(self.model.calls.values()):
            if call.owner not in self.points or call.call_id in self.active:
                continue
            name = str(call.facts.get(FACT_IVR_FLOW) or self.points[call.owner])
            entered = call.facts.get(FACT_IVR_ENTERED_AT)
            flow = self.flows.get(name)
            call.facts[FACT_IVR_EXIT] = E.EXIT_ERROR
            call.facts[FACT_IVR_LEFT_AT] = now
            self.model.notify(
                IvrFinished(
                    flow=name,
                    version=flow.version if flow is not None else "",
                    call_id=call.call_id,
                    entered_at=float(entered) if isinstance(entered, int | float) else now,
                    left_at=now,
                    exit=E.EXIT_ERROR,
                    detail=RESTARTED,
                )
            )
            try:
                self.control.hang_up(call.call_id)
            except NoSuchCall:
                continue
            closed.append(call.call_id)
        if closed:
            log.warning(
                "IVR: %d caller(s) left in a menu by the previous run hung up: %s",
                len(closed),
                ", ".join(closed),
            )
            self.calls.sync()
        return closed

    def set_flows(self, flows: Mapping[str, Flow], numbers: Mapping[str, str] = {}) -> None:
        """Use ``flows`` for new calls; register their route points (and extra ``numbers``)."""
        self.flows = dict(flows)
        directory = self.model.directory
        for name in self.flows:
            point = ROUTE_POINT_PREFIX + name
            directory.add_route_point(point, "ivr")
            self.points[point] = name
        for number, name in numbers.items():
            directory.add_route_point(number, "ivr")
            self.points[number] = name

    async def warm(self, flows: Iterable[Flow]) -> int:
        """Make every fixed TTS prompt of ``flows`` now, so calls do not wait for them."""
        if self.prompts is None:
            return 0
        made = 0
        for text, language in sorted(_fixed_texts(flows)):
            try:
                await self.prompts.render(text, language)
                made += 1
            except TtsError as exc:
                log.warning("IVR prompt %r (%s) cannot be made: %s", text, language, exc)
        return made

    def calls_in_flows(self) -> Mapping[str, int]:
        """``IvrStatistics``: calls in each flow now."""
        out: dict[str, int] = {}
        for active in self.active.values():
            name = active.run.flow.name
            out[name] = out.get(name, 0) + 1
        return out

    def snapshot(self) -> list[dict[str, Any]]:
        """Which call is in which node now (``ivr.calls``)."""
        return [
            {
                "callID": a.call_id,
                "flow": a.run.flow.name,
                "version": a.run.flow.version,
                "node": a.run.node,
                "nodeType": a.run.flow.nodes[a.run.node].kind if a.run.node else None,
                "language": a.run.language,
                "enteredAt": self.clock.iso(a.entered_at),
                "nodeSince": self.clock.iso(a.node_since),
                "callerHungUp": a.run.hung_up,
            }
            for a in self.active.values()
        ]

    def local_now(self) -> _dt.datetime:
        return self.clock.datetime().astimezone(self.timezone)

    # -------------------------------------------------------------- notices

    def on_notice(self, notice: Notice) -> None:
        """Notice sink (inside ``CallService.flush``: no ``sync()`` here)."""
        match notice:
            case CallArrived() if notice.route_point in self.points or (
                notice.route_point == REJECT_POINT
            ):
                self._arrived(notice)
            case DigitsDetected() if notice.call_id in self.active:
                active = self.active[notice.call_id]
                call = self.model.calls.get(notice.call_id)
                if call is not None and notice.device == call.calling_device:
                    for digit in notice.digits:
                        self._feed(active, E.DigitPressed(digit=digit))
            case PlaybackDone() if notice.playback_id in self._playbacks:
                call_id, token = self._playbacks.pop(notice.playback_id)
                playing = self.active.get(call_id)
                if playing is not None:
                    if playing.playback_id == notice.playback_id:
                        playing.playback_id = None
                    self._feed(playing, E.PlayFinished(token=token, reason=notice.reason))
            case RecordingDone() if notice.recording_id in self._recordings:
                self._recorded(notice)
            case FaxDone() if notice.fax_id in self._faxes:
                call_id, token = self._faxes.pop(notice.fax_id)
                if call_id in self.active:
                    self._feed(
                        self.active[call_id],
                        E.FaxEnded(
                            token=token,
                            fax_id=notice.fax_id,
                            success=notice.success,
                            pages=notice.pages,
                            detail=notice.result_text,
                        ),
                    )
            case FaxToneHeard() if notice.call_id in self.active:
                self._feed(self.active[notice.call_id], E.FaxTone())
            case CallEnded() if notice.call_id in self.active:
                self._feed(self.active[notice.call_id], E.CallerHungUp())
            case _:
                pass

    def _arrived(self, notice: CallArrived) -> None:
        call_id = notice.call_id
        if notice.route_point == REJECT_POINT:
            # Blacklisted: refused unanswered, the cheapest answer to a nuisance.
            try:
                self.control.take(call_id, REJECT_POINT)
                self.control.hang_up(call_id, sw.HangupCause.REJECTED)
            except NoSuchCall:
                pass
            return
        flow = self.flows.get(self.points[notice.route_point])
        try:
            call = self.control.take(call_id, notice.route_point)
        except NoSuchCall:
            return
        if flow is None:
            log.warning("IVR: no flow for %s any more; hanging up %s", notice.route_point, call_id)
            self.control.hang_up(call_id)
            return
        now = trio.current_time()
        self.control.connect(call_id, notice.route_point)
        call.facts[FACT_IVR_FLOW] = flow.name
        call.facts[FACT_IVR_ENTERED_AT] = now
        run = E.FlowRun(
            flow,
            E.CallInfo(call_id=call_id, ani=call.calling_device, dnis=_dnis(call)),
            local_now=self.local_now,
            user_data=partial(_user_data, call),
        )
        active = _Active(
            call_id=call_id, point=notice.route_point, run=run, entered_at=now, node_since=now
        )
        self.active[call_id] = active
        self.stats.entered(self.local_now().date(), flow.name)
        self._feed(active, E.Start())

    def _ending(self, call: Call) -> None:
        """End hook: the caller hung up while in the IVR; stamp the record's facts now."""
        active = self.active.get(call.call_id)
        if active is not None and not active.run.finished:
            call.facts[FACT_IVR_EXIT] = E.EXIT_HANGUP
            call.facts[FACT_IVR_LEFT_AT] = trio.current_time()

    def _recorded(self, notice: RecordingDone) -> None:
        call_id, token = self._recordings.pop(notice.recording_id)
        mailbox, asked = self._mailboxes.pop(notice.recording_id, (None, ""))
        path = notice.path
        if mailbox is not None and path:
            # The file ctid asked for, with the switch's extension: Asterisk reports a
            # name relative to its recording directory, not where the file is.
            path = asked + PurePosixPath(path).suffix
        call = self.model.calls.get(call_id)
        if call is not None and not notice.failed:
            call.facts.setdefault(FACT_RECORDINGS, []).append(notice.recording_id)
        self.model.notify(
            RecordingStateChanged(
                recording_id=notice.recording_id,
                call_id=call_id,
                state="failed" if notice.failed else "stopped",
                at=trio.current_time(),
                path=path,
                duration=notice.duration,
                mailbox=mailbox,
            )
        )
        active = self.active.get(call_id)
        if active is not None:
            active.recording_id = None
            self._feed(
                active,
                E.RecordFinished(
                    token=token, path=notice.path, duration=notice.duration, failed=notice.failed
                ),
            )

    # ------------------------------------------------------------ the shell

    def _feed(self, active: _Active, event: E.Event) -> None:
        """Feed a run and carry out its actions; results of actions are fed back in turn."""
        todo = [event]
        while todo:
            actions = active.run.feed(todo.pop(0))
            for action in actions:
                follow = self._do(active, action)
                if follow is not None:
                    todo.append(follow)

    def _later(self, call_id: str, event: E.Event) -> None:
        """Feed from a timer or a task (outside flush): then publish and send commands."""
        active = self.active.get(call_id)
        if active is not None:
            self._feed(active, event)
            self.calls.sync()

    def _do(self, active: _Active, action: E.Action) -> E.Event | None:
        call_id = active.call_id
        run = active.run
        try:
            match action:
                case E.PlayPrompt():
                    return self._play(active, action)
                case E.StartTimer():
                    self._cancel_timer(active)
                    active.timer = self.timers.call_later(
                        action.seconds,
                        partial(self._later, call_id, E.TimerFired(token=action.token)),
                    )
                case E.CancelTimer():
                    self._cancel_timer(active)
                case E.DoLookup():
                    self._spawn(self._lookup, call_id, action)
                case E.StartRecording():
                    path = self._recording_path(active, action)
                    recording_id = self.control.record(call_id, str(path))
                    active.recording_id = recording_id
                    self._recordings[recording_id] = (call_id, action.token)
                    if action.mailbox is not None:
                        self._mailboxes[recording_id] = (":".join(action.mailbox), str(path))
                case E.StartFax():
                    return self._fax(call_id, action)
                case E.StopRecording():
                    if active.recording_id is not None:
                        self.control.stop_recording(active.recording_id)
                case E.SetUserData():
                    self._set_data(call_id, action.values)
                case E.EnterQueue():
                    return self._route(action.token, lambda: self._enter_queue(call_id, action))
                case E.ToAgent():
                    return self._route(action.token, lambda: self._to_agent(call_id, action.agent))
                case E.TransferTo():
                    return self._route(action.token, lambda: self._transfer(call_id, action.number))
                case E.HangUp():
                    if call_id in self.model.calls:
                        self.control.hang_up(call_id)
                case E.Visited():
                    active.node_since = trio.current_time()
                    self.stats.visited(
                        self.local_now().date(),
                        run.flow.name,
                        action.node,
                        action.kind,
                        action.choice,
                    )
                    self.model.notify(
                        IvrNodeVisited(
                            flow=run.flow.name,
                            version=run.flow.version,
                            node=action.node,
                            node_type=action.kind,
                            call_id=call_id,
                            at=trio.current_time(),
                            choice=action.choice,
                        )
                    )
                case E.LanguageChanged():
                    pass
                case E.Finished():
                    self._finished(active, action)
        except NoSuchCall:
            # The call ended under us (its CallEnded is on its way, or was handled).
            return None if run.hung_up else E.CallerHungUp()
        return None

    def _fax(self, call_id: str, action: E.StartFax) -> E.Event | None:
        if self.fax is None:
            return E.FaxEnded(token=action.token, fax_id=None, success=False, detail="no fax")
        if action.document:
            self._spawn(self._send_fax, call_id, action)
            return None
        self._faxes[self.fax.fax_in(call_id, action.mailbox)] = (call_id, action.token)
        return None

    async def _send_fax(self, call_id: str, action: E.StartFax) -> None:
        assert self.fax is not None
        fax_id, problem = await self.fax.fax_back(
            call_id, action.document, header=action.header, mailbox=action.mailbox
        )
        if fax_id is None:
            log.info("IVR call %s: fax-back of %r: %s", call_id, action.document, problem)
            event = E.FaxEnded(token=action.token, fax_id=None, success=False, detail=problem)
            self._later(call_id, event)
            return
        self._faxes[fax_id] = (call_id, action.token)

    def _spawn(self, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        if self._nursery is None:
            self._pending.append((fn, args))
        else:
            self._nursery.start_soon(fn, *args)

    def _cancel_timer(self, active: _Active) -> None:
        if active.timer is not None:
            active.timer.cancel()
            active.timer = None

    def _play(self, active: _Active, action: E.PlayPrompt) -> E.Event | None:
        media: list[str] = []
        missing = []
        for item in action.items:
            match item:
                case E.SpeakText():
                    if self.prompts is None:
                        return E.PlayFinished(
                            token=action.token, reason="failed", detail="no TTS engine configured"
                        )
                    path = self.prompts.cached(item.text, item.language)
                    if path is None:
                        missing.append(item)
                    media.append(f"file:{path}")
                case E.PlayFile():
                    media.append(f"file:{item.path}")
                case E.PlaySound():
                    media.append(f"sound:{item.name}")
                case E.PlaySilence():
                    media.append(f"silence:{item.seconds}")
        if missing:
            self._spawn(self._render_then_play, active.call_id, action)
            return None
        self._start_playback(active, action, media)
        return None

    def _start_playback(self, active: _Active, action: E.PlayPrompt, media: list[str]) -> None:
        playback_id = self.control.play(
            active.call_id, media, language=action.language, stop_on_digit=action.barge_in
        )
        active.playback_id = playback_id
        self._playbacks[playback_id] = (active.call_id, action.token)

    async def _render_then_play(self, call_id: str, action: E.PlayPrompt) -> None:
        assert self.prompts is not None
        media = []
        try:
            for item in action.items:
                if isinstance(item, E.SpeakText):
                    media.append(f"file:{await self.prompts.render(item.text, item.language)}")
                elif isinstance(item, E.PlayFile):
                    media.append(f"file:{item.path}")
                elif isinstance(item, E.PlaySound):
                    media.append(f"sound:{item.name}")
                else:
                    media.append(f"silence:{item.seconds}")
        except TtsError as exc:
            self._later(
                call_id, E.PlayFinished(token=action.token, reason="failed", detail=str(exc))
            )
            return
        active = self.active.get(call_id)
        if active is None or active.run.hung_up:
            return
        try:
            self._start_playback(active, action, media)
        except NoSuchCall:
            self._feed(active, E.CallerHungUp())
        self.calls.sync()

    async def _lookup(self, call_id: str, action: E.DoLookup) -> None:
        answer: Any = None
        error: str | None = None
        request = action.request
        with trio.move_on_after(action.timeout) as scope:
            try:
                if isinstance(request, E.HttpCall):
                    answer = await self.http(request)
                else:
                    answer = await self.sql(request)
            except LookupFailed as exc:
                error = str(exc)
        if scope.cancelled_caught:
            error = f"no answer within {action.timeout:g} s"
        self._later(call_id, E.LookupFinished(token=action.token, answer=answer, error=error))

    def _recording_path(self, active: _Active, action: E.StartRecording) -> Path:
        stamp = self.clock.datetime().strftime("%Y%m%dT%H%M%S")
        if action.mailbox is not None:
            kind, box = action.mailbox
            folder = self.state_dir / "voicemail" / f"{kind}-{_safe(box)}"
        else:
            folder = self.state_dir / "ivr-recordings" / _safe(active.run.flow.name)
        return folder / f"{stamp}-{_safe(active.call_id)}-{_safe(action.node)}"

    def _set_data(self, call_id: str, values: Mapping[str, Any]) -> None:
        call = self.control.call(call_id)
        # userData holds flat scalars; None (a JSON null from a CRM) removes the key.
        clean = {
            k: v if v is None or isinstance(v, str | int | float | bool) else str(v)
            for k, v in values.items()
        }
        merged = {**call.user_data, **clean}
        try:
            check_user_data({k: v for k, v in merged.items() if v is not None})
        except CstaError as exc:
            log.warning("IVR call %s: userData not updated: %s", call_id, exc)
            return
        self.control.update_data(call_id, clean, device=self.active[call_id].point)

    def _route(self, token: int, go: Callable[[], None]) -> E.Event:
        try:
            go()
        except DestinationError as exc:
            return E.RouteResult(token=token, ok=False, detail=str(exc))
        return E.RouteResult(token=token, ok=True)

    def _enter_queue(self, call_id: str, action: E.EnterQueue) -> None:
        if not self.queues.queue_exists(action.queue):
            raise DestinationError(f"no queue {action.queue!r}")
        if action.data:
            self._set_data(call_id, action.data)
        self._stop_media(call_id)
        self.queues.enter(call_id, action.queue, priority=action.priority)

    def _to_agent(self, call_id: str, agent: str) -> None:
        device = self.agents.agent_device(agent)
        if device is None:
            raise DestinationError(f"agent {agent!r} is not available")
        self._transfer(call_id, device)

    def _transfer(self, call_id: str, number: str) -> None:
        if not number or self.model.directory.classify(number) is None:
            raise DestinationError(f"{number!r} is not a number ctid can reach")
        self._stop_media(call_id)
        self.control.route(call_id, number)

    def _stop_media(self, call_id: str) -> None:
        active = self.active.get(call_id)
        if active is not None and active.playback_id is not None:
            self._playbacks.pop(active.playback_id, None)
            self.control.stop_playback(active.playback_id)
            active.playback_id = None

    def _finished(self, active: _Active, action: E.Finished) -> None:
        run = active.run
        now = trio.current_time()
        self.active.pop(active.call_id, None)
        self._cancel_timer(active)
        call = self.model.calls.get(active.call_id)
        if call is not None:
            call.facts[FACT_IVR_EXIT] = action.exit
            call.facts[FACT_IVR_LEFT_AT] = now
        self.stats.finished(
            self.local_now().date(), run.flow.name, action.exit, now - active.entered_at
        )
        self.model.notify(
            IvrFinished(
                flow=run.flow.name,
                version=run.flow.version,
                call_id=active.call_id,
                entered_at=active.entered_at,
                left_at=now,
                exit=action.exit,
                detail=action.detail,
            )
        )


def _dnis(call: Call) -> str:
    called = call.called_device
    return "" if called.startswith(ROUTE_POINT_PREFIX) else called


def _user_data(call: Call) -> Mapping[str, Any]:
    return call.user_data


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:64] or "_"


def _fixed_texts(flows: Iterable[Flow]) -> set[tuple[str, str]]:
    """(text, language) of every TTS prompt without ${...}, in each language it is spoken in."""
    out = set()
    for flow in flows:
        for node in flow.nodes.values():
            for _, prompt in node.prompts():
                for item in prompt:
                    if not isinstance(item, Tts):
                        continue
                    for language in flow.languages:
                        text = item.text.get(language) or item.text.get("*")
                        if text is None:
                            text = item.text.get(flow.language)
                        if text and "$" not in text:
                            out.add((text.strip(), language))
    return out
