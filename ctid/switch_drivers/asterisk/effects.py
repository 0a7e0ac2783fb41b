"""What the ARI mapper asks of its I/O shell besides switch events: ``Effect``s."""

from __future__ import annotations

import attrs

from ctid.switch_drivers.base import SwitchEvent

__all__ = [
    "ApplicationLost",
    "Effect",
    "FaxReturned",
    "FollowChannel",
    "Output",
    "StartAmd",
    "StopPlaybackOnDigit",
]


class Effect:
    """Something the I/O shell must do because of an event (not a switch event)."""

    __slots__ = ()


@attrs.frozen
class StopPlaybackOnDigit(Effect):
    """A digit arrived during a ``stop_on_digit`` playback: stop it."""

    playback_id: str


@attrs.frozen
class FollowChannel(Effect):
    """A channel left Stasis without hanging up (to the dialplan, e.g. a transfer).

    Asterisk stops telling the app about it; the shell subscribes to it so its
    end still arrives, and calls ``channel_vanished`` if it is already gone.
    """

    channel_id: str


@attrs.frozen
class StartAmd(Effect):
    """An answered channel that asked for detection entered the app: ``continue`` it
    into the AMD context (``amd.start_request``); ``amd_failed`` if that fails."""

    channel_id: str


@attrs.frozen
class FaxReturned(Effect):
    """A channel came back to Stasis from the fax context: read res_fax's variables."""

    channel_id: str
    fax_id: str
    path: str


@attrs.frozen
class ApplicationLost(Effect):
    """Another connection registered ctid's app name; this socket gets no more events."""

    detail: str


Output = SwitchEvent | Effect
