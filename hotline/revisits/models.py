"""A revisit plan per replied ticket and the attempts made on it (智能回访)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class RevisitPlan(Base):
    """Made when the department replies; the latest plan of a ticket is its plan."""

    __tablename__ = "revisit_plans"
    __table_args__ = (Index("ix_revisit_plans_status_next_at", "status", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # chosen by policy: call | sms | operator
    handled_by: Mapped[str] = mapped_column(String(10))  # who does it now: call | operator
    status: Mapped[str] = mapped_column(String(10))  # hotline.revisits.policy.PlanStatus
    earliest: Mapped[datetime]
    latest: Mapped[datetime]
    next_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts_left: Mapped[int]
    # Every decision on the plan, oldest first: {"at": iso, "text": Chinese}.
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RevisitAttempt(Base):
    """One automated call, claimed before it is placed; ``outcome`` once it ended."""

    __tablename__ = "revisit_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("revisit_plans.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    number: Mapped[int]  # 1, 2, … within the plan
    channel: Mapped[str] = mapped_column(String(10))
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    satisfaction: Mapped[int | None] = mapped_column(default=None)
    solved: Mapped[bool | None] = mapped_column(default=None)
    detail: Mapped[str] = mapped_column(Text, default="")


class RevisitLink(Base):
    """The one-time link of a text-message attempt; only the token's SHA-256 is kept."""

    __tablename__ = "revisit_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("revisit_attempts.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("revisit_plans.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
