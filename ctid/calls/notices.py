"""Internal notices: what the call model tells ctid's own services but not clients.

CSTA events go to clients through the bus; notices go only to services inside
the daemon (IVR, ACD, recording, records). They are frozen values like events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "ANSWERED_BY",
    "AnswerClassified",
    "CallArrived",
    "CallEnded",
    "DigitsDetected",
    "FaxDone",
    "FaxProgressed",
    "FaxToneHeard",
    "LegSnapshot",
    "Notice",
    "PlaybackDone",
    "RecordingDone",
]


#: The call's fact naming who answered an outside call that asked for detection.
ANSWERED_BY = "answeredBy"


class Notice:
    """Base of internal notices."""

    __slots__ = ()


@attrs.frozen(kw_only=True)
class CallArrived(Notice):
    """A call reached a route point (a queue or IVR number) and waits for its owner to act."""

    call_id: str
    route_point: str
    calling_device: str
    called_device: str
    trunk: str | None


@attrs.frozen(kw_only=True)
class DigitsDetected(Notice):
    """DTMF from a party of a call (for IVR menus and callbacks in queue)."""

    call_id: str
    device: str
    digits: str


@attrs.frozen(kw_only=True)
class PlaybackDone(Notice):
    playback_id: str
    reason: str


@attrs.frozen(kw_only=True)
class RecordingDone(Notice):
    recording_id: str
    path: str | None
    duration: float
    failed: bool = False
    detail: str = ""


@attrs.frozen(kw_only=True)
class FaxProgressed(Notice):
    fax_id: str
    pages: int


@attrs.frozen(kw_only=True)
class FaxDone(Notice):
    """A fax ended on the switch (see ``switch_drivers.base.FaxFinished``)."""

    fax_id: str
    success: bool
    pages: int
    result_code: int
    result_text: str
    path: str | None
    remote_station_id: str = ""
    bit_rate: int = 0


@attrs.frozen(kw_only=True)
class FaxToneHeard(Notice):
    """The switch heard a fax machine's calling tone (CNG) from a party of a call."""

    call_id: str
    device: str


@attrs.frozen(kw_only=True)
class AnswerClassified(Notice):
    """Answering-machine detection's verdict on an answered party (``amd.AmdResult``):
    ``human``, ``machine`` or ``unknown``. The call's fact ``answeredBy`` keeps it."""

    call_id: str
    device: str
    answered_by: str


@attrs.frozen(kw_only=True)
class LegSnapshot:
    """One party's part in a finished call, for call records."""

    device: str
    kind: str
    direction: str
    answered_at: float | None
    ended_at: float
    cause: str


@attrs.frozen(kw_only=True)
class CallEnded(Notice):
    """A call is over (after its CallClearedEvent); everything a call record needs."""

    call_id: str
    calling_device: str
    called_device: str
    trunk: str | None
    direction: str
    created_at: float
    answered_at: float | None
    ended_at: float
    cause: str
    correlator_data: str | None
    user_data: Mapping[str, Any]
    devices: tuple[str, ...]
    #: What services recorded about the call (``Call.facts``): queue, agent, IVR flow, ...
    facts: Mapping[str, Any] = attrs.field(factory=dict)
