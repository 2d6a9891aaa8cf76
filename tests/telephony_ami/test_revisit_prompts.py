"""The revisit prompts made by ``python -m telephony.prompts build`` (espeak-ng + sox)."""

from __future__ import annotations

import re
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from telephony.prompts import PROMPTS, SAMPLE_RATE, build
from telephony.prompts.__main__ import main

DIALPLAN = Path(__file__).resolve().parents[2] / "deploy" / "asterisk" / "extensions-revisit.conf"

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")),
    reason="espeak-ng and sox are needed (scripts/install-system-deps.sh)",
)


def test_every_prompt_becomes_8khz_mono_16bit_speech(tmp_path: Path) -> None:
    assert main(["build", str(tmp_path), "--format", "wav", "--format", "sln"]) == 0
    for name, text in PROMPTS.items():
        with wave.open(str(tmp_path / f"{name}.wav")) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (
                SAMPLE_RATE,
                1,
                2,
            )
            seconds = wav.getnframes() / SAMPLE_RATE
            frames = wav.readframes(wav.getnframes())
        # Speech, not silence: about 0.15 s per character at least, and audible samples.
        assert seconds >= 0.15 * len(text), name
        assert (
            max(
                abs(int.from_bytes(frames[i : i + 2], "little", signed=True))
                for i in range(0, len(frames), 2)
            )
            > 1000
        ), name
        # The raw signed-linear twin holds the same samples without the header.
        assert (tmp_path / f"{name}.sln").read_bytes() == frames, name


def test_gsm_prompts_are_8khz_mono(tmp_path: Path) -> None:
    (path,) = build(tmp_path, ["gsm"], prompts={"digits/1": "一"})
    soxi = shutil.which("soxi") or "soxi"
    info = subprocess.run([soxi, str(path)], capture_output=True, text=True, check=True).stdout
    assert "Sample Rate    : 8000" in info and "Channels       : 1" in info and "GSM" in info


def test_a_citys_own_recordings_are_kept(tmp_path: Path) -> None:
    own = tmp_path / "revisit" / "greeting.gsm"
    own.parent.mkdir()
    own.write_bytes(b"the city's recording")
    written = build(tmp_path, ["wav"], keep_existing=True)
    assert own.read_bytes() == b"the city's recording"
    assert not (tmp_path / "revisit" / "greeting.wav").exists()
    assert len(written) == len(PROMPTS) - 1


def test_the_dialplan_plays_only_prompts_of_the_table() -> None:
    played = set(re.findall(r"(?:Playback|Read)\([^,)]*?(revisit/[a-z-]+)", DIALPLAN.read_text()))
    played |= set(re.findall(r"Gosub\(revisit-menu,s,1\((revisit/[a-z-]+)", DIALPLAN.read_text()))
    assert played == {name for name in PROMPTS if name.startswith("revisit/")}
