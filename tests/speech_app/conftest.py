"""Fixtures for the app's speech tests: the core app fixtures, the Korean stand-in model and
Korean test speech from the telephony speech tests (espeak-ng + sox, made once a session)."""

from __future__ import annotations

import itertools
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.app import create_app
from hotline.config import Settings
from hotline.events import Event, InProcessBus
from hotline.services import Services
from hotline.speech.models import TranscriptSegment, TranscriptStream
from telephony.audiosocket import encode_audio, encode_hangup, encode_uuid
from tests.app_fixtures import Api, Clock, add_call
from tests.speech_fixtures import Speech

FRAME = 320  # 20 ms at 8 kHz


@pytest.fixture
def speech_settings(database_url: str, ko_model_dir: Any) -> Settings:
    """The app with its AudioSocket server on a free port and the Korean model."""
    return Settings(
        database_url=database_url,
        scan_interval_seconds=3600,
        audiosocket_port=0,
        vosk_model=str(ko_model_dir),
    )


@pytest.fixture
def live(speech_settings: Settings, clock: Clock, events: list[Event]) -> Iterator[Live]:
    bus = InProcessBus()
    bus.subscribe(events.append)
    svc = Services(speech_settings, bus=bus)
    svc.clock = clock
    with TestClient(create_app(speech_settings, services=svc)) as client:
        yield Live(client, svc, client.app.state.speech_service.port)  # type: ignore[attr-defined]
    svc.close()


class Live:
    """The running app, its API helper, and an AudioSocket client of a speech server (the
    app's own, or ``hotline speech-server``'s)."""

    def __init__(self, client: TestClient, services: Services, port: int) -> None:
        self.client = client
        self.services = services
        self.api = Api(client)
        self.port = port

    def connect(self, stream_id: uuid.UUID) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.sendall(encode_uuid(stream_id))
        return sock

    @staticmethod
    def send(sock: socket.socket, pcm: bytes, pace: float = 0.02) -> None:
        """20 ms frames, ``pace`` seconds apart (0.02 = real time, as Asterisk sends)."""
        started = time.monotonic()
        for index, offset in enumerate(range(0, len(pcm), FRAME)):
            sock.sendall(encode_audio(pcm[offset : offset + FRAME]))
            delay = started + (index + 1) * pace - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def call(self, pcm: bytes, pace: float = 0.02) -> tuple[uuid.UUID, int, socket.socket]:
        """A call row (as the AMI bridge stores it) and its stream, which sends ``pcm`` and
        stays on the line: (stream UUID, call id, the open socket)."""
        stream_id = uuid.uuid4()
        call_id = add_call(self.services, str(stream_id))
        sock = self.connect(stream_id)
        self.send(sock, pcm, pace)
        return stream_id, call_id, sock

    @staticmethod
    def hang_up(sock: socket.socket) -> None:
        sock.sendall(encode_hangup())
        sock.close()

    def transcript(self, stream_id: uuid.UUID, user: str = "op") -> Any:
        return self.api.get(user, f"/api/transcripts/{stream_id}")

    def wait_for(
        self, stream_id: uuid.UUID, done: Callable[[dict[str, Any]], bool], timeout: float = 60
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            reply = self.transcript(stream_id)
            if reply.status_code == 200 and done(reply.json()):
                return reply.json()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"transcript never got there: {reply.status_code} {reply.text}"
                )
            time.sleep(0.1)


def ended(body: dict[str, Any]) -> bool:
    return body["ended_at"] is not None


def assert_a_call_is_transcribed_and_linked(
    live: Live, speech: Speech, events: list[Event]
) -> None:
    """A call's two sentences, sent in real time and hung up, become a stored transcript linked
    to the call, and every final is published with the call's id."""
    stream_id, call_id, sock = live.call(speech.pcm)
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
