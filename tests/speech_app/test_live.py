"""Live transcripts in the running app: AudioSocket over real TCP, the real Vosk engine (Korean
stand-in model), rows in SQLite and PostgreSQL, events on the bus, the JSON API."""

from __future__ import annotations

import itertools
import time
import uuid

import pytest
from sqlalchemy import select

from hotline.events import Event
from hotline.speech.models import TranscriptSegment, TranscriptStream
from tests.speech_fixtures import Speech

from .conftest import Live, add_call


def ended(body: dict) -> bool:  # type: ignore[type-arg]
    return body["ended_at"] is not None


def test_a_call_is_transcribed_live_and_linked_to_its_call(
    live: Live, korean_speech: Speech, events: list[Event]
) -> None:
    stream_id = uuid.uuid4()
    call_id = add_call(live.services, str(stream_id))
    sock = live.connect(stream_id)
    live.send(sock, korean_speech.pcm)
    live.hang_up(sock)

    body = live.wait_for(stream_id, ended)
    assert body["call_id"] == call_id
    assert body["end_reason"] == "hangup"
    assert body["partial"] == ""  # nothing left unfinished
    assert body["source"] == "live"
    segments = body["segments"]
    assert len(segments) >= 2, "the pause between the two sentences ends a segment"
    assert all(s["text"].strip() and s["raw_text"].strip() for s in segments)
    assert all(0 <= s["start"] < s["end"] for s in segments)
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(segments))
    with live.services.sessions() as session:
        stream = session.get(TranscriptStream, str(stream_id))
        assert stream is not None and stream.call_id == call_id  # stored, not only looked up
        stored = session.scalars(select(TranscriptSegment.text)).all()
        assert len(stored) == len(segments)

    # Partials depend on the pool keeping up with real time (see test_sink for them).
    published = [e for e in events if e.payload.get("uuid") == str(stream_id)]
    finals = [e.payload for e in published if e.type == "transcript.final"]
    assert [f["text"] for f in finals] == [s["text"] for s in segments]
    for payload in [e.payload for e in published if e.type.startswith("transcript.")]:
        assert set(payload) == {"uuid", "call_id", "text", "start", "end"}
        assert payload["call_id"] == call_id


def test_a_stream_without_a_call_is_kept_and_linked_when_the_call_turns_up(
    live: Live, korean_speech: Speech
) -> None:
    stream_id = uuid.uuid4()
    sock = live.connect(stream_id)
    live.send(sock, korean_speech.sentence_pcm + bytes(8000 * 2), pace=0.005)
    live.hang_up(sock)
    body = live.wait_for(stream_id, ended)
    assert body["call_id"] is None
    assert body["segments"], "speech sent faster than real time is still recognised"

    call_id = add_call(live.services, str(stream_id))  # the AMI bridge learns the UUID later
    assert live.transcript(stream_id).json()["call_id"] == call_id
    listed = live.api.get("sup", "/api/transcripts", call_id=call_id)
    assert listed.status_code == 200
    assert [item["uuid"] for item in listed.json()["items"]] == [str(stream_id)]


def test_a_connection_that_sends_no_audio_is_an_empty_transcript(live: Live) -> None:
    stream_id = uuid.uuid4()
    live.hang_up(live.connect(stream_id))
    body = live.wait_for(stream_id, ended)
    assert body["segments"] == [] and body["partial"] == "" and body["end_reason"] == "hangup"


def test_the_routing_suggestion_follows_each_final(
    live: Live, korean_speech: Speech, events: list[Event]
) -> None:
    """The real routing model (Services.router) on the transcript so far."""
    stream_id = uuid.uuid4()
    call_id = add_call(live.services, str(stream_id))
    sock = live.connect(stream_id)
    live.send(sock, korean_speech.pcm, pace=0.005)
    live.hang_up(sock)
    live.wait_for(stream_id, ended)
    deadline = time.monotonic() + 60
    while not (suggested := [e for e in events if e.type == "classification.suggested"]):
        assert time.monotonic() < deadline, "no classification.suggested event"
        time.sleep(0.1)
    payload = suggested[-1].payload
    assert payload["uuid"] == str(stream_id) and payload["call_id"] == call_id
    assert {"department", "top3", "emergency"} <= set(payload["suggestion"])


@pytest.mark.parametrize("user", ["disp", "zj"])
def test_only_the_centre_desk_reads_transcripts(live: Live, user: str) -> None:
    stream_id = uuid.uuid4()
    live.hang_up(live.connect(stream_id))
    live.wait_for(stream_id, ended)
    reply = live.transcript(stream_id, user)
    assert reply.status_code == 403 and reply.json()["code"] == "forbidden"
