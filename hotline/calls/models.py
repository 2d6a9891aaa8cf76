"""Calls followed over AMI, and the tickets they created."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base

if TYPE_CHECKING:
    from hotline.tickets.models import Ticket


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_caller_started", "caller", "started_at"),
        Index("ix_calls_stream_uuid", "stream_uuid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    caller: Mapped[str] = mapped_column(String(32), default="")
    state: Mapped[str] = mapped_column(String(10))  # ringing|queued|answered|abandoned|ended
    queue: Mapped[str | None] = mapped_column(String(32), default=None)
    started_at: Mapped[datetime]
    queue_entered_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_by: Mapped[str | None] = mapped_column(String(32), default=None)  # extension
    operator: Mapped[str | None] = mapped_column(String(64), default=None)  # username
    wait_seconds: Mapped[float | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    hangup_cause: Mapped[str | None] = mapped_column(String(64), default=None)
    stream_uuid: Mapped[str | None] = mapped_column(String(36), default=None)
    transfers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    priority: Mapped[bool] = mapped_column(default=False)  # 绿色通道 caller
    # An automated revisit call the citizen sent to the queue with 0: the ticket's number as
    # the dialplan set it (HOTLINE_REVISIT_TICKET), and the ticket it names.
    revisit_ticket_number: Mapped[str | None] = mapped_column(String(20), default=None)
    revisit_ticket: Mapped[Ticket | None] = relationship(
        primaryjoin="foreign(Call.revisit_ticket_number) == Ticket.number",
        viewonly=True,
        lazy="joined",
    )
