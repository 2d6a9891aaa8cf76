"""Transcripts by stream, call and ticket; recordings uploaded and attached to their call;
bad input and a missing model give clear JSON errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.app import create_app
from hotline.audit.models import AuditRecord
from hotline.config import Settings
from hotline.services import Services
from hotline.speech.models import TranscriptStream
from telephony.speech import ModelError
from tests.app_fixtures import Api, Clock
from tests.speech_fixtures import Speech

from .conftest import add_call


@pytest.fixture
def recording_api(database_url: str, ko_model_dir: Path, clock: Clock) -> Iterator[Api]:
    """The app with a model configured but no live server (no AudioSocket port)."""
    settings = Settings(
        database_url=database_url, scan_interval_seconds=3600, vosk_model=str(ko_model_dir)
    )
    svc = Services(settings)
    svc.clock = clock
    with TestClient(create_app(settings, services=svc)) as client:
        yield Api(client)
    svc.close()


def services_of(api: Api) -> Services:
    return api.client.app.state.services  # type: ignore[attr-defined,no-any-return]


def upload(api: Api, call_id: int, content: bytes, user: str = "op"):  # type: ignore[no-untyped-def]
    return api.client.post(
        f"/api/calls/{call_id}/recording-transcript",
        files={"recording": ("call.wav", content, "audio/wav")},
        headers=api.headers(user),
    )


def test_unknown_stream_is_a_json_404(api: Api) -> None:
    for value in (str(uuid.uuid4()), "not-a-uuid"):
        reply = api.get("op", f"/api/transcripts/{value}")
        assert reply.status_code == 404
        assert reply.json()["code"] == "not_found" and reply.json()["uuid"] == value


def test_transcripts_need_a_login_and_a_known_call(api: Api) -> None:
    assert api.client.get(f"/api/transcripts/{uuid.uuid4()}").status_code == 401
    reply = api.get("op", "/api/transcripts", call_id=999999)
    assert reply.status_code == 404 and reply.json()["code"] == "not_found"
    reply = api.get("op", "/api/transcripts")
    assert reply.status_code == 422 and reply.json()["code"] == "invalid_input"
    reply = api.get("op", "/api/transcripts", call_id="abc")
    assert reply.status_code == 422


def test_a_recording_is_transcribed_and_shown_on_the_call_and_its_ticket(
    recording_api: Api, korean_speech: Speech
) -> None:
    api = recording_api
    call_id = add_call(services_of(api))
    reply = upload(api, call_id, korean_speech.wav.read_bytes())
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["call_id"] == call_id and body["source"] == "recording"
    assert len(body["segments"]) >= 2
    assert all(s["text"] and 0 <= s["start"] < s["end"] for s in body["segments"])

    listed = api.get("op", "/api/transcripts", call_id=call_id).json()
    assert [item["uuid"] for item in listed["items"]] == [body["uuid"]]
    assert api.get("sup", f"/api/transcripts/{body['uuid']}").json() == body

    ticket = api.create("op", call_id=call_id)
    shown = api.get("sup", f"/api/tickets/{ticket['id']}/transcript").json()
    assert shown["call_id"] == call_id and shown["items"] == [body]
    services = services_of(api)
    with services.sessions() as session:
        reads = session.scalars(select(AuditRecord).where(AuditRecord.entity == "transcript")).all()
        assert {r.action for r in reads} == {"read_personal_data"}
        assert {r.actor for r in reads} == {"op", "sup"}


def test_a_ticket_without_a_call_has_no_transcript(api: Api) -> None:
    ticket = api.create("op")
    reply = api.get("op", f"/api/tickets/{ticket['id']}/transcript")
    assert reply.status_code == 200
    assert reply.json() == {"ticket_id": ticket["id"], "call_id": None, "items": []}
    assert api.get("op", "/api/tickets/999999/transcript").status_code == 404


def test_a_bad_recording_is_refused_clearly(recording_api: Api, tmp_path: Path) -> None:
    api = recording_api
    call_id = add_call(services_of(api))
    reply = upload(api, call_id, b"this is not a wav file at all")
    assert reply.status_code == 422 and reply.json()["code"] == "bad_audio"
    reply = upload(api, call_id, b"")
    assert reply.status_code == 422 and reply.json()["code"] == "bad_audio"
    reply = upload(api, 999999, b"RIFF")
    assert reply.status_code == 404
    reply = api.client.post(f"/api/calls/{call_id}/recording-transcript", headers=api.headers("op"))
    assert reply.status_code == 422 and reply.json()["code"] == "invalid_input"
    assert upload(api, call_id, b"RIFF", user="zj").status_code == 403
    services = services_of(api)
    with services.sessions() as session:
        assert session.scalars(select(TranscriptStream)).all() == []


def test_without_a_model_uploads_say_what_to_configure(api: Api, korean_speech: Speech) -> None:
    call_id = add_call(services_of(api))
    reply = upload(api, call_id, korean_speech.wav.read_bytes())
    assert reply.status_code == 503
    assert reply.json()["code"] == "speech_not_configured"
    assert "HOTLINE_VOSK_MODEL" in reply.json()["message"]


@pytest.mark.parametrize("model", [None, "/nonexistent/vosk-model"])
def test_a_live_server_without_its_model_stops_the_start_up(
    database_url: str, model: str | None
) -> None:
    settings = Settings(database_url=database_url, audiosocket_port=0, vosk_model=model)
    app = create_app(settings)
    with pytest.raises(ModelError, match="HOTLINE_VOSK_MODEL"), TestClient(app):
        pass
    app.state.services.close()
