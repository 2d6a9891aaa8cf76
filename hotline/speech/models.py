"""Transcripts of AudioSocket streams, bound to calls through the stream's UUID."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class TranscriptStream(Base):
    __tablename__ = "transcript_streams"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), default=None)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    partial: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="live")  # live | recording


class TranscriptSegment(Base):
    __tablename__ = "transcript_segments"
    __table_args__ = (Index("ix_transcript_segments_stream", "stream_uuid", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stream_uuid: Mapped[str] = mapped_column(ForeignKey("transcript_streams.uuid"))
    text: Mapped[str] = mapped_column(Text)
    normalized_text: Mapped[str] = mapped_column(Text)
    start: Mapped[float]
    end: Mapped[float]
