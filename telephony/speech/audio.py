"""PCM helpers: WAV reading in any common PCM layout, down-mixing and resampling with numpy."""

from __future__ import annotations

import os
import struct
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


_PCM = 1
_EXTENSIBLE = 0xFFFE


def _read_pcm_riff(path: Path) -> tuple[int, int, int, bytes]:
    """(channels, sample width, rate, frames) of a PCM WAV, plain or WAVE_FORMAT_EXTENSIBLE.

    The stdlib ``wave`` module of Python 3.11 rejects the extensible header that sox and most
    editors write for 24-bit or multi-channel files, hence this small chunk reader.
    """
    blob = path.read_bytes()
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise AudioFormatError(f"{path} is not a WAV file (no RIFF/WAVE header)")
    fmt: tuple[int, int, int, int] | None = None
    offset = 12
    while offset + 8 <= len(blob):
        chunk_id, size = blob[offset : offset + 4], struct.unpack_from("<I", blob, offset + 4)[0]
        body = blob[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt " and len(body) >= 16:
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if tag == _EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack_from("<H", body, 24)[0]  # first bytes of the sub-format GUID
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioFormatError(f"{path}: data chunk before the fmt chunk")
            tag, channels, rate, bits = fmt
            if tag != _PCM:
                raise AudioFormatError(
                    f"{path} is not a PCM WAV file (format code {tag}, e.g. float or "
                    "compressed); convert it first, e.g. sox in.wav -b 16 out.wav"
                )
            if channels < 1 or rate <= 0 or bits % 8 or not 8 <= bits <= 32:
                raise AudioFormatError(
                    f"{path}: unusable format ({channels} channels, {rate} Hz, {bits} bits)"
                )
            return channels, bits // 8, rate, body
        offset += 8 + size + size % 2  # chunks are padded to even sizes
    raise AudioFormatError(f"{path} has no audio data chunk")


def read_wav(path: str | os.PathLike[str]) -> Pcm:
    """Read a PCM WAV file as 16-bit mono, at its own rate if Vosk-native, else at 16 kHz."""
    wav_path = Path(path)
    if not wav_path.is_file():
        raise FileNotFoundError(f"no such recording: {wav_path}")
    channels, width, rate, frames = _read_pcm_riff(wav_path)
    usable = len(frames) - len(frames) % (width * channels)
    samples = _to_int16(frames[:usable], width).reshape(-1, channels)
    mono = samples.mean(axis=1) if channels > 1 else samples[:, 0]
    data = mono.astype("<i2").tobytes()
    if rate not in NATIVE_RATES:
        data, rate = resample_pcm16(data, rate, TARGET_RATE), TARGET_RATE
    return Pcm(data, rate)
