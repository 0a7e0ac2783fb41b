"""``[switch.freeswitch]``: the FreeSWITCH driver's table in ctid's configuration file.

``driver_options`` checks the table and turns it into the keyword arguments
of ``FreeSwitchDriver``; it raises one ``StructureError`` holding every
problem it finds, each naming the exact key (``switch.freeswitch.trunks[0].dial:
...``), so ``ctid check-config`` and ``ctid run`` report them before anything
starts.

The table, with its defaults (``conf/freeswitch.toml`` is a commented example)::

    [switch.freeswitch]
    host = "127.0.0.1"                   # mod_event_socket's listen-ip
    port = 8021                          # ... and listen-port
    password_env = "CTID_ESL_PASSWORD"   # or password = "..."; exactly one
    extensions = "1001-1010"             # required: the phones ctid serves
    extension_endpoint = "user/{extension}"
    dialplan_context = "ctid"            # optional; see below
    auto_answer = { sip_auto_answer = "true" }
    conference_profile = "default"
    mwi_domain = "pbx.example.com"       # optional: the phones' domain for their lamps
    amd_seconds = 4                      # mod_avmd's wait for a beep (docs/drivers.md)

    [switch.freeswitch.reconnect]
    backoff_initial = 0.5
    backoff_max = 30
    jitter = 0.2

    [[switch.freeswitch.trunks]]
    name = "provider"
    dial = "sofia/gateway/provider/{number}"
    gateway = "provider"                 # default: from dial
    profiles = ["external"]              # default: none

``dialplan_context`` names the context whose extensions hand calls to ctid
(``set ctid_dialed=${destination_number}``, ``park``). ctid sets it as
``force_transfer_context`` on every channel it originates: when such a channel
is transferred by its partner's phone (a SIP REFER), FreeSWITCH runs it there
instead of in its own context (``switch_ivr_session_transfer``).

``mwi_domain`` is the domain of the accounts (``1001@domain``) whose
message-waiting lamps ctid sets (``mwi.py``); by default, FreeSWITCH's own
``domain`` global variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Final

import attrs

from ...numbers import parse_number_ranges
from ...structure import Problems, StructureError
from .endpoints import EndpointConfig, TrunkConfig

__all__ = ["DEFAULT_AUTO_ANSWER", "driver_options"]

#: The channel variables that make a SIP phone answer by itself (MakeCall
#: ``doNotPrompt``): mod_sofia sends ``Call-Info: answer-after=0`` for it.
DEFAULT_AUTO_ANSWER: Final[Mapping[str, str]] = {"sip_auto_answer": "true"}

# A dial string is "module/..."; it travels inside an originate argument.
_DIAL_RE: Final = re.compile(r"[a-z][a-z0-9_]*/[^\s{}',]+")
# Dialplan context and conference profile names: one word FreeSWITCH accepts.
_NAME_RE: Final = re.compile(r"[A-Za-z0-9_.\-]+")
_VARIABLE_RE: Final = re.compile(r"[A-Za-z0-9_\-]+")
_HOST_RE: Final = re.compile(r"[A-Za-z0-9_.:\-\[\]]+")


@attrs.frozen(kw_only=True)
class _Trunk:
    name: str
    dial: str
    gateway: str | None = None
    profiles: list[str] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class _Reconnect:
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    jitter: float = 0.2


@attrs.frozen(kw_only=True)
class _Section:
    """``[switch.freeswitch]`` as written in the file."""

    extensions: str | list[str]
    host: str = "127.0.0.1"
    port: int = 8021
    password: str | None = None
    password_env: str | None = None
    extension_endpoint: str = "user/{extension}"
    trunks: list[_Trunk] = attrs.field(factory=list)
    dialplan_context: str | None = None
    auto_answer: dict[str, str] | None = None
    conference_profile: str = "default"
    mwi_domain: str | None = None
    reconnect: _Reconnect = _Reconnect()
    #: Seconds mod_spandsp listens for a calling fax machine's tone (CNG) on each inbound
    #: channel ctid answers (``spandsp_start_fax_detect``); 0: not at all.
    fax_detect_seconds: float = 0.0
    #: Seconds mod_avmd listens for a voicemail beep after a detecting call's answer.
    amd_seconds: float = 4.0


def driver_options(section: Mapping[str, Any], path: str = "switch.freeswitch") -> dict[str, Any]:
    """Check ``section`` and return ``FreeSwitchDriver``'s keyword arguments.

    Reads the password's environment variable now, so that a daemon that
    starts has everything it needs.
    """
    problems = Problems()  # every problem of the table, not only the first
    raw = problems.salvage(_Section, section, path)

    def bad(key: str, problem: str) -> None:
        problems.add(f"{path}.{key}", problem)

    if not raw.host or not _HOST_RE.fullmatch(raw.host):
        bad("host", f"expected a host name or address, got {raw.host!r}")
    if not 0 < raw.port < 65536:
        bad("port", f"expected a TCP port from 1 to 65535, got {raw.port}")
    password = ""
    with problems.check():
        password = _password(raw, path)
    extensions: tuple[str, ...] = ()
    try:
        extensions = tuple(parse_number_ranges(raw.extensions))
    except ValueError as exc:
        bad("extensions", str(exc))
    else:
        if not extensions:
            bad("extensions", "list at least one extension")
    template = raw.extension_endpoint
    if template.count("{extension}") != 1 or not _DIAL_RE.fullmatch(
        template.replace("{extension}", "1")
    ):
        bad(
            "extension_endpoint",
            f'expected a dial string like "user/{{extension}}" with {{extension}} once, '
            f'got "{template}"',
        )
    trunks = []
    for i, trunk in enumerate(raw.trunks):
        where = f"trunks[{i}]"
        if not trunk.name or not _NAME_RE.fullmatch(trunk.name):
            bad(f"{where}.name", f"a name of letters, digits, _ . -, not {trunk.name!r}")
        if any(t.name == trunk.name for t in raw.trunks[:i]):
            bad(f"{where}.name", f"trunk {trunk.name!r} is listed twice")
        if trunk.dial.count("{number}") != 1 or not _DIAL_RE.fullmatch(
            trunk.dial.replace("{number}", "1")
        ):
            bad(
                f"{where}.dial",
                'expected a dial string like "sofia/gateway/NAME/{number}" with {number} once, '
                f'got "{trunk.dial}"',
            )
        if trunk.gateway is not None and not _NAME_RE.fullmatch(trunk.gateway):
            bad(f"{where}.gateway", f"not a usable gateway name: {trunk.gateway!r}")
        for j, profile in enumerate(trunk.profiles):
            if not _NAME_RE.fullmatch(profile):
                bad(f"{where}.profiles[{j}]", f"not a usable profile name: {profile!r}")
        if not problems.found_under(f"{path}.{where}"):
            trunks.append(
                TrunkConfig(
                    name=trunk.name,
                    dial=trunk.dial,
                    gateway=trunk.gateway,
                    profiles=tuple(trunk.profiles),
                )
            )
    if raw.dialplan_context is not None and not _NAME_RE.fullmatch(raw.dialplan_context):
        bad("dialplan_context", f"not a usable context name: {raw.dialplan_context!r}")
    if not _NAME_RE.fullmatch(raw.conference_profile):
        bad("conference_profile", f"not a usable profile name: {raw.conference_profile!r}")
    if raw.mwi_domain is not None and not _HOST_RE.fullmatch(raw.mwi_domain):
        bad("mwi_domain", f"expected a domain name, got {raw.mwi_domain!r}")
    if not 0 <= raw.fax_detect_seconds <= 3600:
        bad("fax_detect_seconds", "0 (off) to 3600 seconds")
    if not 0 < raw.amd_seconds <= 60:
        bad("amd_seconds", "more than 0, at most 60 seconds")
    auto_answer = dict(DEFAULT_AUTO_ANSWER if raw.auto_answer is None else raw.auto_answer)
    for name in auto_answer:
        if not _VARIABLE_RE.fullmatch(name):
            bad(f"auto_answer.{name}", "a channel variable name is letters, digits, _ and -")
    reconnect = raw.reconnect
    if reconnect.backoff_initial <= 0:
        bad("reconnect.backoff_initial", "must be more than 0 seconds")
    elif reconnect.backoff_max < reconnect.backoff_initial:
        bad("reconnect.backoff_max", "must be at least backoff_initial")
    if not 0 <= reconnect.jitter <= 1:
        bad("reconnect.jitter", "must be a fraction from 0 to 1")
    problems.raise_any()
    endpoints = EndpointConfig(extension_endpoint=template, trunks=trunks, extensions=extensions)
    return {
        "host": raw.host,
        "port": raw.port,
        "password": password,
        "endpoints": endpoints,
        "dialplan_context": raw.dialplan_context,
        "auto_answer_variables": auto_answer,
        "conference_profile": raw.conference_profile,
        "mwi_domain": raw.mwi_domain,
        "fax_detect_seconds": raw.fax_detect_seconds,
        "amd_seconds": raw.amd_seconds,
        "backoff_initial": reconnect.backoff_initial,
        "backoff_max": reconnect.backoff_max,
        "jitter": reconnect.jitter,
    }


def _password(raw: _Section, path: str) -> str:
    if (raw.password is None) == (raw.password_env is None):
        raise StructureError(path, "give exactly one of password and password_env")
    if raw.password is not None:
        if not raw.password:
            raise StructureError(f"{path}.password", "must not be empty")
        if _unsendable(raw.password):
            raise StructureError(f"{path}.password", "must not contain line breaks or NUL")
        return raw.password
    assert raw.password_env is not None
    value = os.environ.get(raw.password_env)
    if not value:
        raise StructureError(
            f"{path}.password_env", f"environment variable {raw.password_env} is not set"
        )
    if _unsendable(value):
        raise StructureError(
            f"{path}.password_env",
            f"environment variable {raw.password_env} holds line breaks or NUL",
        )
    return value


def _unsendable(password: str) -> bool:
    # mod_event_socket compares everything after "auth " up to the end of the
    # line: spaces are part of the password, a line break would end it.
    return any(c in "\r\n\x00" for c in password)
