"""Sans-I/O parser and encoder for Asterisk's AudioSocket protocol.

A message is ``kind (1 byte) | length (2 bytes, big-endian) | payload``. The parser never
touches a socket: bytes go in through :meth:`FrameParser.feed`, frames come out. Fatal
violations raise :class:`ProtocolError`; recoverable ones (a kind this code does not know, an
odd number of audio bytes) are kept as :class:`ProtocolIssue` so the caller can report them
while the stream carries on without losing audio.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from enum import IntEnum

HEADER = struct.Struct(">BH")
MAX_PAYLOAD = 0xFFFF
BYTES_PER_SAMPLE = 2


class Kind(IntEnum):
    """Message kinds, as defined by Asterisk's ``res_audiosocket``."""

    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO = 0x10  # signed linear 16-bit mono, 8 kHz (the AudioSocket() application)
    # Higher rates: only the AudioSocket channel driver sends these, when its codec is slinNN.
    AUDIO_12K = 0x11
    AUDIO_16K = 0x12
    AUDIO_24K = 0x13
    AUDIO_32K = 0x14
    AUDIO_44K = 0x15
    AUDIO_48K = 0x16
    AUDIO_96K = 0x17
    AUDIO_192K = 0x18
    ERROR = 0xFF


AUDIO_RATES: dict[Kind, int] = {
    Kind.AUDIO: 8000,
    Kind.AUDIO_12K: 12000,
    Kind.AUDIO_16K: 16000,
    Kind.AUDIO_24K: 24000,
    Kind.AUDIO_32K: 32000,
    Kind.AUDIO_44K: 44100,
    Kind.AUDIO_48K: 48000,
    Kind.AUDIO_96K: 96000,
    Kind.AUDIO_192K: 192000,
}
_KIND_FOR_RATE = {rate: kind for kind, rate in AUDIO_RATES.items()}

# Error codes Asterisk puts in a 0xFF payload (AudioSocket documentation).
ASTERISK_ERROR_CODES = {
    0x01: "hangup of the calling party",
    0x02: "frame forwarding error",
    0x04: "memory (allocation) error",
}


