"""transcribe_file on real WAV files of several layouts, with the real Vosk engine."""

from __future__ import annotations

import itertools
import subprocess
import wave
from pathlib import Path

import pytest
import vosk

from telephony.speech import AudioFormatError, read_wav, transcribe_file
from tests.speech_fixtures import Speech


def test_telephone_recording_gives_timed_segments(
    ko_model: vosk.Model, korean_speech: Speech
) -> None:
    progress: list[tuple[float, float]] = []
    segments = transcribe_file(
        korean_speech.wav, ko_model, progress=lambda done, total: progress.append((done, total))
    )
    assert len(segments) >= 2
    assert all(s.text and s.normalized_text and s.words for s in segments)
    assert all(s.start < s.end for s in segments)
    assert all(a.end <= b.start for a, b in itertools.pairwise(segments))
    assert segments[-1].end <= korean_speech.seconds
    done = [d for d, _ in progress]
    assert done == sorted(done) and len(done) >= int(korean_speech.seconds)
    assert progress[-1] == pytest.approx((korean_speech.seconds, korean_speech.seconds))
    assert segments[0].to_dict()["words"][0]["word"]


def test_a_cd_quality_stereo_recording_is_converted(
    ko_model: vosk.Model, korean_speech: Speech, tmp_path: Path
) -> None:
    stereo = tmp_path / "stereo-44k-24bit.wav"
    subprocess.run(
        ["sox", str(korean_speech.wav), "-r", "44100", "-c", "2", "-b", "24", str(stereo)],
        check=True,
    )
    pcm = read_wav(stereo)
    assert pcm.sample_rate == 16000
    assert pcm.seconds == pytest.approx(korean_speech.seconds, abs=0.01)
    segments = transcribe_file(stereo, ko_model)
    assert segments and all(s.text for s in segments)


@pytest.mark.parametrize(("width", "channels"), [(8, 1), (32, 2)])
def test_other_sample_widths_read_as_16_bit(
    korean_speech: Speech, tmp_path: Path, width: int, channels: int
) -> None:
    out = tmp_path / f"w{width}.wav"
    args = ["sox", str(korean_speech.wav), "-b", str(width), "-c", str(channels), str(out)]
    subprocess.run(args, check=True)
    pcm = read_wav(out)
    assert pcm.sample_rate == 8000 and len(pcm.data) == len(korean_speech.pcm)
    original = memoryview(korean_speech.pcm).cast("h")
    converted = memoryview(pcm.data).cast("h")
    loudest = max(range(len(original)), key=lambda i: abs(original[i]))
    tolerance = 300 if width == 8 else 2  # 8-bit keeps only the top byte
    assert abs(original[loudest] - converted[loudest]) <= tolerance


def test_missing_file(ko_model: vosk.Model, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such recording"):
        transcribe_file(tmp_path / "absent.wav", ko_model)


def test_not_a_wav_file(ko_model: vosk.Model, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.wav"
    bogus.write_text("this is not audio")
    with pytest.raises(AudioFormatError, match="not a WAV file"):
        transcribe_file(bogus, ko_model)


def test_a_float_wav_is_rejected_with_advice(korean_speech: Speech, tmp_path: Path) -> None:
    floating = tmp_path / "float.wav"
    subprocess.run(
        ["sox", str(korean_speech.wav), "-e", "floating-point", "-b", "32", str(floating)],
        check=True,
    )
    with pytest.raises(AudioFormatError, match=r"not a PCM WAV file.*format code 3.*sox"):
        read_wav(floating)


def test_an_empty_recording_has_no_segments(ko_model: vosk.Model, tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    with wave.open(str(empty), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
    assert transcribe_file(empty, ko_model) == []


def test_a_wav_without_audio_data(tmp_path: Path) -> None:
    header_only = tmp_path / "header-only.wav"
    header_only.write_bytes(b"RIFF\x04\x00\x00\x00WAVE")
    with pytest.raises(AudioFormatError, match="no audio data chunk"):
        read_wav(header_only)
