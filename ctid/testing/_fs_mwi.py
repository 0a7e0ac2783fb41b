"""The fake FreeSWITCH's message-waiting lamps: ``sendevent MESSAGE_WAITING`` to mod_sofia.

As FreeSWITCH 1.10.12 does it: ESL's ``sendevent MESSAGE_WAITING`` fires an event
whose headers are the command's header lines, unencoded, plus ``Command`` and
``Event-UUID`` before the usual 13 (mes.c ``parse_command``), and answers
``+OK <Event-UUID>`` whatever the headers say. mod_sofia's handler
(``sofia_presence.c``, ``actual_sofia_presence_mwi_event_handler``) then ignores
the event unless it has ``MWI-Message-Account`` and ``MWI-Messages-Waiting``;
finds the profile by the account's domain (here: the switch's ``domain``, the
profile names ``internal`` and ``external``), else does nothing ("Cannot find
profile"); and sends a ``message-summary`` NOTIFY to the phones registered as that
user, whose body is every ``MWI-`` header without its prefix. A phone shows
``Messages-Waiting`` as its lamp and the ``Voice-Message: new/old (urgent
new/urgent old)`` counts on its display; ``Lamp`` is what it shows.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from ctid.switch_drivers.freeswitch.framing import RawFrame

from ._fs_events import Pairs
from ._fs_switch import SimSwitch

__all__ = ["EVENT_NAME", "Lamp", "message_query", "message_waiting"]

EVENT_NAME: Final = "MESSAGE_WAITING"
_PROFILES: Final = frozenset({"internal", "external"})
_VOICE = re.compile(r"\s*(\d+)/(\d+)(?:\s*\((\d+)/(\d+)\))?\s*")


@attrs.frozen
class Lamp:
    """What a phone shows after its last ``message-summary`` NOTIFY."""

    lit: bool
    #: From ``Voice-Message`` (0 when the NOTIFY had none).
    new: int = 0
    old: int = 0


def message_waiting(
    switch: SimSwitch, frame: RawFrame, event_uuid: str, lamps: dict[str, Lamp]
) -> Pairs:
    """Apply one ``sendevent MESSAGE_WAITING`` to the phones' ``lamps``; the fired event."""
    pairs: Pairs = [("Command", frame.start_line or "")]
    pairs += [(k, v) for k, v in frame.headers if k.lower() != "content-length"]
    pairs.append(("Event-UUID", event_uuid))
    pairs += switch.events.base(EVENT_NAME, "parse_command", "mod_event_socket.c", 2275)
    account = frame.get("MWI-Message-Account")
    waiting = frame.get("MWI-Messages-Waiting")
    if account is None or waiting is None:
        return pairs  # mod_sofia: "Missing required Header ..."
    user, _, host = account.removeprefix("sip:").partition("@")
    if host != switch.domain and host not in _PROFILES:
        return pairs  # "Cannot find profile"
    if user not in switch.users or user in switch.unregistered:
        return pairs  # no registration of that user: nobody to NOTIFY
    new = old = 0
    voice = _VOICE.fullmatch(frame.get("MWI-Voice-Message") or "")
    if voice is not None:
        new, old = int(voice.group(1)), int(voice.group(2))
    lamps[user] = Lamp(lit=waiting.strip().lower() == "yes", new=new, old=old)
    return pairs


def message_query(switch: SimSwitch, user: str, call_id: str) -> Pairs:
    """The ``MESSAGE_QUERY`` mod_sofia fires when ``user``'s phone registers
    (``sofia_reg.c``, ``sofia_reg_handle_register_token``; as captured on 1.10.12:
    tests/fixtures/esl/lab-mwi-faxstop-events.txt). No mod_voicemail here: only a
    program on the event socket may answer it."""
    pairs = switch.events.base("MESSAGE_QUERY", "sofia_reg_handle_register_token", "sofia_reg.c")
    pairs += [
        ("Message-Account", f"sip:{user}@{switch.domain}"),
        ("VM-Sofia-Profile", "internal"),
        ("VM-Call-ID", call_id),
    ]
    return pairs
