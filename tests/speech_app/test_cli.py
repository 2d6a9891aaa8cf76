"""``hotline transcribe``: a WAV made by espeak-ng, the real model, JSON out; bad input → exit 2."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli import app
from tests.speech_fixtures import Speech

runner = CliRunner()


@pytest.fixture
def model_env(ko_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOTLINE_VOSK_MODEL", str(ko_model_dir))
    return ko_model_dir


def test_transcribe_prints_json_segments(model_env: Path, korean_speech: Speech) -> None:
    result = runner.invoke(app, ["transcribe", str(korean_speech.wav), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["file"] == str(korean_speech.wav)
    segments = body["segments"]
    assert len(segments) >= 2
    for segment in segments:
        assert set(segment) == {"text", "raw_text", "start", "end"}
        assert segment["text"] and 0 <= segment["start"] < segment["end"]
    assert segments[-1]["end"] <= korean_speech.seconds


def test_transcribe_prints_timed_lines(
    ko_model_dir: Path, korean_speech: Speech, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE_VOSK_MODEL", raising=False)
    command = ["transcribe", str(korean_speech.wav), "--model", str(ko_model_dir)]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) >= 2 and all(line.startswith("[") and "]" in line for line in lines)


def test_bad_files_exit_2_with_a_clear_message(model_env: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.wav"
    result = runner.invoke(app, ["transcribe", str(missing)])
    assert result.exit_code == 2 and "录音文件不存在" in result.stderr

    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    result = runner.invoke(app, ["transcribe", str(text), "--json"])
    assert result.exit_code == 2 and "错误" in result.stderr and result.stdout == ""

    floats = tmp_path / "float.wav"
    floats.write_bytes(float_wav(seconds=1))
    result = runner.invoke(app, ["transcribe", str(floats)])
    assert result.exit_code == 2 and "float" in result.stderr.lower()


def float_wav(seconds: int, rate: int = 8000) -> bytes:
    """A well-formed WAV of 32-bit float samples (format tag 3), which is not PCM."""
    data = bytes(4 * rate * seconds)
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_a_missing_model_names_the_variable(
    korean_speech: Speech, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HOTLINE_VOSK_MODEL", raising=False)
    result = runner.invoke(app, ["transcribe", str(korean_speech.wav)])
    assert result.exit_code == 2 and "HOTLINE_VOSK_MODEL" in result.stderr
    monkeypatch.setenv("HOTLINE_VOSK_MODEL", str(tmp_path))
    result = runner.invoke(app, ["transcribe", str(korean_speech.wav)])
    assert result.exit_code == 2 and "HOTLINE_VOSK_MODEL" in result.stderr


def test_a_bad_decoder_setting_exits_2(
    model_env: Path, korean_speech: Speech, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_VOSK_BEAM", "wide")
    result = runner.invoke(app, ["transcribe", str(korean_speech.wav)])
    assert result.exit_code == 2 and "HOTLINE_VOSK_BEAM" in result.stderr
