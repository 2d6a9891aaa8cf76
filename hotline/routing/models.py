"""Dispatchers' corrections of the routing suggestion, kept as training labels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class RoutingLabel(Base):
    """The department a ticket finally went to, where that teaches the classifier something:
    a dispatch away from the suggestion, or a re-dispatch after a 退单."""

    __tablename__ = "routing_labels"
    __table_args__ = (Index("ix_routing_labels_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    suggested: Mapped[str | None] = mapped_column(String(16), default=None)  # top-1, if any
    final: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # dispatch | redispatch
    at: Mapped[datetime]
