"""Simulated fax machines on the card's outside lines. Sans-IO, like ``core``.

A fax transfer is timed as on a real line: about six seconds of phase B
(capabilities, training) and then each page's compressed bytes at the line
rate (9,600 bit/s, V.29) plus the post-page exchange. The driver gives the
page sizes (it reads or makes the TIFF); this module only keeps time and
reports ``FaxProgress`` after each page and ``FaxFinished`` at the end, with
the T.30 completion codes and texts of spandsp (``t30_completion_code_to_str``)
that Asterisk's ``res_fax_spandsp`` and FreeSWITCH's ``mod_spandsp`` report.

After a fax ends, the simulated machine hangs up (it sends DCN, then drops
the line), as real machines do.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Final, Protocol

import attrs

from .. import base as sw
from .. import t30
from .config import FaxMachine, SimulatorConfig
from .objects import Channel

__all__ = [
    "T30_CALL_DROPPED",
    "T30_FILE_ERROR",
    "T30_NO_CARRIER",
    "T30_OK",
    "T30_T0_EXPIRED",
    "T30_TEXT",
    "T30_TX_PHD_DEAD",
    "FaxBook",
    "FaxSession",
    "answered",
    "channel_ended",
    "start",
    "start_typical",
]

#: spandsp's T.30 completion codes (``switch_drivers.t30``) that the simulator reports.
T30_OK: Final = t30.OK
T30_T0_EXPIRED: Final = t30.T0_EXPIRED
T30_TX_PHD_DEAD: Final = t30.TX_PHD_DEAD
T30_NO_CARRIER: Final = t30.NO_CARRIER
T30_FILE_ERROR: Final = t30.FILE_ERROR
T30_CALL_DROPPED: Final = t30.CALL_DROPPED
T30_TEXT: Final = t30.TEXT

#: Seconds of phase B (DIS/DCS, TCF training) before the first page.
PHASE_B: Final = 6.0
#: Seconds of phase D after each page (MPS/EOP, MCF).
PAGE_END: Final = 1.5
#: Seconds a receiving ctid waits for a fax from a party that is not a fax machine (T.30 T0).
T0: Final = 35.0
#: Seconds after a calling fax machine is answered before the switch reports its CNG.
CNG_AFTER: Final = 1.0
#: Seconds after a fax ends before the simulated machine drops the line.
HANGUP_AFTER: Final = 1.0
#: Compressed bytes of a typical text page (G4, fine), when the document is not known.
PAGE_BYTES: Final = 12_000
#: Finished transfers kept for tests to look at.
KEEP_FINISHED: Final = 100


@attrs.define(eq=False)
class FaxSession:
    """One transfer on a channel: ``receive`` (ctid takes pages) or ``send``."""

    fax_id: str
    channel_id: str
    direction: str
    path: str
    number: str
    page_bytes: tuple[int, ...]
    machine: FaxMachine | None
    started_at: float
    pages_done: int = 0
    result_code: int | None = None
    ended_at: float | None = None


@attrs.define(eq=False)
class FaxBook:
    """The card's fax transfers: in progress by fax id, and the last ones finished."""

    active: dict[str, FaxSession] = attrs.field(factory=dict)
    finished: deque[FaxSession] = attrs.field(factory=lambda: deque(maxlen=KEEP_FINISHED))


class SimSwitch(Protocol):
    """What this module uses of ``core.SimSwitch`` (kept apart: no import circle)."""

    config: SimulatorConfig
    channels: dict[str, Channel]
    fax: FaxBook

    def _channel(self, channel_id: str) -> Channel: ...
    def _at(self, when: float, key: str, action: Callable[[float], None]) -> None: ...
    def _cancel(self, key: str) -> None: ...
    def _emit(self, event: sw.SwitchEvent) -> None: ...
    def _end_channel(self, chan: Channel, cause: sw.HangupCause, now: float) -> None: ...


def _key(fax_id: str) -> str:
    return f"fax:{fax_id}"


def start(
    card: SimSwitch,
    cmd: sw.ReceiveFax | sw.SendFax,
    page_bytes: tuple[int, ...] | None,
    now: float,
) -> None:
    """Begin a transfer; ``page_bytes`` None means the document could not be read."""
    chan = card._channel(cmd.channel_id)
    if not chan.answered:
        raise sw.CommandRejected(sw.RejectReason.INVALID_STATE, f"{chan.channel_id} not answered")
    busy = any(f.channel_id == chan.channel_id for f in card.fax.active.values())
    if cmd.fax_id in card.fax.active or busy:
        raise sw.CommandRejected(sw.RejectReason.INVALID_STATE, "a fax is in progress there")
    card._cancel(f"cng:{chan.channel_id}")
    session = FaxSession(
        fax_id=cmd.fax_id,
        channel_id=chan.channel_id,
        direction="receive" if isinstance(cmd, sw.ReceiveFax) else "send",
        path=cmd.path,
        number=chan.device,
        page_bytes=page_bytes or (),
        machine=card.config.fax_machine(chan.device),
        started_at=now,
    )
    card.fax.active[session.fax_id] = session
    if page_bytes is None:
        card._at(now, _key(session.fax_id), partial(_end, card, session, T30_FILE_ERROR))
    elif session.machine is None or not page_bytes:
        # A person (or silence) on the line: no fax message ever comes.
        card._at(now + T0, _key(session.fax_id), partial(_end, card, session, T30_T0_EXPIRED))
    else:
        card._at(
            now + PHASE_B + _page_seconds(card, session, 0),
            _key(session.fax_id),
            partial(_page_done, card, session),
        )


