"""One call's run through a flow, sans-IO: events in, actions out (``messages``).

``FlowRun.feed(event)`` takes what happened (the caller pressed a key, a
prompt finished, a timer fired, a lookup answered, the caller hung up) and
returns what to do now (play these prompts, start a timer, ask the CRM,
write userData, send the call to a queue, hang up). It never awaits, sleeps
or touches the switch; ``service.IvrService`` is the shell that does.

Each node type is a generator (STYLE §3.7): it yields what it waits for
(``_Play``, ``_Digit``, ``_Ask``, ``_Record``, ``_Route``), receives the
result, and returns the name of the next node. ``_advance`` runs nodes until
one waits, counting steps: more than ``max_steps`` in all, or more than
``loop_limit`` in a row without waiting for the caller, is a runaway flow,
stopped with a logged reason and the flow's error exit.

Tokens tie answers to questions: a timer, prompt or lookup that belongs to a
node the run has left carries an old token and is ignored.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import urllib.parse
from collections.abc import Callable, Generator, Mapping
from typing import Any, Final

import attrs

from . import say as say_mod
from . import templates
from .compare import compare
from .flow import (
    AgentNode,
    CollectNode,
    CompareNode,
    FaxReceiveNode,
    FaxSendNode,
    FilePrompt,
    Flow,
    HangupNode,
    LanguageNode,
    LookupNode,
    MenuNode,
    Node,
    PlayNode,
    Prompt,
    QueueNode,
    RecordNode,
    SayNode,
    SetNode,
    Silence,
    Sound,
    TransferNode,
    Tts,
    pick,
)
from .messages import (
    Action,
    CallerHungUp,
    CancelTimer,
    DigitPressed,
    DoLookup,
    EnterQueue,
    Event,
    FaxEnded,
    FaxTone,
    Finished,
    HangUp,
    HttpCall,
    LanguageChanged,
    LookupFinished,
    MediaItem,
    PlayFile,
    PlayFinished,
    PlayPrompt,
    PlaySilence,
    PlaySound,
    RecordFinished,
    RouteResult,
    SetUserData,
    SpeakText,
    SqlCall,
    Start,
    StartFax,
    StartRecording,
    StartTimer,
    StopRecording,
    TimerFired,
    ToAgent,
    TransferTo,
    Visited,
)

__all__ = [
    "EXIT_AGENT",
    "EXIT_ERROR",
    "EXIT_HANGUP",
    "EXIT_SELF_SERVICE",
    "Action",
    "CallerHungUp",
    "CancelTimer",
    "DigitPressed",
    "DoLookup",
    "EnterQueue",
    "Event",
    "FaxEnded",
    "FaxTone",
    "Finished",
    "FlowRun",
    "HangUp",
    "HttpCall",
    "LanguageChanged",
    "LookupFinished",
    "MediaItem",
    "PlayFile",
    "PlayFinished",
    "PlayPrompt",
    "PlaySilence",
    "PlaySound",
    "RecordFinished",
    "RouteResult",
    "SetUserData",
    "SpeakText",
    "SqlCall",
    "Start",
    "StartFax",
    "StartRecording",
    "StartTimer",
    "StopRecording",
    "TimerFired",
    "ToAgent",
    "TransferTo",
    "Visited",
]

log = logging.getLogger(__name__)

EXIT_AGENT: Final = "agent"
EXIT_SELF_SERVICE: Final = "selfService"
EXIT_HANGUP: Final = "hangup"
EXIT_ERROR: Final = "error"

#: Keys pressed ahead of a menu or collect are kept, up to this many.
TYPE_AHEAD: Final = 32
#: Steps an on_error or on_hangup handler may take before it is cut short too.
HANDLER_STEPS: Final = 50

# -------------------------------------------------------------- what nodes wait


@attrs.frozen
class _Play:
    prompt: Prompt
    barge_in: bool


@attrs.frozen
class _Digit:
    timeout: float


@attrs.frozen
class _Ask:
    request: HttpCall | SqlCall
    timeout: float


@attrs.frozen
class _Record:
    node: RecordNode


@attrs.frozen
class _Route:
    action: Callable[[int], Action]


@attrs.frozen
class _Fax:
    node: FaxReceiveNode


_Wait = _Play | _Digit | _Ask | _Record | _Route | _Fax
NodeGen = Generator[_Wait, Any, str | None]


class _Failed(Exception):
    """A node cannot go on: the flow's error exit, with this reason."""


