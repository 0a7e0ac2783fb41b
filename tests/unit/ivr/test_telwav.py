"""Prompts at 8 kHz mono: Asterisk 22.10.1's format_wav plays nothing else.

Seen on the lab's Asterisk, 2026-12-07: an IVR prompt made by espeak-ng (22,050 Hz)
failed with "format_wav.c: Unexpected frequency mismatch 22050 (expecting 8000)",
"Playback failed for sound:/.../prompts/en/<hash>", and the flow went to its error.
"""

from __future__ import annotations

import array
import hashlib
import itertools
import math
import wave
from pathlib import Path

import pytest

from ctid.ivr.telwav import RATE, to_telephone_wav
from ctid.ivr.tts import EspeakNg, PromptCache


def write(path: Path, samples: list[int], rate: int, channels: int = 1, width: int = 2) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        if width == 2:
            w.writeframes(array.array("h", samples).tobytes())
        else:
            w.writeframes(bytes(samples))


def read(path: Path) -> tuple[tuple[int, int, int], list[int]]:
    with wave.open(str(path), "rb") as w:
        params = (w.getnchannels(), w.getsampwidth(), w.getframerate())
        data = array.array("h")
        data.frombytes(w.readframes(w.getnframes()))
    return params, list(data)


def sine(freq: float, rate: int, seconds: float, amplitude: int = 10000) -> list[int]:
    return [
        round(amplitude * math.sin(2 * math.pi * freq * n / rate))
        for n in range(int(rate * seconds))
    ]


def crossings(samples: list[int]) -> int:
    return sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)


def test_espeak_rate_becomes_8k_and_keeps_the_pitch(tmp_path: Path) -> None:
    path = tmp_path / "p.wav"
    write(path, sine(400, 22050, 2.0), 22050)
    assert to_telephone_wav(path) is True
    params, out = read(path)
    assert params == (1, 2, RATE)
    assert len(out) == 2 * 22050 * RATE // 22050 == 16000
    # 400 Hz for 2 s: 800 upward zero crossings, give or take the ends.
    assert 798 <= crossings(out) <= 801
    # The box filter barely touches 400 Hz: the peak stays within 5 % of 10000.
    assert 9500 <= max(out) <= 10000


def test_a_stereo_file_is_mixed_down(tmp_path: Path) -> None:
    path = tmp_path / "s.wav"
    left = sine(300, 16000, 1.0)
    interleaved = [v for pair in zip(left, [0] * len(left), strict=True) for v in pair]
    write(path, interleaved, 16000, channels=2)
    assert to_telephone_wav(path) is True
    params, out = read(path)
    assert params == (1, 2, RATE)
    assert len(out) == 8000
    assert 4600 <= max(out) <= 5000  # half of each frame was silence


def test_a_low_rate_is_raised_by_interpolation(tmp_path: Path) -> None:
    path = tmp_path / "l.wav"
    write(path, [0, 1000, 2000, 3000], 4000)
    assert to_telephone_wav(path) is True
    params, out = read(path)
    assert params == (1, 2, RATE)
    assert out == [0, 500, 1000, 1500, 2000, 2500, 3000, 3000]


def test_an_8k_mono_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ok.wav"
    write(path, sine(400, RATE, 0.5), RATE)
    before = path.read_bytes()
    assert to_telephone_wav(path) is False
    assert path.read_bytes() == before


def test_an_8_bit_file_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "8bit.wav"
    write(path, [128] * 100, 11025, width=1)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="8-bit"):
        to_telephone_wav(path)
    assert path.read_bytes() == before


async def test_espeak_prompts_are_made_at_8k_mono(tmp_path: Path) -> None:
    engine = EspeakNg()
    if not engine.available():
        pytest.fail("espeak-ng is missing: run scripts/install-system-deps (make system-deps)")
    cache = PromptCache(engine, tmp_path)
    path = await cache.render("Please leave a message after the tone.", "en")
    params, out = read(path)
    assert params == (1, 2, RATE)
    assert 1.0 < len(out) / RATE < 5.0
    assert max(abs(v) for v in out) > 1000  # speech, not silence


def test_prompts_made_before_are_not_reused(tmp_path: Path) -> None:
    """The cache key names the rate, so a 22 kHz file cached by an older ctid is not
    played again on Asterisk."""
    cache = PromptCache(EspeakNg(), tmp_path)
    old_key_digest = hashlib.sha256(
        "\0".join(("espeak-ng", "en-us", "en", "Hello")).encode()
    ).hexdigest()[:32]
    assert cache.path_for("Hello", "en").name != f"{old_key_digest}.wav"
