"""The transactional outbox: events written in the transaction of the change they report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base

# SQLite only numbers an INTEGER PRIMARY KEY by itself; PostgreSQL gets room for years of events.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class OutboxEvent(Base):
    """One event to publish; its id is the event's id on the bus, and the order of publishing."""

    __tablename__ = "outbox_events"
    # "What is still to publish" (IS NULL) and "what is old enough to prune" both use it.
    __table_args__ = (Index("ix_outbox_events_published_at", "published_at"),)

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[str] = mapped_column(String(40))  # as Event.occurred_at: ISO, +08:00
    published_at: Mapped[datetime | None] = mapped_column(default=None)
