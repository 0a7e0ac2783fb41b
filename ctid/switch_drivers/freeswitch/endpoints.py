"""Which FreeSWITCH channels are extensions and which are outside lines, from configuration.

``EndpointConfig`` holds the rules, and turns devices into originate dial
strings:

* ``extension_endpoint``, a template such as ``"user/{extension}"``: how
  ``Originate`` reaches a phone. A leg FreeSWITCH dialled to a directory user
  is recognised by ``variable_dialed_user`` (its ``Caller-Destination-Number``
  is the phone's Contact user, such as ``1001-0x5622d7355d70``), and a phone's
  own call by its authenticated user (``variable_user_name``).
* ``trunks``: for each outside line, the dial string of a number
  (``sofia/gateway/provider/{number}``), the gateway whose calls are its own
  (``variable_sip_gateway_name``, taken from the dial string when it names a
  gateway), and the sofia profiles on which inbound calls count as coming
  from it (a provider that sends calls to the ``external`` profile without a
  registered gateway).

Pure, and without state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import attrs

from ..base import EndpointKind

__all__ = ["EndpointConfig", "TrunkConfig", "gateway_of_dial"]

_GATEWAY_DIAL: Final = re.compile(r"sofia/gateway/(?P<gateway>[^/]+)/")
#: What a device may not contain: it goes into a dial string.
_NOT_IN_DEVICE: Final = frozenset("/@&,;{}[]'\" \t\r\n\\")


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def gateway_of_dial(dial: str) -> str | None:
    """``sofia/gateway/provider/{number}`` -> ``provider``; None for other dial strings."""
    match = _GATEWAY_DIAL.match(dial)
    return match.group("gateway") if match else None


@attrs.frozen(kw_only=True)
class TrunkConfig:
    """One outside line."""

    #: ctid's name for it (``Originate.trunk``, ``ChannelCreated.trunk``).
    name: str
    #: How to dial a number through it; ``{number}`` is replaced.
    dial: str
    #: The sofia gateway whose calls are this trunk's; from ``dial`` if not given.
    gateway: str | None = None
    #: Sofia profiles whose inbound calls (without a gateway) are this trunk's.
    profiles: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    def __attrs_post_init__(self) -> None:
        if self.dial.count("{number}") != 1:
            raise ValueError(f"trunk {self.name!r}: dial must contain {{number}} once")
        if self.gateway is None:
            object.__setattr__(self, "gateway", gateway_of_dial(self.dial))


def _trunks(value: Iterable[TrunkConfig]) -> tuple[TrunkConfig, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class EndpointConfig:
    """The rules that turn FreeSWITCH channels into devices, and devices into dial strings."""

    extension_endpoint: str = "user/{extension}"
    trunks: tuple[TrunkConfig, ...] = attrs.field(default=(), converter=_trunks)
    #: The extension numbers ctid serves (may be empty: then ``extension_pattern`` decides).
    extensions: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    #: Which numbers are extensions when ``extensions`` is empty (a regular expression).
    extension_pattern: str = r"[0-9]{2,6}"
    _pattern: re.Pattern[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.extension_endpoint.count("{extension}") != 1:
            raise ValueError("extension_endpoint must contain {extension} once")
        if len({t.name for t in self.trunks}) != len(self.trunks):
            raise ValueError("trunk names must be unique")
        object.__setattr__(self, "_pattern", re.compile(self.extension_pattern))

    def is_extension(self, number: str) -> bool:
        """Whether a bare number is one of ctid's extensions."""
        if self.extensions:
            return number in self.extensions
        return bool(self._pattern.fullmatch(number))

    def trunk_of(self, *, gateway: str | None, profile: str | None) -> TrunkConfig | None:
        """The trunk of a channel: by its gateway first, then by its sofia profile."""
        if gateway:
            for trunk in self.trunks:
                if trunk.gateway == gateway:
                    return trunk
        if profile:
            for trunk in self.trunks:
                if profile in trunk.profiles:
                    return trunk
        return None

    def dial_string(self, kind: EndpointKind, device: str, trunk: str | None = None) -> str:
        """The originate endpoint for a device; ``ValueError`` if there is none."""
        if not device or any(c in _NOT_IN_DEVICE for c in device):
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
        """The trunk ``Originate`` uses for an external number."""
        if trunk is not None:
            return trunk
        return self.trunks[0].name if self.trunks else None