class ProtocolError(Exception):
    """A violation that makes the rest of the byte stream meaningless; the stream must end."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ProtocolIssue:
    """A recoverable violation: reported, but the stream continues and no audio is lost."""

    code: str
    message: str


@dataclass(frozen=True)
class Frame:
    kind: Kind
    payload: bytes = b""

    @property
    def is_audio(self) -> bool:
        return self.kind in AUDIO_RATES

    @property
    def sample_rate(self) -> int:
        return AUDIO_RATES[self.kind]

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.payload)

    @property
    def digit(self) -> str:
        return self.payload.decode("ascii", errors="replace")

    @property
    def error_code(self) -> int | None:
        return self.payload[0] if self.payload else None


class FrameParser:
    """Turns an AudioSocket byte stream into frames, whatever the chunking of the input.

    The first frame must be the UUID. Audio payloads always come out with an even number of
    bytes: a stray odd byte is carried over into the next audio frame of the same rate.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._seen_uuid = False
        self._carry: dict[Kind, bytes] = {}
        self._issues: list[ProtocolIssue] = []
        self.bytes_received = 0

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def take_issues(self) -> list[ProtocolIssue]:
        issues, self._issues = self._issues, []
        return issues

    def feed(self, data: bytes) -> list[Frame]:
        self.bytes_received += len(data)
        self._buffer += data
        frames: list[Frame] = []
        offset = 0
        while len(self._buffer) - offset >= HEADER.size:
            raw_kind, length = HEADER.unpack_from(self._buffer, offset)
            end = offset + HEADER.size + length
            if end > len(self._buffer):
                break
            payload = bytes(self._buffer[offset + HEADER.size : end])
            offset = end
            frame = self._decode(raw_kind, payload)
            if frame is not None:
                frames.append(frame)
        del self._buffer[:offset]
        return frames

    def close(self) -> None:
        """Declare the end of input; raises if it ended in the middle of a frame."""
        if not self._buffer:
            return
        if len(self._buffer) < HEADER.size:
            raise ProtocolError(
                "truncated_header",
                f"stream ended inside a frame header ({len(self._buffer)} of 3 bytes)",
            )
        raw_kind, length = HEADER.unpack_from(self._buffer)
        have = len(self._buffer) - HEADER.size
        raise ProtocolError(
            "truncated_payload",
            f"stream ended inside a frame of kind 0x{raw_kind:02x}: header announced "
            f"{length} payload bytes, only {have} arrived",
        )

    def _decode(self, raw_kind: int, payload: bytes) -> Frame | None:
        try:
            kind = Kind(raw_kind)
        except ValueError:
            self._issues.append(
                ProtocolIssue(
                    "unknown_kind",
                    f"skipped a frame of unknown kind 0x{raw_kind:02x} ({len(payload)} bytes)",
                )
            )
            return None
        if not self._seen_uuid:
            if kind is not Kind.UUID:
                raise ProtocolError(
                    "uuid_not_first",
                    f"first frame must be the UUID (kind 0x01), got kind 0x{raw_kind:02x}",
                )
            if len(payload) != 16:
                raise ProtocolError(
                    "bad_uuid", f"UUID frame must carry 16 bytes, got {len(payload)}"
                )
            self._seen_uuid = True
            return Frame(kind, payload)
        if kind is Kind.UUID:
            self._issues.append(ProtocolIssue("repeated_uuid", "ignored a second UUID frame"))
            return None
        if kind in AUDIO_RATES:
            return self._audio(kind, payload)
        return Frame(kind, payload)

    def _audio(self, kind: Kind, payload: bytes) -> Frame | None:
        carried = self._carry.pop(kind, b"")
        if len(payload) % BYTES_PER_SAMPLE:
            self._issues.append(
                ProtocolIssue(
                    "odd_audio_length",
                    f"audio frame of {len(payload)} bytes is not whole 16-bit samples; "
                    "the last byte is carried into the next audio frame",
                )
            )
        data = carried + payload
        if len(data) % BYTES_PER_SAMPLE:
            self._carry[kind] = data[-1:]
            data = data[:-1]
        return Frame(kind, data) if data else None


def encode_frame(kind: int, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds the {MAX_PAYLOAD}-byte limit")
    return HEADER.pack(kind, len(payload)) + payload


def encode_uuid(stream_id: uuid.UUID) -> bytes:
    return encode_frame(Kind.UUID, stream_id.bytes)


def encode_audio(pcm: bytes, sample_rate: int = 8000, frame_ms: int = 20) -> bytes:
    """Encode 16-bit little-endian mono PCM as audio frames of ``frame_ms`` each."""
    try:
        kind = _KIND_FOR_RATE[sample_rate]
    except KeyError:
        rates = ", ".join(str(rate) for rate in sorted(_KIND_FOR_RATE))
        raise ValueError(f"AudioSocket has no kind for {sample_rate} Hz (has: {rates})") from None
    if len(pcm) % BYTES_PER_SAMPLE:
        raise ValueError(f"PCM of {len(pcm)} bytes is not whole 16-bit samples")
    step = sample_rate * BYTES_PER_SAMPLE * frame_ms // 1000
    return b"".join(encode_frame(kind, pcm[i : i + step]) for i in range(0, len(pcm), step))


def encode_dtmf(digit: str) -> bytes:
    if len(digit) != 1 or digit not in "0123456789*#ABCD":
        raise ValueError(f"not a DTMF digit: {digit!r}")
    return encode_frame(Kind.DTMF, digit.encode("ascii"))


def encode_hangup() -> bytes:
    return encode_frame(Kind.HANGUP)


def encode_error(code: int) -> bytes:
    return encode_frame(Kind.ERROR, bytes([code]))
