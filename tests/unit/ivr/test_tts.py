"""TTS: espeak-ng (installed by scripts/install-system-deps) and the on-disk prompt cache."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
import trio

from ctid.ivr.silent import SilentTts
from ctid.ivr.tts import EspeakNg, PromptCache, TtsError


def files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


def seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


@pytest.fixture(scope="module")
def espeak() -> EspeakNg:
    engine = EspeakNg()
    if not engine.available():
        pytest.fail("espeak-ng is missing: run scripts/install-system-deps (make system-deps)")
    return engine


@pytest.mark.parametrize(
    ("language", "text"), [("en", "Welcome to Example Trading."), ("zh", "欢迎致电示例贸易公司。")]
)
async def test_espeak_makes_real_speech(
    espeak: EspeakNg, tmp_path: Path, language: str, text: str
) -> None:
    cache = PromptCache(espeak, tmp_path)
    path = await cache.render(text, language)
    assert path.parent == tmp_path / language
    assert 0.5 < seconds(path) < 10
    assert cache.cached(text, language) == path
    again = await cache.render(text, language)
    assert again == path
    assert cache.made == 1


async def test_the_same_new_prompt_is_made_once(tmp_path: Path) -> None:
    calls: list[str] = []

    class Counting(SilentTts):
        def synthesize(self, text: str, language: str, path: Path) -> None:
            calls.append(text)
            super().synthesize(text, language, path)

    cache = PromptCache(Counting(), tmp_path)
    async with trio.open_nursery() as nursery:
        for _ in range(5):
            nursery.start_soon(cache.render, "Hello", "en")
    assert calls == ["Hello"]
    assert cache.path_for("Hello", "en") != cache.path_for("Hello", "zh")
    assert cache.path_for("Hello", "en") != cache.path_for("Hello!", "en")


def test_the_cache_key_includes_the_voice(tmp_path: Path) -> None:
    a = PromptCache(EspeakNg(), tmp_path).path_for("Hi", "en")
    b = PromptCache(EspeakNg(voices={"en": "en-gb"}), tmp_path).path_for("Hi", "en")
    assert a != b


async def test_a_missing_engine_fails_clearly(tmp_path: Path) -> None:
    cache = PromptCache(EspeakNg(binary="no-such-espeak"), tmp_path)
    with pytest.raises(TtsError, match="install-system-deps"):
        await cache.render("Hello", "en")
    assert cache.failures == 1
    assert files(tmp_path) == [tmp_path / "en"]  # no half-made files


async def test_an_engine_that_writes_no_wav_fails(tmp_path: Path) -> None:
    class Broken(SilentTts):
        def synthesize(self, text: str, language: str, path: Path) -> None:
            path.write_bytes(b"not audio")

    cache = PromptCache(Broken(), tmp_path)
    with pytest.raises(TtsError, match="no valid WAV"):
        await cache.render("Hello", "en")
    assert cache.cached("Hello", "en") is None
