"""Knowledge-base entries with their version history; duplicate, repeat-call and hot-topic records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class KbEntry(Base):
    """One matter's answer and service guide (办事指南), as a department opened it to 12345."""

    __tablename__ = "kb_entries"
    __table_args__ = (Index("ix_kb_entries_department_status", "department_code", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    title: Mapped[str] = mapped_column(String(100))
    matter_category: Mapped[str] = mapped_column(String(64), default="")
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    materials: Mapped[list[str]] = mapped_column(JSON, default=list)
    location: Mapped[str] = mapped_column(Text, default="")
    fees: Mapped[str] = mapped_column(String(300), default="")
    time_limit: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)
    owner: Mapped[str] = mapped_column(String(64))
    review_due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # draft | published | withdrawn
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class KbEntryVersion(Base):
    """Every state an entry has been in: one row per create, edit, publication or withdrawal.

    Its id only grows, so the highest id is the change counter the search index watches.
    """

    __tablename__ = "kb_entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("kb_entries.id"))
    version: Mapped[int]
    change: Mapped[str] = mapped_column(String(12))  # create | edit | publish | withdraw
    changed_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class DuplicateCandidate(Base):
    """An open ticket that looks like the same matter at the same place: offered for merging."""

    __tablename__ = "ticket_duplicate_candidates"
    __table_args__ = (UniqueConstraint("ticket_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    text_similarity: Mapped[float]
    same_place: Mapped[bool]
    score: Mapped[float]
    found_at: Mapped[datetime]


class RepeatCall(Base):
    """重复来电: the same number about the same matter within 30 days of an earlier ticket."""

    __tablename__ = "repeat_calls"
    __table_args__ = (Index("ix_repeat_calls_phone", "citizen_phone", "found_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    previous_ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    citizen_phone: Mapped[str] = mapped_column(String(20))
    same_category: Mapped[bool]
    text_similarity: Mapped[float]
    found_at: Mapped[datetime]


class HotspotAlert(Base):
    """热点诉求: a cluster of similar tickets at one place, well above its recent baseline."""

    __tablename__ = "hotspot_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    division_code: Mapped[str | None] = mapped_column(String(16), default=None)
    place: Mapped[str] = mapped_column(String(200), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    department_code: Mapped[str | None] = mapped_column(String(16), default=None)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    ticket_count: Mapped[int]
    baseline_weekly: Mapped[float]
    raised_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class HotspotTicket(Base):
    __tablename__ = "hotspot_tickets"

    alert_id: Mapped[int] = mapped_column(ForeignKey("hotspot_alerts.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)


class StoredProfile(Base):
    """A ticket's words (term → weight) and places, computed once when the ticket is filed."""

    __tablename__ = "ticket_profiles"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    terms: Mapped[dict[str, float]] = mapped_column(JSON)
    places: Mapped[list[str]] = mapped_column(JSON)


class TicketTerm(Base):
    """Inverted index of the profiles' words: which tickets share a word with a new one."""

    __tablename__ = "ticket_terms"
    __table_args__ = (Index("ix_ticket_terms_term", "term", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)


class TicketPlace(Base):
    """Inverted index of the profiles' places: tickets without a division meet by place."""

    __tablename__ = "ticket_places"
    __table_args__ = (Index("ix_ticket_places_place", "place", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    place: Mapped[str] = mapped_column(String(64), primary_key=True)