def start_typical(card: SimSwitch, cmd: sw.ReceiveFax | sw.SendFax, now: float) -> None:
    """A transfer of typical pages (a bare card, without the driver reading the TIFF):
    a calling machine's configured number of pages of ``PAGE_BYTES`` each."""
    machine = card.config.fax_machine(card._channel(cmd.channel_id).device)
    start(card, cmd, (PAGE_BYTES,) * (machine.pages if machine is not None else 1), now)


def _page_seconds(card: SimSwitch, session: FaxSession, index: int) -> float:
    return session.page_bytes[index] * 8 / card.config.fax_bit_rate + PAGE_END


def _page_done(card: SimSwitch, session: FaxSession, now: float) -> None:
    machine = session.machine
    assert machine is not None
    page = session.pages_done + 1
    if machine.fail_at_page == page:
        code = T30_NO_CARRIER if session.direction == "receive" else T30_TX_PHD_DEAD
        _end(card, session, code, now)
        return
    session.pages_done = page
    card._emit(sw.FaxProgress(fax_id=session.fax_id, pages=page))
    if page >= len(session.page_bytes):
        _end(card, session, T30_OK, now)
        return
    card._at(
        now + _page_seconds(card, session, page),
        _key(session.fax_id),
        partial(_page_done, card, session),
    )


def _end(card: SimSwitch, session: FaxSession, code: int, now: float) -> None:
    if card.fax.active.pop(session.fax_id, None) is None:
        return
    card._cancel(_key(session.fax_id))
    session.result_code = code
    session.ended_at = now
    card.fax.finished.append(session)
    ok = code == T30_OK
    card._emit(
        sw.FaxFinished(
            fax_id=session.fax_id,
            success=ok,
            pages=session.pages_done,
            result_code=code,
            result_text=T30_TEXT[code],
            path=session.path if session.direction == "receive" and session.pages_done else None,
            remote_station_id=session.number if session.machine is not None else "",
            bit_rate=card.config.fax_bit_rate if session.machine is not None else 0,
        )
    )
    chan = card.channels.get(session.channel_id)
    if chan is not None and session.machine is not None and code != T30_CALL_DROPPED:
        card._at(now + HANGUP_AFTER, f"hangup:{chan.channel_id}", partial(_hang_up, card, chan))


def command(card: SimSwitch, cmd: sw.ReceiveFax | sw.SendFax | sw.StopFax, now: float) -> None:
    """A fax command on a bare card (the driver reads and writes the TIFFs itself)."""
    if isinstance(cmd, sw.StopFax):
        stop(card, cmd, now)
    else:
        start_typical(card, cmd, now)


def stop(card: SimSwitch, cmd: sw.StopFax, now: float) -> None:
    """``StopFax``: the transfer ends as the switch's fax stack ends one it is told to drop
    (spandsp's ``t30_terminate``: "The call dropped prematurely"); the line stays up."""
    session = card.fax.active.get(cmd.fax_id)
    if session is None or session.channel_id != cmd.channel_id:
        raise sw.CommandRejected(sw.RejectReason.INVALID_STATE, f"no fax {cmd.fax_id} there")
    _end(card, session, T30_CALL_DROPPED, now)


def _hang_up(card: SimSwitch, chan: Channel, now: float) -> None:
    if chan.channel_id in card.channels:
        card._end_channel(chan, sw.HangupCause.NORMAL, now)


def channel_ended(card: SimSwitch, chan: Channel, now: float) -> None:
    """The line dropped: a transfer on it ends with "The call dropped prematurely"."""
    card._cancel(f"cng:{chan.channel_id}")
    for session in list(card.fax.active.values()):
        if session.channel_id == chan.channel_id:
            _end(card, session, T30_CALL_DROPPED, now)


def answered(card: SimSwitch, chan: Channel, now: float) -> None:
    """A calling fax machine was answered: the switch hears its CNG a moment later."""
    if chan.direction is not sw.Direction.INBOUND:
        return
    machine = card.config.fax_machine(chan.device)
    if machine is not None and machine.cng:
        card._at(now + CNG_AFTER, f"cng:{chan.channel_id}", partial(_cng, card, chan))


def _cng(card: SimSwitch, chan: Channel, now: float) -> None:
    if chan.channel_id in card.channels:
        card._emit(sw.FaxToneDetected(channel_id=chan.channel_id))
