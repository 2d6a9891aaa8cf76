"""JSON API: transcripts of live streams and of uploaded recordings, by stream, call or ticket."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Request, UploadFile

from hotline.audit.service import record as audit
from hotline.audit.service import record_read
from hotline.calls.service import get_call
from hotline.deps import Principal, require, services
from hotline.errors import STAFF_ERRORS, HotlineError, error_responses
from hotline.inputs import RowId
from hotline.services import Services
from hotline.speech import service
from hotline.speech.live import shared_model
from hotline.speech.masking import transcript_for
from hotline.tickets import service as tickets
from hotline.workflow import Role
from telephony.speech import AudioFormatError, ModelError, transcribe_file

router = APIRouter(tags=["transcripts"], responses=STAFF_ERRORS)
DESK = require(Role.OPERATOR, Role.SUPERVISOR)
MAX_RECORDING_BYTES = 200 * 1024 * 1024  # about 3.5 h of 8 kHz 16-bit mono
UPLOAD_CHUNK = 1024 * 1024


class BadAudio(HotlineError):
    status = 422
    code = "bad_audio"


class RecordingTooLarge(HotlineError):
    status = 413
    code = "recording_too_large"


class SpeechNotConfigured(HotlineError):
    status = 503
    code = "speech_not_configured"


def _audited(svc: Services, who: Principal, stream_uuids: list[str]) -> None:
    """A transcript is the citizen's own words: every read is in the audit trail."""
    with svc.unit() as (session, _):
        record_read(session, who.actor, "transcript", stream_uuids, svc.clock(), fields=["speech"])


@router.get("/api/transcripts/{stream_uuid}")
def get_transcript(
    stream_uuid: str, who: Principal = Depends(DESK), svc: Services = Depends(services)
) -> dict[str, Any]:
    """One stream's final segments (times in seconds of the stream) and its latest partial."""
    with svc.sessions() as session:
        found = service.transcript(session, stream_uuid)
    _audited(svc, who, [found["uuid"]])
    return transcript_for(who.actor, found)


@router.get("/api/transcripts")
def transcripts_of_call(
    call_id: RowId,
    who: Principal = Depends(DESK),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Every transcript of a call: live streams and uploaded recordings, oldest first."""
    with svc.sessions() as session:
        items = service.transcripts_of_call(session, call_id)
    _audited(svc, who, [item["uuid"] for item in items])
    return {"call_id": call_id, "items": [transcript_for(who.actor, item) for item in items]}


@router.get("/api/tickets/{ticket_id}/transcript")
def transcript_of_ticket(
    ticket_id: RowId, who: Principal = Depends(DESK), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The transcripts of the call that created the ticket (none for a ticket without one)."""
    with svc.sessions() as session:
        ticket = tickets.load(session, who.actor, ticket_id)
        call_id = ticket.call_id
        items = service.transcripts_of_call(session, call_id) if call_id is not None else []
    _audited(svc, who, [item["uuid"] for item in items])
    shown = [transcript_for(who.actor, item) for item in items]
    return {"ticket_id": ticket_id, "call_id": call_id, "items": shown}


@router.post(
    "/api/calls/{call_id}/recording-transcript", status_code=201, responses=error_responses(413)
)
async def transcribe_recording(
    call_id: RowId,
    recording: UploadFile = File(description="通话录音（PCM WAV）"),
    who: Principal = Depends(DESK),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Transcribe an uploaded WAV recording and attach it to the call (source "recording")."""
    with svc.sessions() as session:
        get_call(session, call_id)
    try:
        model = await asyncio.to_thread(shared_model, svc.settings)
    except ModelError as error:
        raise SpeechNotConfigured(f"语音识别未配置：{error}") from None
    with tempfile.TemporaryDirectory(prefix="hotline-recording-") as folder:
        path = Path(folder) / "recording.wav"
        await _save_upload(recording, path)
        try:
            segments = await asyncio.to_thread(transcribe_file, path, model)
        except AudioFormatError as error:
            raise BadAudio(f"录音文件无法识别：{error}") from None
    with svc.unit() as (session, _):
        stream = service.attach_recording(session, call_id, segments, svc.clock())
        audit(
            session,
            who.actor,
            "transcript.recording",
            "call",
            call_id,
            svc.clock(),
            stream_uuid=stream.uuid,
            segments=len(segments),
        )
        return transcript_for(who.actor, service.transcript(session, stream.uuid))


async def _save_upload(upload: UploadFile, path: Path) -> None:
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(UPLOAD_CHUNK):
            size += len(chunk)
            if size > MAX_RECORDING_BYTES:
                raise RecordingTooLarge(
                    f"录音文件超过 {MAX_RECORDING_BYTES // (1024 * 1024)} MB 上限"
                )
            out.write(chunk)
    if size == 0:
        raise BadAudio("上传的录音文件为空")


@router.get("/api/speech/stats")
def speech_stats(
    request: Request, _: Principal = Depends(require(Role.SUPERVISOR))
) -> dict[str, Any]:
    """The live speech service's counters (streams, audio seconds, dropped partials/audio)."""
    speech = request.app.state.speech_service
    if speech is None:
        return {"live": False}
    return {"live": True, **speech.stats()}