@attrs.frozen(kw_only=True)
class CallInfo:
    """What a run knows about its call from the start."""

    call_id: str
    ani: str
    dnis: str


class FlowRun:
    """One call in one flow version; see the module docstring."""

    def __init__(
        self,
        flow: Flow,
        call: CallInfo,
        *,
        local_now: Callable[[], _dt.datetime],
        user_data: Callable[[], Mapping[str, Any]] = dict,
    ) -> None:
        self.flow = flow
        self.call = call
        self._local_now = local_now
        self._user_data = user_data
        self.language = flow.language
        self.variables: dict[str, Any] = dict(flow.variables)
        self.node: str | None = None
        self.steps = 0
        self.exit: str | None = None
        self.detail = ""
        self.hung_up = False
        self._since_wait = 0
        self._handler_steps: int | None = None
        self._in_error = False
        self._error_detail = ""
        self._gen: NodeGen | None = None
        self._wait: _Wait | None = None
        self._token = 0
        self._buffer = ""
        self._menu_pending: str | None = None
        self._fax_heard = False
        self._out: list[Action] = []

    # ------------------------------------------------------------------ public

    @property
    def finished(self) -> bool:
        return self.exit is not None

    def feed(self, event: Event) -> list[Action]:
        """Fold one event in; returns the actions to carry out, in order."""
        if self.finished:
            return []
        match event:
            case Start():
                exported = {
                    k: self.variables[k] for k in self.flow.user_data if k in self.variables
                }
                if "LANGUAGE" in self.flow.user_data:
                    exported["LANGUAGE"] = self.language
                if exported:
                    self._out.append(SetUserData(values=exported))
                self._goto(self.flow.start)
            case CallerHungUp():
                self._hang_up()
            case DigitPressed():
                self._digit(event.digit)
            case PlayFinished():
                if isinstance(self._wait, _Play) and event.token == self._token:
                    if event.reason == "failed":
                        self._throw(_Failed(f"prompt failed: {event.detail}"))
                    else:
                        self._resume(event.reason)
            case TimerFired():
                if event.token == self._token:
                    if isinstance(self._wait, _Digit):
                        self._resume(None)
                    elif isinstance(self._wait, _Record):
                        self._out.append(StopRecording(token=self._token))
            case LookupFinished():
                if isinstance(self._wait, _Ask) and event.token == self._token:
                    self._resume(event)
            case RecordFinished():
                if isinstance(self._wait, _Record) and event.token == self._token:
                    self._out.append(CancelTimer())
                    self._resume(event)
            case RouteResult() | FaxEnded():
                wait = _Route if isinstance(event, RouteResult) else _Fax
                if isinstance(self._wait, wait) and event.token == self._token:
                    self._resume(event)
            case FaxTone():
                self._fax_tone()
        out, self._out = self._out, []
        return out

    def variable(self, name: str) -> Any:
        """A variable's value as templates see it (built-ins included)."""
        if name in templates.BUILTINS:
            now = self._local_now()
            return {
                "ANI": self.call.ani,
                "DNIS": self.call.dnis,
                "CALLID": self.call.call_id,
                "LANGUAGE": self.language,
                "DATE": now.strftime("%Y%m%d"),
                "TIME": now.strftime("%H%M%S"),
                "DATETIME": now.strftime("%Y%m%d%H%M%S"),
            }[name]
        if name.startswith(templates.USER_DATA_PREFIX):
            return self._user_data().get(name[len(templates.USER_DATA_PREFIX) :])
        return self.variables.get(name)

    def fill(self, template: str, *, escape: Callable[[str], str] | None = None) -> str:
        return templates.fill(template, self.variable, escape=escape)

    # ------------------------------------------------------------- the driver

    def _goto(self, name: str | None) -> None:
        """Start node ``name`` and run until a node waits or the run ends."""
        value: Any = None
        while True:
            if self._gen is None:
                if name is None:
                    self._finish(EXIT_ERROR if self._in_error else EXIT_SELF_SERVICE)
                    return
                guard = self._count_step()
                if guard is not None:
                    self._runaway(guard)
                    return
                node = self.flow.nodes[name]
                self.node = name
                if not isinstance(node, MenuNode):
                    self._out.append(Visited(node=name, kind=node.kind))
                self._gen = self._start(node)
                value = None
            try:
                wait = self._gen.send(value)
            except StopIteration as stop:
                self._gen = None
                name = stop.value
                if self.finished:
                    return
                continue
            except _Failed as exc:
                self._gen = None
                name = self._error(str(exc))
                if self.finished:
                    return
                continue
            value = self._begin_wait(wait)
            if value is _PENDING:
                return

    def _resume(self, value: Any) -> None:
        self._wait = None
        if self._gen is None:
            return
        try:
            wait = self._gen.send(value)
        except StopIteration as stop:
            self._gen = None
            if not self.finished:
                self._goto(stop.value)
            return
        except _Failed as exc:
            self._gen = None
            self._goto(self._error(str(exc)))
            return
        result = self._begin_wait(wait)
        if result is not _PENDING:
            self._resume(result)

    def _throw(self, exc: _Failed) -> None:
        self._wait = None
        if self._gen is not None:
            self._gen.close()
            self._gen = None
        self._close_menu()
        self._goto(self._error(str(exc)))

    def _begin_wait(self, wait: _Wait) -> Any:
        """Ask the shell for what ``wait`` needs; returns a result at once if there is one."""
        self._token += 1
        token = self._token
        match wait:
            case _Play():
                items = self._media(wait.prompt)
                if not items or self.hung_up:
                    return "done"
                self._since_wait = 0
                self._out.append(
                    PlayPrompt(
                        token=token, items=items, language=self.language, barge_in=wait.barge_in
                    )
                )
            case _Digit():
                self._since_wait = 0
                if self._buffer:
                    digit, self._buffer = self._buffer[0], self._buffer[1:]
                    return digit
                self._out.append(StartTimer(token=token, seconds=wait.timeout))
            case _Ask():
                self._out.append(DoLookup(token=token, request=wait.request, timeout=wait.timeout))
            case _Record():
                self._since_wait = 0
                self._buffer = ""
                node = wait.node
                self._out.append(StartRecording(token=token, node=node.name, mailbox=node.mailbox))
                self._out.append(StartTimer(token=token, seconds=node.max_seconds))
            case _Route():
                self._out.append(wait.action(token))
            case _Fax():
                self._since_wait = 0
                fax = wait.node
                send = fax if isinstance(fax, FaxSendNode) else None
                self._out.append(
                    StartFax(
                        token=token,
                        node=fax.name,
                        mailbox=fax.mailbox,
                        document=self.fill(send.document) if send else "",
                        header=self.fill(send.header) if send and send.header else None,
                    )
                )
        self._wait = wait
        return _PENDING

    def _count_step(self) -> str | None:
        self.steps += 1
        self._since_wait += 1
        if self._handler_steps is not None:
            self._handler_steps -= 1
            if self._handler_steps < 0:
                return f"handler ran more than {HANDLER_STEPS} nodes"
            return None
        if self.steps > self.flow.max_steps:
            return f"step limit: more than {self.flow.max_steps} nodes"
        if self._since_wait > self.flow.loop_limit:
            return (
                f"loop guard: {self.flow.loop_limit} nodes in a row without waiting for the "
                f"caller (at {self.node})"
            )
        return None

    def _runaway(self, reason: str) -> None:
        self._goto(self._error(reason))

    def _error(self, reason: str) -> str | None:
        """The flow failed: log it, then its on_error node (once) or hang up."""
        log.warning(
            "IVR flow %s (%s) call %s at node %s: %s",
            self.flow.name,
            self.flow.version,
            self.call.call_id,
            self.node,
            reason,
        )
        if self.hung_up:
            self._finish(EXIT_HANGUP, self.detail or reason)
            return None
        first = not self._in_error
        self._in_error = True
        self._error_detail = self._error_detail or reason
        if first and self.flow.on_error is not None:
            self._handler_steps = HANDLER_STEPS
            return self.flow.on_error
        self._out.append(HangUp())
        self._finish(EXIT_ERROR, self._error_detail)
        return None

    def _finish(self, exit: str, detail: str = "") -> None:
        if self.finished:
            return
        if self._in_error and exit != EXIT_HANGUP:
            exit, detail = EXIT_ERROR, self._error_detail
        self._out.append(CancelTimer())
        self.exit = exit
        self.detail = detail
        self._wait = None
        self._out.append(Finished(exit=exit, detail=detail))

    def _hang_up(self) -> None:
        """The caller has gone: stop the node, then run the on-hangup handler if any."""
        if self.hung_up:
            return
        self.hung_up = True
        self._wait = None
        if self._gen is not None:
            self._gen.close()
            self._gen = None
        self._close_menu()
        self._out.append(CancelTimer())
        self.detail = f"caller hung up at {self.node}"
        handler = self.flow.on_hangup
        if handler is None:
            self._finish(EXIT_HANGUP, self.detail)
            return
        self._in_error = False
        self._handler_steps = HANDLER_STEPS
        self._goto(handler)
        if not self.finished and self._gen is None:
            self._finish(EXIT_HANGUP, self.detail)

    def _close_menu(self) -> None:
        if self._menu_pending is not None:
            self._out.append(Visited(node=self._menu_pending, kind="menu", choice=None))
            self._menu_pending = None

    def _digit(self, digit: str) -> None:
        wait = self._wait
        if isinstance(wait, _Digit):
            self._out.append(CancelTimer())
            self._resume(digit)
        elif isinstance(wait, _Record):
            if wait.node.terminator and digit == wait.node.terminator:
                self._out.append(StopRecording(token=self._token))
        elif isinstance(wait, _Play) and not wait.barge_in:
            pass  # keys pressed over a prompt that cannot be interrupted are ignored
        elif len(self._buffer) < TYPE_AHEAD:
            self._buffer += digit

    # ---------------------------------------------------------------- media

    def _media(self, prompt: Prompt) -> tuple[MediaItem, ...]:
        out: list[MediaItem] = []
        fallback = self.flow.language
        for item in prompt:
            match item:
                case Tts():
                    text = pick(item.text, self.language, fallback)
                    if text is not None:
                        filled = self.fill(text).strip()
                        if filled:
                            out.append(SpeakText(text=filled, language=self.language))
                case FilePrompt():
                    path = pick(item.path, self.language, fallback)
                    if path is not None:
                        out.append(PlayFile(path=path))
                case Sound():
                    out.append(PlaySound(name=item.name))
                case Silence():
                    out.append(PlaySilence(seconds=item.seconds))
        return tuple(out)

    # ---------------------------------------------------------------- nodes

    def _assign(self, name: str, value: Any) -> None:
        self.variables[name] = value
        if name in self.flow.user_data and not self.hung_up:
            self._out.append(SetUserData(values={name: value}))

    def _start(self, node: Node) -> NodeGen:
        match node:
            case PlayNode():
                return self._play(node)
            case MenuNode():
                return self._menu(node)
            case CollectNode():
                return self._collect(node)
            case SayNode():
                return self._say(node)
            case LanguageNode():
                return self._language(node)
            case LookupNode():
                return self._lookup(node)
            case CompareNode():
                return self._compare(node)
            case SetNode():
                return self._set(node)
            case QueueNode():
                return self._queue(node)
            case AgentNode():
                return self._route(
                    lambda t: ToAgent(token=t, agent=self.fill(node.agent)), node.on_failure
                )
            case TransferNode():
                return self._route(
                    lambda t: TransferTo(token=t, number=self.fill(node.to)), node.on_failure
                )
            case RecordNode():
                return self._record(node)
            case FaxReceiveNode():
                return self._fax(node)
            case HangupNode():
                return self._hangup(node)
        raise AssertionError(f"no handler for {node!r}")

    def _play(self, node: PlayNode) -> NodeGen:
        yield _Play(node.prompt, node.barge_in)
        return node.next

    def _menu(self, node: MenuNode) -> NodeGen:
        self._menu_pending = node.name
        extra: Prompt = ()
        for _attempt in range(node.retries + 1):
            if not self._buffer:
                yield _Play(extra + node.prompt, node.barge_in)
            digit = yield _Digit(node.timeout)
            if digit is None:
                extra = node.no_input_prompt
                continue
            target = node.choices.get(digit)
            if target is None:
                extra = node.invalid_prompt
                self._buffer = ""
                continue
            self._menu_pending = None
            self._out.append(Visited(node=node.name, kind="menu", choice=digit))
            if node.store:
                self._assign(node.store, digit)
            return target
        self._close_menu()
        if node.on_failure is None:
            raise _Failed(f"menu {node.name}: no valid choice after {node.retries + 1} tries")
        return node.on_failure

    def _collect(self, node: CollectNode) -> NodeGen:
        pattern = re.compile(node.pattern) if node.pattern else None
        extra: Prompt = ()
        for _attempt in range(node.retries + 1):
            if not self._buffer:
                yield _Play(extra + node.prompt, True)
            digits = ""
            while len(digits) < node.max_length:
                timeout = node.inter_digit_timeout if digits else node.first_digit_timeout
                digit = yield _Digit(timeout)
                if digit is None:
                    break
                if node.terminator and digit == node.terminator:
                    break
                digits += digit
            self._buffer = ""
            good = len(digits) >= node.min_length and (
                pattern is None or pattern.fullmatch(digits) is not None
            )
            if good:
                self._assign(node.variable, digits)
                return node.next
            extra = node.invalid_prompt
        if node.on_failure is None:
            raise _Failed(f"collect {node.name}: no valid input after {node.retries + 1} tries")
        return node.on_failure

    def _say(self, node: SayNode) -> NodeGen:
        value = self.fill(node.value)
        try:
            words = say_mod.say(node.as_, value, self.language, currency=node.currency)
        except say_mod.SayError as exc:
            raise _Failed(f"say {node.name}: {exc}") from None
        if self.flow.say_pieces is not None:
            folder = f"{self.flow.say_pieces}/{self.language}"
            prompt: Prompt = tuple(
                FilePrompt(path={"*": f"{folder}/{piece}.wav"})
                for piece in say_mod.piece_names(words)
            )
        else:
            prompt = (Tts(text={self.language: say_mod.as_text(words, self.language)}),)
        yield _Play(prompt, node.barge_in)
        return node.next

    def _language(self, node: LanguageNode) -> NodeGen:
        if node.cycle:
            order = node.cycle
            at = order.index(self.language) if self.language in order else -1
            language = order[(at + 1) % len(order)]
        else:
            assert node.set is not None
            language = self.fill(node.set).strip()
            if language not in self.flow.languages:
                raise _Failed(f"language {node.name}: {language!r} is not one of the flow's")
        if language != self.language:
            self.language = language
            self._out.append(LanguageChanged(language=language))
            if "LANGUAGE" in self.flow.user_data and not self.hung_up:
                self._out.append(SetUserData(values={"LANGUAGE": language}))
        return node.next
        yield  # type: ignore[unreachable]  # a generator that never waits

    def _lookup(self, node: LookupNode) -> NodeGen:
        request: HttpCall | SqlCall
        if node.http is not None:
            h = node.http
            request = HttpCall(
                url=self.fill(h.url, escape=lambda s: urllib.parse.quote(s, safe="")),
                method=h.method,
                headers={k: self.fill(v) for k, v in h.headers.items()},
                body=None if h.body is None else {k: self.fill(v) for k, v in h.body.items()},
            )
        else:
            assert node.sql is not None
            q = node.sql
            request = SqlCall(
                database=q.database,
                query=q.query,
                params={k: self.fill(v) for k, v in q.params.items()},
            )
        result: LookupFinished = yield _Ask(request, node.timeout)
        if result.error is not None:
            log.info(
                "IVR lookup %s for call %s failed: %s", node.name, self.call.call_id, result.error
            )
            return node.on_error
        values = {}
        for var, path in node.map.items():
            found, value = _dig(result.answer, path)
            if not found or isinstance(value, dict | list):
                log.info("IVR lookup %s: no %r in the answer", node.name, path)
                return node.on_error
            values[var] = value
        for var, value in values.items():
            self._assign(var, value)
        return node.next

    def _compare(self, node: CompareNode) -> NodeGen:
        value = self.fill(node.value)
        to = self.fill(node.to) if isinstance(node.to, str) and node.op != "regex" else node.to
        return node.then if compare(value, node.op, to) else node.else_
        yield  # type: ignore[unreachable]  # a generator that never waits

    def _set(self, node: SetNode) -> NodeGen:
        for name, value in node.values.items():
            self._assign(name, self.fill(value) if isinstance(value, str) else value)
        return node.next
        yield  # type: ignore[unreachable]  # a generator that never waits

    def _queue(self, node: QueueNode) -> NodeGen:
        data = {k: self.fill(v) for k, v in node.data.items()}
        return (
            yield from self._route(
                lambda t: EnterQueue(token=t, queue=node.queue, priority=node.priority, data=data),
                node.on_failure,
            )
        )

    def _route(self, action: Callable[[int], Action], on_failure: str | None) -> NodeGen:
        result: RouteResult = yield _Route(action)
        if result.ok:
            self._finish(EXIT_AGENT)
            return None
        if on_failure is None:
            raise _Failed(f"could not route the call: {result.detail}")
        log.info("IVR call %s: routing failed (%s)", self.call.call_id, result.detail)
        return on_failure

    def _record(self, node: RecordNode) -> NodeGen:
        yield _Play(node.prompt, False)
        result: RecordFinished = yield _Record(node)
        if result.failed or result.path is None:
            raise _Failed(f"{node.kind} {node.name}: the recording failed")
        if node.variable:
            self._assign(node.variable, result.path)
        return node.next

    def _fax(self, node: FaxReceiveNode) -> NodeGen:
        yield _Play(node.prompt, False)
        result: FaxEnded = yield _Fax(node)
        if node.variable and result.fax_id is not None:
            self._assign(node.variable, result.fax_id)
        if result.success:
            return node.next
        if node.on_failure is None:
            raise _Failed(f"{node.kind} {node.name}: {result.detail or 'the fax failed'}")
        return node.on_failure

    def _fax_tone(self) -> None:
        """A calling fax machine: once per call, leave the node for the flow's ``on_fax``."""
        if self.flow.on_fax is None or self.hung_up or self._fax_heard:
            return
        self._fax_heard = True
        if isinstance(self._wait, _Fax):
            return  # already a fax node
        self._wait = None
        if self._gen is not None:
            self._gen.close()
            self._gen = None
        self._close_menu()
        self._buffer = ""
        self._out.append(CancelTimer())
        self._goto(self.flow.on_fax)

    def _hangup(self, node: HangupNode) -> NodeGen:
        yield _Play(node.prompt, False)
        if not self.hung_up:
            self._out.append(HangUp())
        self._finish(EXIT_HANGUP if self.hung_up else EXIT_SELF_SERVICE, self.detail)
        return None


_PENDING: Final = object()


def _dig(doc: Any, path: str) -> tuple[bool, Any]:
    """``customer.id`` / ``items.0.name`` in a JSON document (or a column in a row)."""
    if isinstance(doc, Mapping) and path in doc:
        return True, doc[path]
    value = doc
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value
