"""Which Asterisk endpoints are extensions and which are trunks, from configuration.

Asterisk names a channel after its endpoint plus a sequence suffix
(``PJSIP/1001-0000000a``). ctid's call model wants a device instead: an
extension number, or an external number on a named trunk. ``EndpointConfig``
holds the two rules that decide it:

* ``extension_endpoint``, a template such as ``"PJSIP/{extension}"``: a channel
  on ``PJSIP/1001`` is extension ``1001``, and ``Originate`` to extension
  ``1001`` dials ``PJSIP/1001``.
* ``trunks``: for each outside line, the endpoint its channels are named after
  (``PJSIP/trunk-provider``) and the dial string for a number
  (``PJSIP/{number}@trunk-provider``). A channel on a trunk is an external
  party; its number is the caller's (inbound) or the dialled one (outbound).

Everything here is pure and has no state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import attrs

from ctid.switch_drivers.base import EndpointKind, HangupCause

__all__ = [
    "DIAL_FAILURES",
    "Classified",
    "EndpointConfig",
    "TrunkConfig",
    "endpoint_of",
    "hangup_cause",
    "hangup_reason",
]

# Asterisk appends "-" and 8 hex digits to the endpoint for each channel, and
# Local channels also carry ";1"/";2" for their two halves.
_SUFFIX_RE: Final = re.compile(r"-[0-9a-f]{8}(;[12])?$")


def endpoint_of(channel_name: str) -> str:
    """``PJSIP/1001-0000000a`` -> ``PJSIP/1001``; a name without a suffix is kept."""
    return _SUFFIX_RE.sub("", channel_name)


@attrs.frozen(kw_only=True)
class TrunkConfig:
    """One outside line."""

    #: ctid's name for the trunk (``Originate.trunk``, ``ChannelCreated.trunk``).
    name: str
    #: The endpoint its channels are on, e.g. ``PJSIP/trunk-provider``.
    endpoint: str
    #: How to dial a number through it; ``{number}`` is replaced.
    dial: str

    def __attrs_post_init__(self) -> None:
        if "{number}" not in self.dial:
            raise ValueError(f"trunk {self.name!r}: dial must contain {{number}}")


def _trunk_tuple(value: Iterable[TrunkConfig]) -> tuple[TrunkConfig, ...]:
    return tuple(value)


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class Classified:
    """What an endpoint is: an extension (``extension`` set) or a trunk (``trunk`` set)."""

    kind: EndpointKind
    extension: str | None = None
    trunk: str | None = None


@attrs.frozen(kw_only=True)
class EndpointConfig:
    """The rules that turn endpoints into devices, and devices into dial strings."""

    extension_endpoint: str = "PJSIP/{extension}"
    trunks: tuple[TrunkConfig, ...] = attrs.field(default=(), converter=_trunk_tuple)
    #: Which dialled numbers are extensions (for a transfer target reached
    #: through the dialplan, where only the number is known), when
    #: ``extensions`` does not list them.
    extension_number: str = r"\d{2,6}"
    #: The extension numbers ctid serves, from the configuration (may be empty).
    extensions: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    _pattern: re.Pattern[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.extension_endpoint.count("{extension}") != 1:
            raise ValueError("extension_endpoint must contain {extension} once")
        head, tail = self.extension_endpoint.split("{extension}")
        pattern = re.compile(f"{re.escape(head)}(?P<ext>[^/@;]+){re.escape(tail)}")
        object.__setattr__(self, "_pattern", pattern)
        if len({t.name for t in self.trunks}) != len(self.trunks):
            raise ValueError("trunk names must be unique")

    def classify(self, endpoint: str) -> Classified | None:
        """An endpoint's device kind, or ``None`` if no rule claims it."""
        for trunk in self.trunks:
            if endpoint == trunk.endpoint:
                return Classified(EndpointKind.EXTERNAL, trunk=trunk.name)
        match = self._pattern.fullmatch(endpoint)
        if match:
            return Classified(EndpointKind.EXTENSION, extension=match.group("ext"))
        return None

    def number_kind(self, number: str) -> EndpointKind:
        """Whether a bare dialled number is an extension or an outside number."""
        if self.extensions:
            return EndpointKind.EXTENSION if number in self.extensions else EndpointKind.EXTERNAL
        if re.fullmatch(self.extension_number, number):
            return EndpointKind.EXTENSION
        return EndpointKind.EXTERNAL

    def dial_string(self, kind: EndpointKind, device: str, trunk: str | None) -> str:
        """The ARI endpoint for ``Originate``; ``ValueError`` if there is none."""
        if not device or any(c in device for c in "/@&,;"):
            raise ValueError(f"not a dialable device: {device!r}")
        if kind is EndpointKind.EXTENSION:
            return self.extension_endpoint.replace("{extension}", device)
        if not self.trunks:
            raise ValueError("no trunk is configured for external numbers")
        chosen = self.trunks[0]
        if trunk is not None:
            named = [t for t in self.trunks if t.name == trunk]
            if not named:
                raise ValueError(f"unknown trunk {trunk!r}")
            chosen = named[0]
        return chosen.dial.replace("{number}", device)

    def trunk_name(self, trunk: str | None) -> str | None:
        """The trunk ``Originate`` will use for an external number."""
        if trunk is not None:
            return trunk
        return self.trunks[0].name if self.trunks else None


