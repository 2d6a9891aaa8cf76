"""``hotline speech-server --metrics-port``: the speech server's streams, lag and dropped
partials at its own /metrics, behind the token."""

from __future__ import annotations

import socket
import uuid
from dataclasses import replace

import httpx
import pytest

from hotline.config import Settings
from hotline.events import InProcessBus
from hotline.services import Services
from telephony.audiosocket import encode_hangup, encode_uuid
from tests.calls.conftest import eventually
from tests.conftest import free_port
from tests.metrics.scraping import TOKEN, Samples, bearer

from .test_speech_server import SpeechServerThread


def test_the_speech_server_reports_its_streams(speech_settings: Settings) -> None:
    settings = replace(speech_settings, metrics_token=TOKEN)
    services = Services(settings, bus=InProcessBus())
    metrics_port = free_port()
    server = SpeechServerThread(settings, services, metrics_port=metrics_port)
    url = f"http://127.0.0.1:{metrics_port}/metrics"

    def scrape() -> Samples:
        reply = httpx.get(url, headers=bearer())
        assert reply.status_code == 200, reply.text
        return Samples(reply.text)

    try:
        speech_port = server.start()
        assert httpx.get(url).status_code == 401
        idle = scrape()
        assert idle("hotline_speech_streams_active") == 0
        assert "hotline_speech_lag_seconds" in idle.names()
        assert "hotline_speech_partials_dropped_total" in idle.names()
        with socket.create_connection(("127.0.0.1", speech_port), timeout=10) as stream:
            stream.sendall(encode_uuid(uuid.uuid4()))
            eventually(lambda: scrape()("hotline_speech_streams_active") == 1)
            stream.sendall(encode_hangup())
        eventually(lambda: scrape()("hotline_speech_streams_active") == 0)
    finally:
        server.stop()
        services.close()
    with pytest.raises(httpx.ConnectError):  # the listener stopped with the server
        httpx.get(url, timeout=2)
