"""Working days from the Chinese statutory calendar, kept as data."""

from hotline.calendar.core import Deadline, WorkCalendar
from hotline.calendar.days import CalendarError, DayOverride
from hotline.calendar.library import library_overrides, library_years
from hotline.calendar.provisional import provisional_holidays, qingming_day
from hotline.calendar.service import (
    calendar_alerts,
    enter_official_year,
    load_calendar,
    seed_calendar,
)

__all__ = [
    "CalendarError",
    "DayOverride",
    "Deadline",
    "WorkCalendar",
    "calendar_alerts",
    "enter_official_year",
    "library_overrides",
    "library_years",
    "load_calendar",
    "provisional_holidays",
    "qingming_day",
    "seed_calendar",
]
