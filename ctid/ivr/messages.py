"""What the IVR's flow engine and its shell say to each other: events in, actions out.

Frozen values (STYLE §3.4). The shell (``service``) feeds ``Event``s to a
``FlowRun`` and carries out the ``Action``s it returns; tokens tie an answer
(``PlayFinished``, ``TimerFired``, ``LookupFinished``, ``RecordFinished``,
``RouteResult``) to the request that asked for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
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

# ------------------------------------------------------------------ events in


class Event:
    """Base of what the shell feeds a run."""

    __slots__ = ()


@attrs.frozen(kw_only=True)
class Start(Event):
    pass


@attrs.frozen(kw_only=True)
class DigitPressed(Event):
    digit: str


@attrs.frozen(kw_only=True)
class PlayFinished(Event):
    token: int
    #: ``done``, ``stopped`` (barge-in) or ``failed`` (a prompt could not be made).
    reason: str
    detail: str = ""


@attrs.frozen(kw_only=True)
class TimerFired(Event):
    token: int


@attrs.frozen(kw_only=True)
class LookupFinished(Event):
    token: int
    #: The answer: a JSON document (HTTP) or the first row as a dict (SQL); None on error.
    answer: Any = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class RecordFinished(Event):
    token: int
    path: str | None
    duration: float
    failed: bool = False


@attrs.frozen(kw_only=True)
class FaxEnded(Event):
    """A fax of a ``faxReceive``/``faxSend`` node ended (``fax_id`` None: it never started)."""

    token: int
    fax_id: str | None
    success: bool
    pages: int = 0
    detail: str = ""


@attrs.frozen(kw_only=True)
class FaxTone(Event):
    """The switch heard a calling fax machine (CNG) on the caller's line."""


@attrs.frozen(kw_only=True)
class RouteResult(Event):
    """Whether the shell could send the call where the run asked."""

    token: int
    ok: bool
    detail: str = ""


@attrs.frozen(kw_only=True)
class CallerHungUp(Event):
    pass


# ---------------------------------------------------------------- actions out


class Action:
    """Base of what a run asks its shell to do."""

    __slots__ = ()


@attrs.frozen(kw_only=True)
class SpeakText:
    text: str
    language: str


@attrs.frozen(kw_only=True)
class PlayFile:
    path: str


@attrs.frozen(kw_only=True)
class PlaySound:
    name: str


@attrs.frozen(kw_only=True)
class PlaySilence:
    seconds: float


MediaItem = SpeakText | PlayFile | PlaySound | PlaySilence


@attrs.frozen(kw_only=True)
class PlayPrompt(Action):
    """Play ``items`` in order; answer with ``PlayFinished(token)``."""

    token: int
    items: tuple[MediaItem, ...]
    language: str
    barge_in: bool


@attrs.frozen(kw_only=True)
class StartTimer(Action):
    """Answer with ``TimerFired(token)`` after ``seconds`` (a later StartTimer replaces it)."""

    token: int
    seconds: float


@attrs.frozen(kw_only=True)
class CancelTimer(Action):
    pass


@attrs.frozen(kw_only=True)
class HttpCall:
    url: str
    method: str
    headers: Mapping[str, str]
    body: Mapping[str, str] | None


@attrs.frozen(kw_only=True)
class SqlCall:
    database: str
    query: str
    params: Mapping[str, str]


@attrs.frozen(kw_only=True)
class DoLookup(Action):
    """Ask an outside system; answer with ``LookupFinished(token)`` within ``timeout``."""

    token: int
    request: HttpCall | SqlCall
    timeout: float


@attrs.frozen(kw_only=True)
class StartRecording(Action):
    """Record the caller; answer with ``RecordFinished(token)``. ``mailbox`` for voicemail."""

    token: int
    node: str
    mailbox: tuple[str, str] | None


@attrs.frozen(kw_only=True)
class StartFax(Action):
    """Receive a fax from the caller (``document`` empty) or send ``document`` back to
    them; answer with ``FaxEnded(token)``."""

    token: int
    node: str
    mailbox: str
    document: str = ""
    header: str | None = None


@attrs.frozen(kw_only=True)
class StopRecording(Action):
    token: int


@attrs.frozen(kw_only=True)
class SetUserData(Action):
    values: Mapping[str, Any]


@attrs.frozen(kw_only=True)
class EnterQueue(Action):
    token: int
    queue: str
    priority: int
    data: Mapping[str, str]


@attrs.frozen(kw_only=True)
class ToAgent(Action):
    token: int
    agent: str


@attrs.frozen(kw_only=True)
class TransferTo(Action):
    token: int
    number: str


@attrs.frozen(kw_only=True)
class HangUp(Action):
    pass


@attrs.frozen(kw_only=True)
class Visited(Action):
    """The run entered ``node`` (for menus: left it, with the key chosen or None)."""

    node: str
    kind: str
    choice: str | None = None


@attrs.frozen(kw_only=True)
class LanguageChanged(Action):
    language: str


@attrs.frozen(kw_only=True)
class Finished(Action):
    """The run is over: ``exit`` is agent, selfService, hangup or error."""

    exit: str
    detail: str = ""
