"""Real audio for the simulator's recordings: a tone per party, silence when nobody is heard.

The card keeps, for each recording, when the set of parties it hears changes
(``Recording.segments``). This module renders that timeline as 16-bit mono
PCM at 8 kHz and writes it as a WAV file, so recordings made on the
simulator go through the whole recording path (files, metadata, download,
retention, export) as real ones do.

Each party gets a tone of its own, in the order the recording first heard
it: 400 Hz, 500 Hz, 320 Hz, 250 Hz, 200 Hz, 800 Hz, then round again. Every
frequency divides 8000, so one period is a whole number of samples and a
segment is one precomputed period repeated: rendering an hour takes
milliseconds. Silence (all zeros) marks pauses (``PauseRecording``, for card
numbers), holds (music on the bridge) and nobody in the bridge.
"""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Final

__all__ = ["RATE", "TONES", "render", "tone_of", "write_wav"]

RATE: Final = 8000
#: Samples per period of each party's tone (RATE / period = frequency).
_PERIODS: Final = (20, 16, 25, 32, 40, 10)
#: The tones in Hz, in the order parties are given them.
TONES: Final = tuple(RATE // p for p in _PERIODS)
_AMPLITUDE: Final = 12000


def tone_of(index: int) -> int:
    """The frequency of the ``index``-th party a recording heard."""
    return TONES[index % len(TONES)]


@lru_cache(maxsize=256)
def _period(indices: tuple[int, ...]) -> bytes:
    """One period of the mix of these parties' tones, as little-endian 16-bit PCM."""
    if not indices:
        return b"\x00\x00"
    periods = [_PERIODS[i % len(_PERIODS)] for i in indices]
    length = math.lcm(*periods)
    scale = _AMPLITUDE / len(indices)
    samples = [
        round(scale * sum(math.sin(2 * math.pi * n / p) for p in periods)) for n in range(length)
    ]
    return struct.pack(f"<{length}h", *samples)


def render(segments: Sequence[tuple[float, Sequence[str]]], start: float, end: float) -> bytes:
    """PCM for the timeline: ``segments`` are (time, parties heard from then on)."""
    order: dict[str, int] = {}
    out = bytearray()
    total = max(0, round((end - start) * RATE))
    for i, (at, parties) in enumerate(segments):
        until = segments[i + 1][0] if i + 1 < len(segments) else end
        first = max(0, round((at - start) * RATE))
        last = min(total, round((until - start) * RATE))
        count = last - first
        if count <= 0:
            continue
        for party in parties:
            order.setdefault(party, len(order))
        period = _period(tuple(sorted(order[p] for p in parties)))
        samples_per_period = len(period) // 2
        repeats = -(-count // samples_per_period)
        out += (period * repeats)[: count * 2]
    # Rounding can leave the last sample or two unwritten; pad with silence.
    out += b"\x00\x00" * (total - len(out) // 2)
    return bytes(out)


def write_wav(
    path: Path, segments: Sequence[tuple[float, Sequence[str]]], start: float, end: float
) -> int:
    """Render and write ``path`` (blocking: run it in a worker thread); returns its size."""
    pcm = render(segments, start, end)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm)
    return path.stat().st_size
