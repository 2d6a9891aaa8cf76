"""The sink on its own, fed the real recogniser's events in order: partial rows written at most
once a second per stream, finals stored raw and normalised, the stream ended on close."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from hotline.config import Settings
from hotline.events import Event
from hotline.services import Services
from hotline.speech.live import LiveTranscripts, shared_model
from hotline.speech.models import TranscriptSegment, TranscriptStream
from telephony.speech import StreamRecognizer, TranscriptEvent
from tests.speech_fixtures import Speech

from .conftest import add_call


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def recognised(ko_model_dir: object, korean_speech: Speech) -> list[TranscriptEvent]:
    """What the live service hands its sink for the two sentences (Vosk, not made up)."""
    model = shared_model(Settings(vosk_model=str(ko_model_dir)))
    stream_id = str(uuid.uuid4())
    recognizer = StreamRecognizer(model, 8000, stream_id)
    events = recognizer.accept(korean_speech.pcm) + recognizer.finish()
    return [*events, TranscriptEvent(stream_id, "closed", code="hangup")]


def partial_row(services: Services, stream_uuid: str) -> str | None:
    with services.sessions() as session:
        stream = session.get(TranscriptStream, stream_uuid)
        return None if stream is None else stream.partial


def test_partials_are_throttled_finals_stored_and_the_stream_ended(
    services: Services, events: list[Event], recognised: list[TranscriptEvent]
) -> None:
    ticker = Ticker()
    sink = LiveTranscripts(services, partial_write_interval=1.0, monotonic=ticker)
    stream_uuid = recognised[0].uuid
    partials = [e for e in recognised if e.kind == "partial"]
    assert len(partials) >= 3 and recognised[0].kind == "partial"

    sink.record(partials[0])
    assert partial_row(services, stream_uuid) == partials[0].normalized_text
    ticker.now = 0.5  # within the interval: published, not written
    sink.record(partials[1])
    assert partial_row(services, stream_uuid) == partials[0].normalized_text
    ticker.now = 1.6
    sink.record(partials[2])
    assert partial_row(services, stream_uuid) == partials[2].normalized_text

    for event in recognised[3:]:
        ticker.now += 0.3
        sink.record(event)
    finals = [e for e in recognised if e.kind == "final"]
    with services.sessions() as session:
        stream = session.get(TranscriptStream, stream_uuid)
        assert stream is not None
        assert stream.ended_at == services.clock() and stream.end_reason == "hangup"
        assert stream.partial == "" and stream.source == "live" and stream.call_id is None
        rows = session.scalars(select(TranscriptSegment).order_by(TranscriptSegment.start)).all()
    assert [(r.text, r.normalized_text, r.start, r.end) for r in rows] == [
        (f.text, f.normalized_text, f.start, f.end) for f in finals
    ]
    published = [(e.type, e.payload["text"]) for e in events]
    expected = [(f"transcript.{e.kind}", e.normalized_text) for e in recognised[:-1]]
    assert published == expected, "every partial and final is published, in order"


def test_a_fatal_error_ends_the_stream_and_a_recoverable_one_does_not(
    services: Services, events: list[Event]
) -> None:
    sink = LiveTranscripts(services)
    stream_uuid = str(uuid.uuid4())
    sink.record(TranscriptEvent(stream_uuid, "error", "rate", code="rate_changed"))
    assert partial_row(services, stream_uuid) is None  # logged only
    fatal = TranscriptEvent(
        stream_uuid, "error", "cut", code="truncated_payload", extra={"fatal": True}
    )
    sink.record(fatal)
    sink.record(TranscriptEvent(stream_uuid, "closed", code="truncated_payload"))
    with services.sessions() as session:
        stream = session.get(TranscriptStream, stream_uuid)
        assert stream is not None and stream.end_reason == "truncated_payload"
    assert events == []


def test_the_call_is_stored_on_the_stream_once_it_is_known(services: Services) -> None:
    sink = LiveTranscripts(services)
    stream_uuid = str(uuid.uuid4())
    sink.record(TranscriptEvent(stream_uuid, "final", "하나", "하나", 0.1, 0.5))
    call_id = add_call(services, stream_uuid)  # the AMI bridge learns the UUID later
    sink.record(TranscriptEvent(stream_uuid, "final", "둘", "둘", 0.6, 0.9))
    with services.sessions() as session:
        stream = session.get(TranscriptStream, stream_uuid)
        assert stream is not None and stream.call_id == call_id
