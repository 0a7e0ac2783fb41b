"""Prompts in the switches' own format: WAV, 8 kHz, mono, 16-bit signed.

espeak-ng writes 22,050 Hz WAV. FreeSWITCH resamples whatever it plays, but
Asterisk's ``format_wav`` opens only 8 kHz ``.wav`` files (``check_header_fmt``:
"Unexpected frequency mismatch 22050 (expecting 8000)") and the playback fails, so
every TTS prompt is brought to 8 kHz mono once, when it is made. Pure Python (no
``audioop``, gone in Python 3.13): prompts are a few seconds long and are made in a
worker thread.
"""

from __future__ import annotations

import array
import sys
import wave
from pathlib import Path
from typing import Final

__all__ = ["RATE", "to_telephone_wav"]

#: The sample rate every prompt file has.
RATE: Final = 8000


class WavFormatError(ValueError):
    """The file is not a PCM WAV ctid can convert."""


def to_telephone_wav(path: Path) -> bool:
    """Rewrite ``path`` as 8 kHz mono 16-bit WAV; False if it was already so."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (EOFError, wave.Error) as exc:
        raise WavFormatError(str(exc)) from None
    if (channels, width, rate) == (1, 2, RATE):
        return False
    if width != 2 or channels < 1 or rate <= 0:
        raise WavFormatError(f"{width * 8}-bit, {channels} channel(s): only 16-bit PCM is read")
    samples = array.array("h")
    samples.frombytes(raw)
    if sys.byteorder == "big":  # WAV is little-endian
        samples.byteswap()
    mono = _mix_down(samples, channels)
    out = array.array("h", _resample(mono, rate, RATE))
    if sys.byteorder == "big":
        out.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(out.tobytes())
    return True


def _mix_down(samples: array.array[int], channels: int) -> list[int]:
    if channels == 1:
        return list(samples)
    return [sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)]


def _resample(samples: list[int], source: int, target: int) -> list[int]:
    """Each output sample is the mean of the input it covers (a box low-pass), so
    downsampling speech does not fold its upper band back as noise; upsampling
    interpolates linearly."""
    if not samples or source == target:
        return list(samples)
    count = len(samples) * target // source
    step = source / target
    out: list[int] = []
    if step > 1:
        for i in range(count):
            start = int(i * step)
            end = max(start + 1, min(len(samples), int((i + 1) * step)))
            chunk = samples[start:end]
            out.append(sum(chunk) // len(chunk))
        return out
    last = len(samples) - 1
    for i in range(count):
        position = i * step
        low = int(position)
        high = min(low + 1, last)
        fraction = position - low
        out.append(round(samples[low] + (samples[high] - samples[low]) * fraction))
    return out