# ------------------------------------------------------------------ hangup causes

_Q850: Final = {
    0: HangupCause.NORMAL,  # "Unknown": Asterisk's default for a plain hangup
    16: HangupCause.NORMAL,
    31: HangupCause.NORMAL,
    17: HangupCause.BUSY,
    18: HangupCause.NO_ANSWER,
    19: HangupCause.NO_ANSWER,
    21: HangupCause.REJECTED,
    1: HangupCause.UNREACHABLE,
    2: HangupCause.UNREACHABLE,
    3: HangupCause.UNREACHABLE,
    20: HangupCause.UNREACHABLE,
    22: HangupCause.UNREACHABLE,
    27: HangupCause.UNREACHABLE,
    28: HangupCause.UNREACHABLE,
    26: HangupCause.ANSWERED_ELSEWHERE,
    34: HangupCause.CONGESTION,
    42: HangupCause.CONGESTION,
    44: HangupCause.CONGESTION,
}


def hangup_cause(q850: int, tech_cause: int = 0, *, rang: bool = True) -> HangupCause:
    """A Q.850 cause (``ChannelDestroyed.cause``) as a ``HangupCause``.

    ``tech_cause`` is the SIP status PJSIP ended the channel with (Asterisk 22's
    ``tech_cause``), ``rang`` whether the far end ever answered the INVITE at all
    (ringing, progress). A 408 to an INVITE nobody answered is PJSIP's own
    transaction timeout (timer B, 32 s): the address does not answer SIP, which
    FreeSWITCH reports at once as ``NETWORK_OUT_OF_ORDER`` when the network says so.
    Asterisk makes it 18 (no user response), which would read as "rang, nobody
    answered"; it is a network failure on both switches (docs/drivers.md, causes).
    """
    if tech_cause == 408 and not rang:
        return HangupCause.FAILED
    return _Q850.get(q850, HangupCause.FAILED)


#: ``Dial.dialstatus`` values that explain a failed leg better than cause 16/0.
DIAL_FAILURES: Final = {
    "BUSY": HangupCause.BUSY,
    "NOANSWER": HangupCause.NO_ANSWER,
    "CANCEL": HangupCause.CANCELLED,
    "CONGESTION": HangupCause.CONGESTION,
    "CHANUNAVAIL": HangupCause.UNREACHABLE,
}

_REASONS: Final = {
    HangupCause.NORMAL: "normal",
    HangupCause.BUSY: "busy",
    HangupCause.NO_ANSWER: "no_answer",
    HangupCause.REJECTED: "rejected",
    HangupCause.UNREACHABLE: "unallocated",
    HangupCause.CONGESTION: "congestion",
    HangupCause.ANSWERED_ELSEWHERE: "answered_elsewhere",
    # ARI has no "originator cancel" or "shutdown" reason: both are plain hang-ups.
    HangupCause.CANCELLED: "normal",
    HangupCause.SHUTDOWN: "normal",
    HangupCause.FAILED: "failure",
}


def hangup_reason(cause: HangupCause) -> str:
    """The ``reason`` of ``DELETE /channels/{id}`` for a ``HangupCause``."""
    return _REASONS[cause]
