"""Asterisk AudioSocket: a sans-I/O frame parser/encoder and a thin asyncio server."""

from telephony.audiosocket.protocol import (
    AUDIO_RATES,
    Frame,
    FrameParser,
    Kind,
    ProtocolError,
    ProtocolIssue,
    encode_audio,
    encode_dtmf,
    encode_error,
    encode_frame,
    encode_hangup,
    encode_uuid,
)
from telephony.audiosocket.server import (
    AudioSocketServer,
    AudioStream,
    Limits,
    StreamIssue,
    Timeouts,
)

__all__ = [
    "AUDIO_RATES",
    "AudioSocketServer",
    "AudioStream",
    "Frame",
    "FrameParser",
    "Kind",
    "Limits",
    "ProtocolError",
    "ProtocolIssue",
    "StreamIssue",
    "Timeouts",
    "encode_audio",
    "encode_dtmf",
    "encode_error",
    "encode_frame",
    "encode_hangup",
    "encode_uuid",
]
