"""The app's AudioSocket server under abuse: HOTLINE_AUDIOSOCKET_MAX_STREAMS caps the streams
of a speech host with a hang-up frame to the newcomer, and a second connection with the UUID
of an open stream is refused instead of being merged into its transcript."""

from __future__ import annotations

import socket
import uuid
from dataclasses import replace

import pytest

from hotline.config import Settings
from telephony.audiosocket import encode_hangup
from tests.speech_fixtures import Speech

from .conftest import Live, ended

SECOND_OF_SILENCE = bytes(16000)


@pytest.fixture
def speech_settings(speech_settings: Settings) -> Settings:
    capped = Settings.from_env({"HOTLINE_AUDIOSOCKET_MAX_STREAMS": "2"})
    return replace(speech_settings, audiosocket_max_streams=capped.audiosocket_max_streams)


def everything_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_beyond_the_cap_a_call_gets_a_hang_up_and_the_open_one_its_transcript(
    live: Live, korean_speech: Speech
) -> None:
    first, _, line = live.call(SECOND_OF_SILENCE)
    _, _, other_line = live.call(SECOND_OF_SILENCE)
    refused = uuid.uuid4()
    newcomer = live.connect(refused)
    live.send(newcomer, SECOND_OF_SILENCE, pace=0)
    assert everything_until_closed(newcomer) == encode_hangup()
    newcomer.close()
    live.send(line, korean_speech.sentence_pcm, pace=0.005)
    live.hang_up(line)
    body = live.wait_for(first, ended)
    assert body["segments"] and body["end_reason"] == "hangup"
    assert live.transcript(refused).status_code == 404
    live.hang_up(other_line)


def test_a_second_connection_with_the_uuid_of_an_open_stream_is_refused(
    live: Live, korean_speech: Speech
) -> None:
    stream_id, _, line = live.call(SECOND_OF_SILENCE)
    impostor = live.connect(stream_id)
    live.send(impostor, korean_speech.sentence_pcm, pace=0)
    assert everything_until_closed(impostor) == encode_hangup()
    impostor.close()
    live.send(line, SECOND_OF_SILENCE, pace=0)
    live.hang_up(line)
    body = live.wait_for(stream_id, ended)
    assert body["segments"] == [] and body["end_reason"] == "hangup"
