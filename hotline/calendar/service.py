"""The stored calendar: seeding, admins' yearly entry, loading, alerts.

Functions take a Session and only flush; the caller's transaction (hotline.db.transaction)
commits, so a failed entry leaves nothing behind.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.calendar.core import WorkCalendar
from hotline.calendar.days import CalendarError, DayOverride
from hotline.calendar.library import library_overrides, library_years
from hotline.calendar.models import CalendarDay, CalendarYear

ENTRY_YEARS = range(1900, 2101)
MAX_NAME_LENGTH = 100


def seed_calendar(session: Session) -> int:
    """Store the library's years that are not stored yet; returns how many years were added."""
    present = set(session.scalars(select(CalendarYear.year)))
    new_years = sorted(library_years() - present)
    if not new_years:
        return 0
    now = datetime.now()
    session.add_all(
        CalendarYear(year=year, source="library", entered_by=None, entered_at=now)
        for year in new_years
    )
    session.add_all(_row(override) for override in library_overrides(new_years))
    session.flush()
    return len(new_years)


def enter_official_year(
    session: Session, year: int, days: list[DayOverride], entered_by: str
) -> None:
    """Replace `year`'s schedule by the State Council's published one (stored as "official")."""
    problems = _problems_with_entry(year, days, entered_by)
    if problems:
        raise CalendarError("；".join(problems))
    session.execute(
        delete(CalendarDay).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
        )
    )
    session.add_all(
        CalendarDay(day=d.day, is_workday=d.is_workday, name=d.name.strip(), source="official")
        for d in days
    )
    record = session.get(CalendarYear, year) or CalendarYear(year=year)
    record.source = "official"
    record.entered_by = entered_by.strip()
    record.entered_at = datetime.now()
    session.add(record)
    session.flush()


def load_calendar(session: Session) -> WorkCalendar:
    overrides = [
        DayOverride(day=row.day, is_workday=row.is_workday, name=row.name, source=row.source)
        for row in session.scalars(select(CalendarDay))
    ]
    return WorkCalendar(overrides, set(session.scalars(select(CalendarYear.year))))


def calendar_alerts(session: Session, today: date) -> list[str]:
    """Warnings for the admin pages: this or next year has no stored schedule."""
    stored = set(session.scalars(select(CalendarYear.year)))
    return [
        f"{year} 年的法定节假日安排尚未录入，该年截止时间为临时推算"
        for year in (today.year, today.year + 1)
        if year not in stored
    ]


def _row(override: DayOverride) -> CalendarDay:
    return CalendarDay(
        day=override.day,
        is_workday=override.is_workday,
        name=override.name,
        source=override.source,
    )


def _problems_with_entry(year: int, days: list[DayOverride], entered_by: str) -> list[str]:
    if isinstance(year, bool) or not isinstance(year, int) or year not in ENTRY_YEARS:
        return [f"年份必须是 {ENTRY_YEARS.start}–{ENTRY_YEARS.stop - 1} 之间的整数，收到 {year!r}"]
    problems: list[str] = []
    if not isinstance(entered_by, str) or not entered_by.strip():
        problems.append("录入人不能为空")
    if not days:
        problems.append(f"{year} 年没有提供任何节假日或调休安排")
    if any(not isinstance(d, DayOverride) for d in days):
        return [*problems, "每一天都必须是 DayOverride"]
    for d in days:
        if d.day.year != year:
            problems.append(f"{d.day} 不属于 {year} 年")
        if not d.name.strip():
            problems.append(f"{d.day} 的名称不能为空")
        elif len(d.name.strip()) > MAX_NAME_LENGTH:
            problems.append(f"{d.day} 的名称超过 {MAX_NAME_LENGTH} 个字")
        if d.is_workday and d.day.weekday() < 5:
            problems.append(f"{d.day} 是工作日（周一至周五），无需标为调休上班")
    problems += [
        f"{day} 重复出现" for day, count in Counter(d.day for d in days).items() if count > 1
    ]
    return problems
