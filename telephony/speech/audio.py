"""PCM helpers: WAV reading in any common PCM layout, down-mixing and resampling with numpy."""

from __future__ import annotations

import os
import wave
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

# Rates Vosk models are built for; anything else is resampled to the wide-band one.
NATIVE_RATES = (8000, 16000)
TARGET_RATE = 16000


class AudioFormatError(ValueError):
    """The file is not audio this module can read; the message says why."""


@dataclass(frozen=True)
class Pcm:
    """16-bit little-endian mono samples."""

    data: bytes
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.data) / 2 / self.sample_rate


def resample_pcm16(data: bytes, from_rate: int, to_rate: int) -> bytes:
    """Polyphase resampling (with its anti-alias filter) of 16-bit mono PCM."""
    if from_rate == to_rate or not data:
        return data
    common = gcd(from_rate, to_rate)
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32)
    resampled = resample_poly(samples, to_rate // common, from_rate // common)
    return np.clip(np.round(resampled), -32768, 32767).astype("<i2").tobytes()


def _to_int16(frames: bytes, sample_width: int) -> np.ndarray:
    if sample_width == 1:  # WAV 8-bit is unsigned
        return (np.frombuffer(frames, dtype=np.uint8).astype(np.int16) - 128) << 8
    if sample_width == 2:
        return np.frombuffer(frames, dtype="<i2")
    if sample_width == 3:
        raw = np.frombuffer(frames, dtype=np.uint8).reshape(-1, 3)
        return raw[:, 1:].copy().view("<i2").reshape(-1)  # keep the two high bytes
    if sample_width == 4:
        return (np.frombuffer(frames, dtype="<i4") >> 16).astype(np.int16)
    raise AudioFormatError(f"unsupported sample width of {sample_width} bytes")


def read_wav(path: str | os.PathLike[str]) -> Pcm:
    """Read a PCM WAV file as 16-bit mono, at its own rate if Vosk-native, else at 16 kHz."""
    wav_path = Path(path)
    if not wav_path.is_file():
        raise FileNotFoundError(f"no such recording: {wav_path}")
    try:
        with wave.open(str(wav_path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(
            f"{wav_path} is not a PCM WAV file ({exc}); convert it first, "
            "e.g. sox in.mp3 -r 16000 -c 1 -b 16 out.wav"
        ) from exc
    if rate <= 0:
        raise AudioFormatError(f"{wav_path} declares a sample rate of {rate} Hz")
    usable = len(frames) - len(frames) % (width * channels)
    samples = _to_int16(frames[:usable], width).reshape(-1, channels)
    mono = samples.mean(axis=1).astype("<i2") if channels > 1 else samples[:, 0]
    data = mono.astype("<i2").tobytes()
    if rate not in NATIVE_RATES:
        data, rate = resample_pcm16(data, rate, TARGET_RATE), TARGET_RATE
    return Pcm(data, rate)
