"""The bytes of ESL commands, the originate dial string, and reply-text parsers.

Pure functions: no state, no I/O. A command is one line plus optional header
lines, ended by an empty line. A newline inside an argument would end the
command early and turn the rest into a second command (command injection), so
every builder refuses CR, LF and NUL in what it is given, raising
``LocalProtocolError`` before anything is produced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from .errors import LocalProtocolError
from .frames import EslEvent

__all__ = [
    "ApiResult",
    "JobResult",
    "api",
    "auth",
    "bgapi",
    "dial_variables",
    "escape_variable_value",
    "event",
    "exit_command",
    "filter_add",
    "filter_delete",
    "nixevent",
    "noevents",
    "originate_args",
    "parse_api_result",
    "parse_background_job",
    "parse_bgapi_reply",
    "raw_command",
    "sendmsg_execute",
    "sendmsg_hangup",
]

EVENT_FORMATS: Final = frozenset({"json", "plain", "xml"})

_EVENT_NAME = re.compile(r"[A-Za-z0-9_:.\-]+")
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_\-]+")
_TOKEN = re.compile(r"[^\s{}]+")
_FORBIDDEN = re.compile(r"[\r\n\x00]")


def _line(value: str, what: str) -> str:
    if _FORBIDDEN.search(value):
        raise LocalProtocolError(f"{what} must not contain CR, LF or NUL: {value[:60]!r}")
    return value


def _token(value: str, what: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise LocalProtocolError(f"{what} must be one word without braces: {value[:60]!r}")
    return value


def _command(line: str, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    parts = [_line(line, "command")]
    for name, value in headers:
        parts.append(f"{_line(name, 'header name')}: {_line(value, 'header value')}")
    return ("\n".join(parts) + "\n\n").encode("utf-8")


def raw_command(line: str, headers: Iterable[tuple[str, str]] = (), body: bytes = b"") -> bytes:
    """Any command: its line, header lines, and an optional body announced by a
    ``Content-Length`` header (as ``sendevent`` and ``sendmsg`` use)."""
    all_headers = list(headers)
    if any(name.lower() == "content-length" for name, _ in all_headers):
        raise LocalProtocolError("Content-Length is set from the body; do not pass it")
    if body:
        all_headers.append(("Content-Length", str(len(body))))
    return _command(line, all_headers) + body


# --------------------------------------------------------------------- commands


def auth(password: str) -> bytes:
    """``auth <password>``: the answer to ``auth/request``."""
    return _command(f"auth {password}")


def _event_words(names: Iterable[str], custom: Iterable[str]) -> str:
    words = [_event_name(name) for name in names]
    subclasses = [_event_name(name) for name in custom]
    if "CUSTOM" in words:
        # After CUSTOM every word is a subclass name, so CUSTOM must come last;
        # callers name subclasses through ``custom`` instead.
        raise LocalProtocolError("pass custom subclasses through custom=, not 'CUSTOM' in names")
    if subclasses:
        words += ["CUSTOM", *subclasses]
    if not words:
        raise LocalProtocolError("no event names given")
    return " ".join(words)


def _event_name(name: str) -> str:
    if not _EVENT_NAME.fullmatch(name):
        raise LocalProtocolError(f"bad event name {name[:60]!r}")
    return name


def event(names: Iterable[str], *, custom: Iterable[str] = (), format: str = "json") -> bytes:
    """``event json NAMES... [CUSTOM subclass...]``: add to the subscription.

    The format applies to the whole connection; the names are added to what it
    already receives (``nixevent`` removes).
    """
    if format not in EVENT_FORMATS:
        raise LocalProtocolError(f"event format must be one of {sorted(EVENT_FORMATS)}")
    return _command(f"event {format} {_event_words(names, custom)}")


def nixevent(names: Iterable[str], *, custom: Iterable[str] = ()) -> bytes:
    """``nixevent NAMES...``: remove names from the subscription."""
    return _command(f"nixevent {_event_words(names, custom)}")


def noevents() -> bytes:
    """``noevents``: stop all events on this connection."""
    return _command("noevents")


def filter_add(header: str, value: str) -> bytes:
    """``filter <Header> <value>``: only events whose header matches pass."""
    return _command(f"filter {_token(header, 'filter header')} {value}")


def filter_delete(header: str, value: str | None = None) -> bytes:
    """``filter delete <Header> [<value>]``."""
    line = f"filter delete {_token(header, 'filter header')}"
    return _command(line if value is None else f"{line} {value}")


def api(command: str, args: str = "") -> bytes:
    """``api <command> <args>``: run an API command; blocks the connection until done."""
    _token(command, "api command")
    return _command(f"api {command} {args}" if args else f"api {command}")


def bgapi(command: str, args: str = "", *, job_uuid: str | None) -> bytes:
    """``bgapi`` with our own ``Job-UUID``, so the reply and the job event are ours to match.

    ``job_uuid=None`` lets the server pick one (it is then only in the reply).
    """
    _token(command, "bgapi command")
    line = f"bgapi {command} {args}" if args else f"bgapi {command}"
    if job_uuid is None:
        return _command(line)
    return _command(line, [("Job-UUID", _token(job_uuid, "Job-UUID"))])


def sendmsg_execute(
    uuid: str,
    app: str,
    arg: str = "",
    *,
    event_uuid: str | None = None,
    loops: int | None = None,
    event_lock: bool = False,
) -> bytes:
    """``sendmsg`` with ``call-command: execute``: run a dialplan application on a channel.

    ``event_uuid`` comes back as ``Application-UUID`` in the application's
    ``CHANNEL_EXECUTE``/``CHANNEL_EXECUTE_COMPLETE`` events.
    """
    headers = [
        ("call-command", "execute"),
        ("execute-app-name", _token(app, "application")),
    ]
    if arg:
        headers.append(("execute-app-arg", arg))
    if event_uuid is not None:
        headers.append(("Event-UUID", _token(event_uuid, "Event-UUID")))
    if loops is not None:
        headers.append(("loops", str(int(loops))))
    if event_lock:
        headers.append(("event-lock", "true"))
    return _command(f"sendmsg {_token(uuid, 'channel uuid')}", headers)


def sendmsg_hangup(uuid: str, cause: str = "NORMAL_CLEARING") -> bytes:
    """``sendmsg`` with ``call-command: hangup``."""
    headers = [("call-command", "hangup"), ("hangup-cause", _token(cause, "hangup cause"))]
    return _command(f"sendmsg {_token(uuid, 'channel uuid')}", headers)


def exit_command() -> bytes:
    """``exit``: the server answers ``+OK bye``, sends a disconnect notice and closes."""
    return _command("exit")


# ------------------------------------------------------------ originate strings


def escape_variable_value(value: str) -> str:
    """Escape a channel-variable value for a ``{name=value,...}`` block.

    The block is split on commas and the originate arguments on spaces, both
    honouring single quotes and backslashes; so backslash, comma and quote are
    backslash-escaped, and a value with whitespace is quoted. Braces would end
    or open a block and CR/LF would end the command: those are refused.
    """
    _line(value, "variable value")
    if "{" in value or "}" in value:
        raise LocalProtocolError(f"variable value must not contain braces: {value[:60]!r}")
    escaped = value.replace("\\", "\\\\").replace(",", "\\,").replace("'", "\\'")
    if any(ch.isspace() for ch in value):
        escaped = f"'{escaped}'"
    return escaped


def dial_variables(variables: Mapping[str, str]) -> str:
    """``{a=1,b='x y'}`` for the given variables, in order; empty for none."""
    if not variables:
        return ""
    parts = []
    for name, value in variables.items():
        if not _VARIABLE_NAME.fullmatch(name):
            raise LocalProtocolError(f"bad channel variable name {name[:60]!r}")
        parts.append(f"{name}={escape_variable_value(value)}")
    return "{" + ",".join(parts) + "}"


def originate_args(
    endpoint: str,
    *,
    variables: Mapping[str, str],
    application: str = "park",
    application_arg: str = "",
) -> str:
    """The arguments of ``originate``: ``{vars}endpoint &app(arg)``.

    ``variables`` should start with ``origination_uuid`` so the new channel
    carries ctid's own id from its first event on.
    """
    _token(endpoint, "dial endpoint")
    _token(application, "application")
    if application_arg:
        _token(application_arg, "application argument")
    return f"{dial_variables(variables)}{endpoint} &{application}({application_arg})"


# ---------------------------------------------------------------------- replies


@attrs.frozen(kw_only=True)
class ApiResult:
    """An ``api/response`` body (or a job body) read as success or failure."""

    ok: bool
    #: The text after ``+OK ``/``-ERR ``/``-USAGE: ``, without the trailing newline;
    #: the whole body for outputs that have no such prefix (``true``, JSON).
    text: str
    #: True for ``-USAGE:`` (the command was called with wrong arguments).
    usage: bool = False


def parse_api_result(body: str) -> ApiResult:
    """Read an api body: ``-ERR ...`` and ``-USAGE: ...`` are failures, anything else success.

    Bodies may lack a trailing newline (``+OK`` from ``msleep``, ``true``).
    """
    text = body[:-1] if body.endswith("\n") else body
    if text.startswith("-ERR"):
        return ApiResult(ok=False, text=text[4:].strip())
    if text.startswith("-USAGE:"):
        return ApiResult(ok=False, text=text[7:].strip(), usage=True)
    if text.startswith("+OK"):
        return ApiResult(ok=True, text=text[3:].strip())
    return ApiResult(ok=True, text=text)


def parse_bgapi_reply(reply_text: str) -> str | None:
    """The job UUID in ``+OK Job-UUID: <uuid>``, or None for an error reply."""
    prefix = "+OK Job-UUID:"
    if not reply_text.startswith(prefix):
        return None
    return reply_text[len(prefix) :].strip() or None


@attrs.frozen(kw_only=True)
class JobResult:
    """A ``BACKGROUND_JOB`` event: which job, and its output read as an ``ApiResult``."""

    job_uuid: str
    command: str
    argument: str
    result: ApiResult


def parse_background_job(event: EslEvent) -> JobResult | None:
    """Read a ``BACKGROUND_JOB`` event; None for any other event or one without Job-UUID.

    For ``originate`` the body is ``+OK <uuid>`` or ``-ERR <CAUSE>``.
    """
    if event.name != "BACKGROUND_JOB":
        return None
    job_uuid = event.get("Job-UUID")
    if not job_uuid:
        return None
    return JobResult(
        job_uuid=job_uuid,
        command=event.get("Job-Command") or "",
        argument=event.get("Job-Command-Arg") or "",
        result=parse_api_result(event.body or ""),
    )
