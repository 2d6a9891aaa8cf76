"""Transcripts in the database: streams, their final segments, the call they belong to.

Functions take a ``Session`` and never commit; the caller owns the transaction. A stream is
linked to a call through ``calls.stream_uuid``: looked up at read time, and stored on the
stream (``transcript_streams.call_id``) as soon as it is known.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.calls.models import Call
from hotline.calls.service import get_call
from hotline.errors import NotFound
from hotline.speech.models import TranscriptSegment, TranscriptStream

LIVE = "live"
RECORDING = "recording"


def canonical_uuid(value: str) -> str:
    """The form AudioSocket streams are stored under (lower case, hyphens); else unchanged."""
    try:
        return str(uuid_module.UUID(value.strip()))
    except ValueError:
        return value


def open_stream(session: Session, stream_uuid: str, now: datetime) -> TranscriptStream:
    """The live stream's row, created on its first event."""
    stream = session.get(TranscriptStream, stream_uuid)
    if stream is None:
        stream = TranscriptStream(uuid=stream_uuid, started_at=now, partial="", source=LIVE)
        session.add(stream)
        session.flush()
    return stream


def link_call(session: Session, stream: TranscriptStream) -> int | None:
    """The call whose ``stream_uuid`` is this stream's, stored on the stream once found."""
    if stream.call_id is None:
        stream.call_id = call_id_of(session, stream.uuid)
    return stream.call_id


def call_id_of(session: Session, stream_uuid: str) -> int | None:
    return session.scalar(
        select(Call.id).where(Call.stream_uuid == stream_uuid).order_by(Call.id.desc()).limit(1)
    )


def add_segment(
    session: Session,
    stream: TranscriptStream,
    text: str,
    normalized_text: str,
    start: float,
    end: float,
) -> None:
    session.add(
        TranscriptSegment(
            stream_uuid=stream.uuid,
            text=text,
            normalized_text=normalized_text,
            start=start,
            end=end,
        )
    )
    stream.partial = ""


def end_stream(session: Session, stream: TranscriptStream, now: datetime, reason: str) -> None:
    """Mark the stream ended; the first reason given is kept."""
    if stream.ended_at is None:
        stream.ended_at = now
        stream.end_reason = reason[:32]
    stream.partial = ""


def text_so_far(session: Session, stream_uuid: str) -> str:
    """The stream's final segments joined, for the routing suggestion."""
    texts = session.scalars(
        select(TranscriptSegment.normalized_text)
        .where(TranscriptSegment.stream_uuid == stream_uuid)
        .order_by(TranscriptSegment.start, TranscriptSegment.id)
    )
    return " ".join(texts)


def attach_recording(
    session: Session, call_id: int, segments: Iterable[Any], now: datetime
) -> TranscriptStream:
    """A finished stream of source "recording" on the call, holding the given segments
    (objects with ``text``, ``normalized_text``, ``start``, ``end``)."""
    get_call(session, call_id)
    stream = TranscriptStream(
        uuid=str(uuid_module.uuid4()),
        call_id=call_id,
        started_at=now,
        ended_at=now,
        end_reason=RECORDING,
        partial="",
        source=RECORDING,
    )
    session.add(stream)
    session.flush()
    for segment in segments:
        add_segment(
            session, stream, segment.text, segment.normalized_text, segment.start, segment.end
        )
    session.flush()
    return stream


def transcript(session: Session, stream_uuid: str) -> dict[str, Any]:
    """``{"uuid", "call_id", "source", "started_at", "ended_at", "end_reason", "segments",
    "partial"}``; segment ``text`` is the normalised text (Chinese without Vosk's spaces)."""
    stream = session.get(TranscriptStream, canonical_uuid(stream_uuid))
    if stream is None:
        raise NotFound("转写记录不存在", uuid=stream_uuid)
    return _as_dict(session, stream)


def transcripts_of_call(session: Session, call_id: int) -> list[dict[str, Any]]:
    """Every stream of the call (linked on the stream or through ``calls.stream_uuid``),
    oldest first."""
    call = get_call(session, call_id)
    linked = [TranscriptStream.call_id == call_id]
    if call.stream_uuid:
        linked.append(TranscriptStream.uuid == call.stream_uuid)
    streams = session.scalars(
        select(TranscriptStream)
        .where(or_(*linked))
        .order_by(TranscriptStream.started_at, TranscriptStream.uuid)
    )
    return [_as_dict(session, stream, call_id) for stream in streams]


def _as_dict(
    session: Session, stream: TranscriptStream, call_id: int | None = None
) -> dict[str, Any]:
    segments = session.scalars(
        select(TranscriptSegment)
        .where(TranscriptSegment.stream_uuid == stream.uuid)
        .order_by(TranscriptSegment.start, TranscriptSegment.id)
    )
    return {
        "uuid": stream.uuid,
        "call_id": call_id or stream.call_id or call_id_of(session, stream.uuid),
        "source": stream.source,
        "started_at": stream.started_at.isoformat(),
        "ended_at": stream.ended_at.isoformat() if stream.ended_at else None,
        "end_reason": stream.end_reason,
        "segments": [segment_json(s) for s in segments],
        "partial": stream.partial,
    }


def segment_json(segment: Any) -> dict[str, Any]:
    """A stored or freshly recognised segment as the API and the CLI show it: ``text`` is the
    normalised text, ``raw_text`` Vosk's own."""
    return {
        "text": segment.normalized_text,
        "raw_text": segment.text,
        "start": segment.start,
        "end": segment.end,
    }
