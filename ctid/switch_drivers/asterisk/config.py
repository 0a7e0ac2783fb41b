"""``[switch.asterisk]``: the Asterisk driver's table in ctid's configuration file.

``driver_options`` checks the table and turns it into the keyword arguments
of ``AsteriskDriver``; it raises one ``StructureError`` holding every problem
it finds, each naming the exact key (``switch.asterisk.trunks[1].dial: must
contain {number}``), so ``ctid check-config`` and ``ctid run`` report them
before anything starts.

The table, with its defaults (``conf/asterisk.toml`` is a commented example)::

    [switch.asterisk]
    base_url = "http://127.0.0.1:8088/ari"
    user = "ctid"                        # required: ari.conf user
    password_env = "CTID_ARI_PASSWORD"   # or password = "..."; exactly one
    app = "ctid"                         # the Stasis application name
    extensions = "1001-1010"             # required: the phones ctid serves
    extension_endpoint = "PJSIP/{extension}"
    dialplan_context = "ctid"            # optional; see below
    subscribe_all = false
    auto_answer = { "PJSIP_HEADER(add,Call-Info)" = "<sip:ctid>;answer-after=0" }
    ca_file = "/etc/ctid/asterisk-ca.pem"   # optional, for https with a private CA
    recording_dir = "/var/spool/asterisk/recording"   # where Asterisk writes recordings
    mwi_mailbox = "{extension}@ctid"     # the external MWI mailbox of a phone's lamp
    amd_context = "ctid-amd"             # AMD() for Originate.detect_machines (docs/drivers.md)
    request_timeout = 10
    heartbeat_interval = 20
    heartbeat_timeout = 10

    [switch.asterisk.reconnect]
    backoff_initial = 0.5
    backoff_max = 30
    jitter = 0.5
    replaced_retry = 60

    [[switch.asterisk.trunks]]
    name = "provider"
    endpoint = "PJSIP/provider"
    dial = "PJSIP/{number}@provider"

``dialplan_context`` names the context whose extensions hand calls to ctid
(``exten => _X.,1,Stasis(ctid,inbound,${EXTEN})``). ctid sets it as
``TRANSFER_CONTEXT`` on every channel it originates, so a transfer made with a
phone's own keys (a SIP REFER) comes back into ctid's application instead of
running the phone's ordinary context.

``recording_dir`` is where Asterisk writes recordings (``astspooldir`` plus
``/recording``). Asterisk names a recording's file relative to it, so ctid's
recordings directory (``[recording] directory``) must be inside it, on the
machine ctid runs on, for ctid to find and check the files.

``mwi_mailbox`` names the mailbox whose counts ctid sets (ARI ``PUT /mailboxes``)
to light a phone's message-waiting lamp; the phone's PJSIP endpoint lists the
same name in ``mailboxes`` (docs/drivers.md, "Message-waiting lamps").
"""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from ctid.numbers import parse_number_ranges
from ctid.structure import Problems, StructureError
from ctid.switch_drivers.asterisk.commands import DEFAULT_MAILBOX, DEFAULT_RECORDING_DIR
from ctid.switch_drivers.asterisk.endpoints import EndpointConfig, TrunkConfig

__all__ = ["DEFAULT_AUTO_ANSWER", "driver_options"]

#: The channel variables that make a SIP phone answer by itself (MakeCall
#: ``doNotPrompt``): the Call-Info header most phones honour.
DEFAULT_AUTO_ANSWER: Mapping[str, str] = {
    "PJSIP_HEADER(add,Call-Info)": "<sip:ctid>;answer-after=0"
}

# ARI endpoints are "Technology/resource"; the resource may hold "@" and "/".
_ENDPOINT_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*/\S+")
# Asterisk's own rule for dialplan context names is loose; refuse what cannot work.
_CONTEXT_RE = re.compile(r"[^\s,;|()\[\]]+")


@attrs.frozen(kw_only=True)
class _Trunk:
    name: str
    endpoint: str
    dial: str


@attrs.frozen(kw_only=True)
class _Reconnect:
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    jitter: float = 0.5
    replaced_retry: float = 60.0


@attrs.frozen(kw_only=True)
class _Section:
    """``[switch.asterisk]`` as written in the file."""

    user: str
    extensions: str | list[str]
    base_url: str = "http://127.0.0.1:8088/ari"
    password: str | None = None
    password_env: str | None = None
    app: str = "ctid"
    extension_endpoint: str = "PJSIP/{extension}"
    trunks: list[_Trunk] = attrs.field(factory=list)
    dialplan_context: str | None = None
    subscribe_all: bool = False
    auto_answer: dict[str, str] | None = None
    ca_file: str | None = None
    recording_dir: str = DEFAULT_RECORDING_DIR
    fax_context: str = "ctid-fax"
    amd_context: str = "ctid-amd"
    mwi_mailbox: str = DEFAULT_MAILBOX
    request_timeout: float = 10.0
    heartbeat_interval: float = 20.0
    heartbeat_timeout: float = 10.0
    reconnect: _Reconnect = _Reconnect()


