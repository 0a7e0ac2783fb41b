"""Records of the fake FreeSWITCH's media features: eavesdrops and recordings.

``Eavesdrop`` is what ``switch_ivr_eavesdrop_session`` keeps about one
eavesdropper; ``Recording`` one ``uuid_record`` and the file it writes.
"""

from __future__ import annotations

import itertools
import wave

import attrs

__all__ = ["Eavesdrop", "Recording", "switch_true"]


def switch_true(value: str | None) -> bool:
    """FreeSWITCH's ``switch_true``."""
    return (value or "").lower() in ("true", "yes", "on", "enabled", "active", "allow", "1")


@attrs.define
class Eavesdrop:
    """A channel running ``eavesdrop`` on ``target``, and who hears the eavesdropper.

    As in ``switch_ivr_eavesdrop_session``: ``mux_write`` mixes its audio into
    what the target's phone gets (the target hears it), ``mux_read`` into what
    the target sends (the target's partners hear it).
    """

    target: str
    mux_read: bool = False
    mux_write: bool = False
    #: Digits from the eavesdropper's phone switch the mode (``eavesdrop_enable_dtmf``).
    dtmf: bool = True
    app_uuid: str = ""


@attrs.define
class Recording:
    """One ``uuid_record``: its start and the time spans it was masked (silence)."""

    started: float
    masked: list[tuple[float, float | None]] = attrs.field(factory=list)

    def mask(self, now: float, *, on: bool) -> None:
        if on and not (self.masked and self.masked[-1][1] is None):
            self.masked.append((now, None))
        elif not on and self.masked and self.masked[-1][1] is None:
            self.masked[-1] = (self.masked[-1][0], now)

    def write(self, path: str, now: float) -> int:
        """Write the file (8 kHz 16-bit mono: a tone, silence while masked); its length in ms."""
        rate = 8000
        samples = bytearray()
        edges = [(self.started, False)]
        for begin, end in self.masked:
            edges += [(begin, True), (end if end is not None else now, False)]
        edges.append((now, False))
        for (begin, quiet), (end, _) in itertools.pairwise(edges):
            count = max(0, round((end - begin) * rate))
            # A square wave of 400 Hz stands for the audio of the call.
            period = b"\x00\x10" * 10 + b"\x00\xf0" * 10
            chunk = bytes(2 * count) if quiet else (period * (count // 20 + 1))[: 2 * count]
            samples += chunk
        with wave.open(path, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(bytes(samples))
        return round((now - self.started) * 1000)
