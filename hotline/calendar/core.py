"""Working-day arithmetic over the Chinese statutory calendar (pure: no I/O).

Datetimes are naive local time (Asia/Shanghai). "Within N working days" follows Chinese
administrative practice: counting starts the day after acceptance and the deadline is the end
(23:59:59) of the Nth working day after the day of acceptance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hotline.calendar.days import CalendarError, DayOverride
from hotline.calendar.provisional import provisional_holidays

__all__ = ["CalendarError", "DayOverride", "Deadline", "WorkCalendar"]

END_OF_DAY = time(23, 59, 59)
# Ten years of working days: far beyond any hotline time limit, small enough to stay fast.
MAX_WORKING_DAYS = 2500


@dataclass(frozen=True)
class Deadline:
    at: datetime
    provisional: bool  # counted through a year with no official schedule


class WorkCalendar:
    """Workdays from explicit overrides, else (official years) Monday–Friday, else the
    provisional fallback computed from the lunar calendar."""

    def __init__(self, overrides: Iterable[DayOverride], official_years: set[int]) -> None:
        self._overrides: dict[date, DayOverride] = {}
        for override in overrides:
            if override.day in self._overrides:
                raise CalendarError(f"日期 {override.day} 重复出现")
            self._overrides[override.day] = override
        self._official_years = frozenset(official_years)
        self._provisional_days_off: dict[int, frozenset[date]] = {}

    def is_provisional(self, year: int) -> bool:
        return year not in self._official_years

    def is_workday(self, day: date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override.is_workday
        if self.is_provisional(day.year) and day in self._provisional_days_off_in(day.year):
            return False
        return day.weekday() < 5

    def add_working_days(self, start: datetime, days: int) -> Deadline:
        _require_naive(start, "受理时间")
        if isinstance(days, bool) or not isinstance(days, int):
            raise CalendarError(f"工作日数必须是整数，收到 {days!r}")
        if not 1 <= days <= MAX_WORKING_DAYS:
            raise CalendarError(f"工作日数必须在 1 到 {MAX_WORKING_DAYS} 之间，收到 {days}")
        day = start.date()
        counted = 0
        while counted < days:
            day = _next_day(day)
            if self.is_workday(day):
                counted += 1
        first_counted_year = _next_day(start.date()).year
        provisional = any(
            self.is_provisional(year) for year in range(first_counted_year, day.year + 1)
        )
        return Deadline(at=datetime.combine(day, END_OF_DAY), provisional=provisional)

    def add_hours(self, start: datetime, hours: float) -> Deadline:
        _require_naive(start, "受理时间")
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise CalendarError(f"小时数必须是数字，收到 {hours!r}")
        if not math.isfinite(hours) or hours <= 0:
            raise CalendarError(f"小时数必须是正数，收到 {hours}")
        try:
            at = start + timedelta(hours=hours)
        except OverflowError:
            raise CalendarError(f"{start} 加 {hours} 小时超出日期范围") from None
        # Clock hours do not depend on the holiday schedule, so they are never provisional.
        return Deadline(at=at, provisional=False)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days d with start.date() < d <= end.date(); negative when end precedes
        start. Inverse of add_working_days: between(s, add_working_days(s, n).at) == n."""
        _require_naive(start, "开始时间")
        _require_naive(end, "结束时间")
        if end < start:
            return -self.working_days_between(end, start)
        first, last = start.date(), end.date()
        return sum(
            1
            for offset in range(1, (last - first).days + 1)
            if self.is_workday(first + timedelta(days=offset))
        )

    def holidays(self, year: int) -> list[DayOverride]:
        """The year's statutory days off (not ordinary weekends), sorted by day."""
        in_year = {day: o for day, o in self._overrides.items() if day.year == year}
        if self.is_provisional(year):
            for computed in provisional_holidays(year):
                in_year.setdefault(computed.day, computed)
        return sorted((o for o in in_year.values() if not o.is_workday), key=lambda o: o.day)

    def _provisional_days_off_in(self, year: int) -> frozenset[date]:
        cached = self._provisional_days_off.get(year)
        if cached is None:
            cached = frozenset(o.day for o in provisional_holidays(year))
            self._provisional_days_off[year] = cached
        return cached


def _require_naive(moment: datetime, label: str) -> None:
    if not isinstance(moment, datetime):
        raise CalendarError(f"{label}必须是 datetime，收到 {moment!r}")
    if moment.tzinfo is not None:
        raise CalendarError(f"{label}必须是不带时区的北京时间（Asia/Shanghai），收到 {moment}")


def _next_day(day: date) -> date:
    try:
        return day + timedelta(days=1)
    except OverflowError:
        raise CalendarError(f"{day} 之后的日期超出支持范围") from None
