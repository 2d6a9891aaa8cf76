"""Fixtures for the app's speech tests: the core app fixtures, the Korean stand-in model and
Korean test speech from the telephony speech tests (espeak-ng + sox, made once a session)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.calls.models import Call
from hotline.config import Settings
from hotline.events import Event, InProcessBus
from hotline.services import Services
from telephony.audiosocket import encode_audio, encode_hangup, encode_uuid
from tests.app_fixtures import Api, Clock

FRAME = 320  # 20 ms at 8 kHz


def add_call(services: Services, stream_uuid: str | None = None) -> int:
    """A call row as the AMI bridge stores it, carrying the AudioSocket stream's UUID."""
    with services.unit() as (session, _):
        call = Call(
            linkedid=f"1700000000.{uuid.uuid4().int % 10**6}",
            caller="13812345678",
            state="answered",
            started_at=datetime(2026, 11, 23, 9, 0),
            stream_uuid=stream_uuid,
        )
        session.add(call)
        session.flush()
        return call.id


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
        yield Live(client, svc)
    svc.close()


class Live:
    """The running app, its API helper, and an AudioSocket client of its speech server."""

    def __init__(self, client: TestClient, services: Services) -> None:
        self.client = client
        self.services = services
        self.api = Api(client)
        self.port: int = client.app.state.speech_service.port  # type: ignore[attr-defined]

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
