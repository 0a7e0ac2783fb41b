"""A TTS engine that speaks silence: for trying flows where no real engine is installed.

Each prompt is a WAV of silence as long as the text would roughly take to say
(``SECONDS_PER_CHARACTER``), so flows keep their timing on the simulator.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Final

__all__ = ["SilentTts"]

SECONDS_PER_CHARACTER: Final = 0.06
RATE: Final = 8000


class SilentTts:
    @property
    def name(self) -> str:
        return "silent"

    def voice(self, language: str) -> str:
        return language

    def synthesize(self, text: str, language: str, path: Path) -> None:
        seconds = max(0.5, len(text) * SECONDS_PER_CHARACTER)
        frames = int(seconds * RATE)
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(b"\0\0" * frames)
