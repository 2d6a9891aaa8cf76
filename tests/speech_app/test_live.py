"""Live transcripts in the running app: AudioSocket over real TCP, the real Vosk engine (Korean
stand-in model), rows in SQLite and PostgreSQL, events on the bus, the JSON API."""

from __future__ import annotations

import time
import uuid

import pytest

from hotline.events import Event
from tests.speech_fixtures import Speech

from .conftest import Live, add_call, assert_a_call_is_transcribed_and_linked, ended


def test_a_call_is_transcribed_live_and_linked_to_its_call(
    live: Live, korean_speech: Speech, events: list[Event]
) -> None:
    assert_a_call_is_transcribed_and_linked(live, korean_speech, events)


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
    stream_id, call_id, sock = live.call(korean_speech.pcm, pace=0.005)
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
