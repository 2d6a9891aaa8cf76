"""Tables of the working calendar. Alembic migrations are generated from these by the integrator."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class CalendarDay(Base):
    """A day that differs from the plain rule: a holiday, or a weekend adjusted workday (调休)."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("source IN ('official', 'library')", name="source"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool]
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16))


class CalendarYear(Base):
    """A year whose schedule is known (entered by an admin, or seeded from the library)."""

    __tablename__ = "calendar_years"
    __table_args__ = (CheckConstraint("source IN ('official', 'library')", name="source"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(16))
    entered_by: Mapped[str | None] = mapped_column(String(100))
    entered_at: Mapped[datetime] = mapped_column(DateTime)


CALENDAR_TABLES = (CalendarDay.__table__, CalendarYear.__table__)
