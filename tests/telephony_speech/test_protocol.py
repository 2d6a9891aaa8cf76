"""The sans-I/O AudioSocket parser and encoder, without sockets."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.audiosocket import (
    Frame,
    FrameParser,
    Kind,
    ProtocolError,
    encode_audio,
    encode_dtmf,
    encode_error,
    encode_frame,
    encode_hangup,
    encode_uuid,
)

STREAM_ID = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")


def test_uuid_frame_matches_the_documented_bytes() -> None:
    assert encode_uuid(STREAM_ID) == b"\x01\x00\x10" + STREAM_ID.bytes
    assert encode_hangup() == b"\x00\x00\x00"


def test_a_call_parses_into_uuid_audio_dtmf_and_hangup() -> None:
    pcm = bytes(range(256)) * 5  # 1280 bytes = 4 frames of 20 ms at 8 kHz
    wire = encode_uuid(STREAM_ID) + encode_audio(pcm) + encode_dtmf("5") + encode_hangup()
    frames = FrameParser().feed(wire)
    assert frames[0].kind is Kind.UUID and frames[0].uuid == STREAM_ID
    audio = [f for f in frames if f.is_audio]
    assert [len(f.payload) for f in audio] == [320, 320, 320, 320]
    assert b"".join(f.payload for f in audio) == pcm
    assert all(f.sample_rate == 8000 for f in audio)
    assert frames[-2].kind is Kind.DTMF and frames[-2].digit == "5"
    assert frames[-1].kind is Kind.HANGUP


@pytest.mark.parametrize(
    ("rate", "kind"), [(8000, 0x10), (12000, 0x11), (16000, 0x12), (48000, 0x16), (192000, 0x18)]
)
def test_higher_rate_kinds_of_the_channel_driver(rate: int, kind: int) -> None:
    wire = encode_uuid(STREAM_ID) + encode_audio(bytes(rate // 25), sample_rate=rate)
    frames = FrameParser().feed(wire)
    assert frames[1].kind == kind
    assert frames[1].sample_rate == rate
    assert len(frames[1].payload) == rate // 25  # 20 ms of 16-bit samples


@given(
    pcm=st.binary(max_size=3000).map(lambda b: b[: len(b) // 2 * 2]),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=20),
)
def test_any_chunking_of_the_byte_stream_gives_the_same_frames(pcm: bytes, cuts: list[int]) -> None:
    wire = encode_uuid(STREAM_ID) + encode_audio(pcm) + encode_dtmf("#") + encode_hangup()
    whole = FrameParser().feed(wire)
    parser = FrameParser()
    pieces: list[Frame] = []
    start = 0
    for cut in [*sorted({min(c, len(wire)) for c in cuts}), len(wire)]:
        pieces += parser.feed(wire[start:cut])
        start = cut
    parser.close()
    assert pieces == whole


def test_audio_before_the_uuid_is_fatal() -> None:
    with pytest.raises(ProtocolError, match="first frame must be the UUID") as caught:
        FrameParser().feed(encode_audio(bytes(320)))
    assert caught.value.code == "uuid_not_first"


def test_a_uuid_frame_of_the_wrong_size_is_fatal() -> None:
    with pytest.raises(ProtocolError) as caught:
        FrameParser().feed(encode_frame(Kind.UUID, b"short"))
    assert caught.value.code == "bad_uuid"


def test_truncated_header_is_reported_at_close() -> None:
    parser = FrameParser()
    assert parser.feed(encode_uuid(STREAM_ID) + b"\x10\x01") == [Frame(Kind.UUID, STREAM_ID.bytes)]
    with pytest.raises(ProtocolError, match="2 of 3 bytes") as caught:
        parser.close()
    assert caught.value.code == "truncated_header"


def test_length_beyond_the_payload_is_reported_at_close() -> None:
    parser = FrameParser()
    parser.feed(encode_uuid(STREAM_ID) + b"\x10\x01\x40" + bytes(100))
    with pytest.raises(ProtocolError, match="announced 320 payload bytes, only 100") as caught:
        parser.close()
    assert caught.value.code == "truncated_payload"


def test_unknown_kind_is_skipped_and_reported_and_the_stream_goes_on() -> None:
    parser = FrameParser()
    frames = parser.feed(
        encode_uuid(STREAM_ID) + encode_frame(0x42, b"xyz") + encode_audio(bytes(320))
    )
    assert [f.kind for f in frames] == [Kind.UUID, Kind.AUDIO]
    [issue] = parser.take_issues()
    assert issue.code == "unknown_kind" and "0x42" in issue.message
    assert parser.take_issues() == []


def test_odd_audio_bytes_are_carried_over_not_lost() -> None:
    parser = FrameParser()
    samples = bytes(range(1, 101))
    wire = encode_uuid(STREAM_ID)
    wire += encode_frame(Kind.AUDIO, samples[:33]) + encode_frame(Kind.AUDIO, samples[33:])
    frames = parser.feed(wire)
    audio = [f.payload for f in frames if f.is_audio]
    assert [len(p) % 2 for p in audio] == [0, 0]
    assert b"".join(audio) == samples
    # 33 + 67 bytes: both frames are odd, the pair is whole samples again.
    assert [i.code for i in parser.take_issues()] == ["odd_audio_length"] * 2


def test_error_frame_exposes_the_asterisk_code() -> None:
    frames = FrameParser().feed(encode_uuid(STREAM_ID) + encode_error(0x02))
    assert frames[1].kind is Kind.ERROR and frames[1].error_code == 0x02


def test_encoder_rejects_what_the_protocol_cannot_carry() -> None:
    with pytest.raises(ValueError, match="no kind for 11025 Hz"):
        encode_audio(bytes(2), sample_rate=11025)
    with pytest.raises(ValueError, match="not whole 16-bit samples"):
        encode_audio(bytes(3))
    with pytest.raises(ValueError, match="exceeds"):
        encode_frame(Kind.AUDIO, bytes(70000))
    with pytest.raises(ValueError, match="not a DTMF digit"):
        encode_dtmf("x")
