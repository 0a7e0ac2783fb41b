"""Event headers and wire formats of the fake FreeSWITCH (see ``fake_freeswitch``).

The header names and their order follow the captured FreeSWITCH 1.10.12 events
(tests/fixtures/esl/events-sample.jsonl): the 13 common headers, the channel
block (``Channel-State`` ... ``Answer-State``, codecs once media is set up,
the caller profile), an ``Other-Leg-*`` block while the channel has a partner,
the event's own headers, then the ``variable_*`` block.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Final

import attrs

__all__ = ["EventBuilder", "Pairs", "SimChannel", "encode_plain_value", "serialize"]

Pairs = list[tuple[str, str | list[str]]]

#: Characters FreeSWITCH percent-encodes in plain events (SWITCH_URL_UNSAFE),
#: besides bytes below 0x20 and above 0x7E.
_URL_UNSAFE: Final = frozenset(b'\r\n #%&+:;<=>?@[\\]^`{|}"')
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")

STATE_NUMBERS: Final = {
    "CS_NEW": 0,
    "CS_INIT": 1,
    "CS_ROUTING": 2,
    "CS_SOFT_EXECUTE": 3,
    "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5,
    "CS_PARK": 6,
    "CS_CONSUME_MEDIA": 7,
    "CS_HIBERNATE": 8,
    "CS_RESET": 9,
    "CS_HANGUP": 10,
    "CS_REPORTING": 11,
    "CS_DESTROY": 12,
}


@attrs.define(kw_only=True)
class SimChannel:
    """One simulated channel (leg)."""

    uuid: str
    name: str
    direction: str  # "inbound" or "outbound"
    cid_name: str
    cid_number: str
    destination: str
    created_us: int
    source: str = "mod_sofia"
    username: str | None = None
    presence_id: str | None = None
    state: str = "CS_INIT"
    callstate: str = "DOWN"
    answer_state: str = "ringing"
    hit_dialplan: bool = True
    media: bool = False
    answered_us: int = 0
    progress_us: int = 0
    bridged_us: int = 0
    hangup_us: int = 0
    partner: str | None = None
    #: The A leg of its bridge (CHANNEL_BRIDGE and CHANNEL_UNBRIDGE are reported on it).
    bridge_a: bool = False
    application: str = ""
    application_data: str = ""
    conference: str | None = None
    held: bool = False
    hungup: bool = False
    transfer_source: str | None = None
    callee_name: str | None = None
    callee_number: str | None = None
    #: The caller id the leg was created with (kept when a bridge flips it).
    orig_cid_name: str | None = None
    orig_cid_number: str | None = None
    #: Set by a transfer: the dialplan it went through and the number it left.
    dialplan: str | None = None
    rdnis: str | None = None
    #: The dialplan context of its caller profile.
    context: str = "default"
    #: Who is on the other end of the leg: a phone's extension or an outside number.
    party: str = ""
    #: DTMF the switch sent out of the leg to its party (``uuid_send_dtmf``).
    digits_heard: list[str] = attrs.field(factory=list)
    variables: dict[str, str] = attrs.field(factory=dict)


def encode_plain_value(value: str) -> str:
    """Percent-encode like ``switch_url_encode``: a ``%`` already followed by two
    hex digits stays as it is, a space is ``%20``."""
    raw = value.encode("utf-8")
    out = []
    for i, byte in enumerate(raw):
        if (
            byte == 0x25
            and raw[i + 1 : i + 2]
            and raw[i + 1] in _HEX
            and raw[i + 2 : i + 3]
            and raw[i + 2] in _HEX
        ):
            out.append("%")
        elif byte < 0x20 or byte > 0x7E or byte in _URL_UNSAFE:
            out.append(f"%{byte:02X}")
        else:
            out.append(chr(byte))
    return "".join(out)


def serialize(pairs: Pairs, body: str | None, fmt: str) -> bytes:
    """One event frame: ``Content-Length`` before ``Content-Type``, as FreeSWITCH sends."""
    if fmt == "json":
        items = [
            f"{json.dumps(k)}:{json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
            for k, v in pairs
        ]
        if body is not None:
            items.append(f'"Content-Length":"{len(body.encode())}"')
            items.append(f'"_body":{json.dumps(body, ensure_ascii=False)}')
        payload = ("{" + ",".join(items) + "}").encode("utf-8")
        content_type = "text/event-json"
    else:
        lines = []
        for key, value in pairs:
            text = value if isinstance(value, str) else "ARRAY::" + "|:".join(value)
            lines.append(f"{key}: {encode_plain_value(text)}\n")
        payload = "".join(lines).encode("utf-8")
        if body is not None:
            encoded = body.encode("utf-8")
            payload += b"Content-Length: %d\n\n" % len(encoded) + encoded
        else:
            payload += b"\n"
        content_type = "text/event-plain"
    head = f"Content-Length: {len(payload)}\nContent-Type: {content_type}\n\n".encode()
    return head + payload


class EventBuilder:
    """Builds events with FreeSWITCH's header layout; time comes from ``clock_us``."""

    def __init__(self, *, core_uuid: str, hostname: str, clock_us: Callable[[], int]) -> None:
        self._core_uuid = core_uuid
        self._hostname = hostname
        self._clock_us = clock_us
        self._sequence = 400

    def base(
        self, name: str, function: str, file: str = "switch_channel.c", line: int = 1
    ) -> Pairs:
        """The 13 headers every event starts with."""
        self._sequence += 1
        now = self._clock_us()
        seconds = now // 1_000_000
        local = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
        gmt = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(seconds))
        return [
            ("Event-Name", name),
            ("Core-UUID", self._core_uuid),
            ("FreeSWITCH-Hostname", self._hostname),
            ("FreeSWITCH-Switchname", self._hostname),
            ("FreeSWITCH-IPv4", "192.0.2.2"),
            ("FreeSWITCH-IPv6", "fd00::2"),
            ("Event-Date-Local", local),
            ("Event-Date-GMT", gmt),
            ("Event-Date-Timestamp", str(now)),
            ("Event-Calling-File", file),
            ("Event-Calling-Function", function),
            ("Event-Calling-Line-Number", str(line)),
            ("Event-Sequence", str(self._sequence)),
        ]

    def channel_block(self, ch: SimChannel) -> Pairs:
        """``Channel-State`` to the end of the caller profile."""
        pairs: Pairs = [
            ("Channel-State", ch.state),
            ("Channel-Call-State", ch.callstate),
            ("Channel-State-Number", str(STATE_NUMBERS.get(ch.state, 0))),
            ("Channel-Name", ch.name),
            ("Unique-ID", ch.uuid),
            ("Call-Direction", ch.direction),
            ("Presence-Call-Direction", ch.direction),
            ("Channel-HIT-Dialplan", "true" if ch.hit_dialplan else "false"),
        ]
        if ch.presence_id:
            pairs.append(("Channel-Presence-ID", ch.presence_id))
        pairs += [("Channel-Call-UUID", ch.uuid), ("Answer-State", ch.answer_state)]
        if ch.media:
            for side in ("Read", "Write"):
                pairs += [
                    (f"Channel-{side}-Codec-Name", "PCMU"),
                    (f"Channel-{side}-Codec-Rate", "8000"),
                    (f"Channel-{side}-Codec-Bit-Rate", "64000"),
                ]
        pairs += self.profile("Caller", ch)
        return pairs

    def profile(self, prefix: str, ch: SimChannel) -> Pairs:
        """A caller profile block (``Caller-*`` or ``Other-Leg-*``)."""
        pairs: Pairs = [
            (f"{prefix}-Direction", ch.direction),
            (f"{prefix}-Logical-Direction", ch.direction),
        ]
        if ch.username:
            pairs.append((f"{prefix}-Username", ch.username))
        if ch.username or ch.dialplan:
            pairs.append((f"{prefix}-Dialplan", ch.dialplan or "XML"))
        # FreeSWITCH leaves out profile fields that are empty, such as the
        # name of a caller id given only as a number.
        orig_name = ch.cid_name if ch.orig_cid_name is None else ch.orig_cid_name
        orig_number = ch.cid_number if ch.orig_cid_number is None else ch.orig_cid_number
        if ch.cid_name:
            pairs.append((f"{prefix}-Caller-ID-Name", ch.cid_name))
        pairs.append((f"{prefix}-Caller-ID-Number", ch.cid_number))
        if orig_name:
            pairs.append((f"{prefix}-Orig-Caller-ID-Name", orig_name))
        pairs.append((f"{prefix}-Orig-Caller-ID-Number", orig_number))
        callee_name = ch.callee_name
        if callee_name is None and prefix == "Other-Leg" and ch.callee_number is not None:
            callee_name = orig_name or None
        if callee_name is not None:
            pairs.append((f"{prefix}-Callee-ID-Name", callee_name))
        if ch.callee_number is not None:
            pairs.append((f"{prefix}-Callee-ID-Number", ch.callee_number))
        pairs += [
            (f"{prefix}-Network-Addr", "127.0.0.1"),
            (f"{prefix}-ANI", orig_number),
            (f"{prefix}-Destination-Number", ch.destination),
            *([(f"{prefix}-RDNIS", ch.rdnis)] if ch.rdnis else []),
            (f"{prefix}-Unique-ID", ch.uuid),
            (f"{prefix}-Source", ch.source),
            *(
                [(f"{prefix}-Transfer-Source", ch.transfer_source)]
                if prefix == "Caller" and ch.transfer_source
                else []
            ),
            (f"{prefix}-Context", ch.context),
            (f"{prefix}-Channel-Name", ch.name),
            *([(f"{prefix}-Profile-Index", "1")] if prefix == "Caller" else []),
            (f"{prefix}-Profile-Created-Time", str(ch.created_us)),
            (f"{prefix}-Channel-Created-Time", str(ch.created_us)),
            (f"{prefix}-Channel-Answered-Time", str(ch.answered_us)),
            (f"{prefix}-Channel-Progress-Time", str(ch.progress_us)),
            (f"{prefix}-Channel-Progress-Media-Time", "0"),
            (f"{prefix}-Channel-Hangup-Time", str(ch.hangup_us)),
            (f"{prefix}-Channel-Transfer-Time", "0"),
            (f"{prefix}-Channel-Resurrect-Time", "0"),
            (f"{prefix}-Channel-Bridged-Time", str(ch.bridged_us)),
            (f"{prefix}-Channel-Last-Hold", "0"),
            (f"{prefix}-Channel-Hold-Accum", "0"),
            (f"{prefix}-Screen-Bit", "true"),
            (f"{prefix}-Privacy-Hide-Name", "false"),
            (f"{prefix}-Privacy-Hide-Number", "false"),
        ]
        return pairs

    def other_leg(self, ch: SimChannel, other: SimChannel | None) -> Pairs:
        """``Other-Type`` and the partner's profile, when there is a partner."""
        if other is None:
            return []
        kind = "originatee" if ch.created_us <= other.created_us else "originator"
        return [("Other-Type", kind), *self.profile("Other-Leg", other)]

    @staticmethod
    def variables(ch: SimChannel) -> Pairs:
        """The ``variable_*`` block."""
        return [(f"variable_{k}", v) for k, v in ch.variables.items()]

    def channel_event(
        self,
        name: str,
        function: str,
        ch: SimChannel,
        other: SimChannel | None,
        *,
        before: Sequence[tuple[str, str]] = (),
        after: Sequence[tuple[str, str]] = (),
        with_other: bool = True,
    ) -> Pairs:
        """A channel event: base, ``before`` headers, channel block, other leg,
        ``after`` headers, variables."""
        pairs = self.base(name, function)
        pairs += list(before)
        pairs += self.channel_block(ch)
        if with_other:
            pairs += self.other_leg(ch, other)
        pairs += list(after)
        pairs += self.variables(ch)
        return pairs
