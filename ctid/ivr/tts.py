"""Text to speech: pluggable engines; WAV prompts cached on disk by engine, voice, language, text.

An engine is anything with a ``name`` and a blocking ``synthesize(text,
language, path)`` that writes a WAV file. The default is espeak-ng (Debian's
``espeak-ng`` package, installed by ``scripts/install-system-deps``).

``PromptCache.render`` returns the cached file at once, or makes it in a
worker thread (``trio.to_thread``, at most ``threads`` at a time: espeak-ng is
CPU-bound) and writes it atomically, so a half-written file is never played.
Two calls asking for the same new prompt share one synthesis. An engine that
hangs is stopped by a real-time subprocess timeout, not a trio deadline: the
caller waits for its prompt explicitly, which also keeps tests on trio's mock
clock deterministic.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Protocol

import trio

from ..blocking import Blocking, in_thread
from .telwav import to_telephone_wav

__all__ = ["DEFAULT_VOICES", "EspeakNg", "PromptCache", "TtsEngine", "TtsError"]

log = logging.getLogger(__name__)

#: espeak-ng voices for the languages the IVR speaks.
DEFAULT_VOICES: Final = {"en": "en-us", "zh": "cmn"}
#: Real seconds one synthesis may take before it counts as failed.
SYNTH_TIMEOUT: Final = 30.0
#: Longest text sent to the engine (a prompt, not a book).
MAX_TEXT: Final = 2000


class TtsError(Exception):
    """A prompt could not be made (engine missing, failed, timed out, bad output)."""


class TtsEngine(Protocol):
    """A text-to-speech engine. ``synthesize`` blocks; it is run in a worker thread."""

    @property
    def name(self) -> str: ...

    def voice(self, language: str) -> str: ...

    def synthesize(self, text: str, language: str, path: Path) -> None:
        """Write ``text`` spoken in ``language`` to ``path`` as WAV; raise ``TtsError``."""


class EspeakNg:
    """The espeak-ng command-line engine."""

    def __init__(
        self, *, voices: Mapping[str, str] | None = None, binary: str = "espeak-ng"
    ) -> None:
        self.voices = dict(DEFAULT_VOICES) | dict(voices or {})
        self.binary = binary

    @property
    def name(self) -> str:
        return "espeak-ng"

    def voice(self, language: str) -> str:
        return self.voices.get(language, language)

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def synthesize(self, text: str, language: str, path: Path) -> None:
        command = [self.binary, "-v", self.voice(language), "-w", str(path), "--", text]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=SYNTH_TIMEOUT, check=False, text=True
            )
        except FileNotFoundError:
            raise TtsError(
                f"{self.binary} is not installed (run scripts/install-system-deps)"
            ) from None
        except subprocess.TimeoutExpired:
            raise TtsError(f"{self.binary} took more than {SYNTH_TIMEOUT} s") from None
        if done.returncode != 0:
            raise TtsError(f"{self.binary} failed ({done.returncode}): {done.stderr.strip()}")


class PromptCache:
    """WAV prompts on disk, keyed by engine, voice, language and text."""

    def __init__(
        self,
        engine: TtsEngine,
        directory: Path,
        *,
        threads: int = 2,
        blocking: Blocking = in_thread,
    ) -> None:
        self.engine = engine
        self.directory = directory
        #: How the engine runs: a worker thread (``inline`` in tests on MockClock).
        self.blocking = blocking
        self.limiter = trio.CapacityLimiter(threads)
        self._pending: dict[Path, trio.Event] = {}
        self._failed: dict[Path, str] = {}
        self.made = 0
        self.failures = 0

    def path_for(self, text: str, language: str) -> Path:
        # The rate is in the key: files cached before prompts were brought to 8 kHz
        # (which Asterisk cannot play) are made again rather than reused.
        key = "\0".join((self.engine.name, self.engine.voice(language), language, text, "8000"))
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.directory / language / f"{digest[:32]}.wav"

    def cached(self, text: str, language: str) -> Path | None:
        """The prompt's file if it is made already (a cheap stat, fine in the trio thread)."""
        path = self.path_for(text, language)
        return path if path.exists() else None

    async def render(self, text: str, language: str) -> Path:
        """The prompt's file, made now if need be; ``TtsError`` if it cannot be."""
        if len(text) > MAX_TEXT:
            raise TtsError(f"text longer than {MAX_TEXT} characters")
        path = self.path_for(text, language)
        while True:
            if path.exists():
                return path
            pending = self._pending.get(path)
            if pending is None:
                break
            await pending.wait()
            failure = self._failed.pop(path, None)
            if failure is not None and not path.exists():
                raise TtsError(failure)
        done = self._pending[path] = trio.Event()
        try:
            await self.blocking(self._make, text, language, path, limiter=self.limiter)
            self.made += 1
        except TtsError as exc:
            self.failures += 1
            self._failed[path] = str(exc)
            raise
        finally:
            del self._pending[path]
            done.set()
        return path

    def _make(self, text: str, language: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".wav", dir=path.parent)
        os.close(fd)
        try:
            self.engine.synthesize(text, language, Path(tmp))
            _check_wav(Path(tmp))
            try:
                to_telephone_wav(Path(tmp))
            except ValueError as exc:
                raise TtsError(f"the engine wrote a WAV ctid cannot convert: {exc}") from None
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _check_wav(path: Path) -> None:
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getframerate() <= 0 or wav.getnframes() <= 0:
                raise TtsError("the engine wrote an empty WAV file")
    except (OSError, EOFError, wave.Error) as exc:
        raise TtsError(f"the engine wrote no valid WAV file: {exc}") from None