def driver_options(section: Mapping[str, Any], path: str = "switch.asterisk") -> dict[str, Any]:
    """Check ``section`` and return ``AsteriskDriver``'s keyword arguments.

    Reads the password's environment variable and the CA file now, so that a
    daemon that starts has everything it needs.
    """
    problems = Problems()  # every problem of the table, not only the first
    raw = problems.salvage(_Section, section, path)

    def bad(key: str, problem: str) -> None:
        problems.add(f"{path}.{key}", problem)

    url = urlsplit(raw.base_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        bad("base_url", f'expected "http(s)://HOST[:PORT]/ari", got "{raw.base_url}"')
    try:
        _ = url.port  # raises for a port that is not a number or is out of range
    except ValueError as exc:
        bad("base_url", str(exc))
    if not raw.user:
        bad("user", "must not be empty")
    password = ""
    with problems.check():
        password = _password(raw, path)
    if not raw.app or "," in raw.app or raw.app.strip() != raw.app:
        bad("app", f"a Stasis application name without commas or spaces, not {raw.app!r}")
    extensions: tuple[str, ...] = ()
    try:
        extensions = tuple(parse_number_ranges(raw.extensions))
    except ValueError as exc:
        bad("extensions", str(exc))
    else:
        if not extensions:
            bad("extensions", "list at least one extension")
    trunks = []
    for i, trunk in enumerate(raw.trunks):
        where = f"trunks[{i}]"
        if not trunk.name:
            bad(f"{where}.name", "must not be empty")
        if any(t.name == trunk.name for t in raw.trunks[:i]):
            bad(f"{where}.name", f"trunk {trunk.name!r} is listed twice")
        if not _ENDPOINT_RE.fullmatch(trunk.endpoint):
            bad(f"{where}.endpoint", f'expected "TECH/resource", got "{trunk.endpoint}"')
        if trunk.dial.count("{number}") != 1 or not _ENDPOINT_RE.fullmatch(trunk.dial):
            bad(f"{where}.dial", f'expected "TECH/..." with {{number}} once, got "{trunk.dial}"')
        if not problems.found_under(f"{path}.{where}"):
            trunks.append(TrunkConfig(name=trunk.name, endpoint=trunk.endpoint, dial=trunk.dial))
    endpoints = None
    try:
        endpoints = EndpointConfig(
            extension_endpoint=raw.extension_endpoint, trunks=trunks, extensions=extensions
        )
    except ValueError as exc:
        bad("extension_endpoint", str(exc))
    if raw.dialplan_context is not None and not _CONTEXT_RE.fullmatch(raw.dialplan_context):
        bad("dialplan_context", f"not a usable context name: {raw.dialplan_context!r}")
    ssl_context = None
    if raw.ca_file is not None:
        if url.scheme != "https":
            bad("ca_file", "is used only with an https:// base_url")
        else:
            try:
                ssl_context = ssl.create_default_context(cafile=raw.ca_file)
            except (OSError, ssl.SSLError) as exc:
                bad("ca_file", f"cannot load {raw.ca_file}: {exc}")
    if not raw.amd_context or any(c.isspace() or c == "," for c in raw.amd_context):
        bad("amd_context", f"expected a dialplan context name, got {raw.amd_context!r}")
    if not raw.recording_dir.startswith("/"):
        bad("recording_dir", f"expected an absolute directory, got {raw.recording_dir!r}")
    if raw.mwi_mailbox.count("{extension}") != 1 or any(c.isspace() for c in raw.mwi_mailbox):
        bad("mwi_mailbox", f'expected "...{{extension}}..." once, got "{raw.mwi_mailbox}"')
    for key in ("request_timeout", "heartbeat_interval", "heartbeat_timeout"):
        if getattr(raw, key) <= 0:
            bad(key, "must be more than 0 seconds")
    reconnect = raw.reconnect
    if reconnect.backoff_initial <= 0:
        bad("reconnect.backoff_initial", "must be more than 0 seconds")
    elif reconnect.backoff_max < reconnect.backoff_initial:
        bad("reconnect.backoff_max", "must be at least backoff_initial")
    if not 0 <= reconnect.jitter <= 1:
        bad("reconnect.jitter", "must be a fraction from 0 to 1")
    if reconnect.replaced_retry < 0:
        bad("reconnect.replaced_retry", "must not be negative")
    problems.raise_any()
    return {
        "base_url": raw.base_url,
        "user": raw.user,
        "password": password,
        "app": raw.app,
        "endpoints": endpoints,
        "subscribe_all": raw.subscribe_all,
        "auto_answer_variables": (
            DEFAULT_AUTO_ANSWER if raw.auto_answer is None else dict(raw.auto_answer)
        ),
        "dialplan_context": raw.dialplan_context,
        "recording_dir": raw.recording_dir,
        "fax_context": raw.fax_context,
        "amd_context": raw.amd_context,
        "mwi_mailbox": raw.mwi_mailbox,
        "ssl_context": ssl_context,
        "backoff_initial": reconnect.backoff_initial,
        "backoff_max": reconnect.backoff_max,
        "jitter": reconnect.jitter,
        "replaced_retry": reconnect.replaced_retry,
        "heartbeat_interval": raw.heartbeat_interval,
        "heartbeat_timeout": raw.heartbeat_timeout,
        "request_timeout": raw.request_timeout,
    }


def _password(raw: _Section, path: str) -> str:
    if (raw.password is None) == (raw.password_env is None):
        raise StructureError(path, "give exactly one of password and password_env")
    if raw.password is not None:
        if not raw.password:
            raise StructureError(f"{path}.password", "must not be empty")
        return raw.password
    assert raw.password_env is not None
    value = os.environ.get(raw.password_env)
    if not value:
        raise StructureError(
            f"{path}.password_env", f"environment variable {raw.password_env} is not set"
        )
    return value
