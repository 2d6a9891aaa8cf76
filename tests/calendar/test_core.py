from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.calendar import CalendarError, DayOverride, WorkCalendar, library_years


@pytest.mark.parametrize(
    ("day", "is_workday"),
    [
        (date(2024, 2, 4), True),  # Sunday, 春节 adjusted workday
        (date(2024, 2, 18), True),  # Sunday, 春节 adjusted workday
        (date(2025, 1, 26), True),  # Sunday, 春节 adjusted workday
        (date(2025, 2, 8), True),  # Saturday, 春节 adjusted workday
        (date(2025, 10, 11), True),  # Saturday, 国庆 adjusted workday
        (date(2026, 2, 14), True),  # Saturday, 春节 adjusted workday
        (date(2026, 2, 23), False),  # Monday inside the 2026 春节 holiday
        (date(2024, 2, 9), True),  # 2024 除夕 was an ordinary Friday
        (date(2025, 3, 8), False),  # ordinary Saturday
        (date(2025, 3, 10), True),  # ordinary Monday
    ],
)
def test_known_days(library_calendar: WorkCalendar, day: date, is_workday: bool) -> None:
    assert library_calendar.is_workday(day) is is_workday


def test_2024_spring_festival_is_feb_10_to_17(library_calendar: WorkCalendar) -> None:
    off = [date(2024, 2, 10) + timedelta(days=i) for i in range(8)]
    assert not any(library_calendar.is_workday(day) for day in off)
    assert library_calendar.is_workday(date(2024, 2, 9))
    assert library_calendar.is_workday(date(2024, 2, 18))
    names = {o.day: o.name for o in library_calendar.holidays(2024)}
    assert all(names[day] == "春节" for day in off)


def test_deadline_across_national_day(library_calendar: WorkCalendar) -> None:
    # 2025-10-01..08 off; the 9th (Thursday) is the first working day after acceptance.
    deadline = library_calendar.add_working_days(datetime(2025, 9, 30, 16, 45), 1)
    assert deadline.at == datetime(2025, 10, 9, 23, 59, 59)
    assert not deadline.provisional
    # 9th, 10th, then Saturday the 11th (adjusted workday).
    assert library_calendar.add_working_days(datetime(2025, 9, 30), 3).at.date() == date(
        2025, 10, 11
    )


def test_acceptance_on_saturday_counts_from_monday(library_calendar: WorkCalendar) -> None:
    deadline = library_calendar.add_working_days(datetime(2025, 3, 8, 9, 0), 1)
    assert deadline.at == datetime(2025, 3, 10, 23, 59, 59)
    assert library_calendar.add_working_days(datetime(2025, 3, 8, 9, 0), 5).at.date() == date(
        2025, 3, 14
    )


def test_acceptance_late_at_night_still_counts_from_next_day(
    library_calendar: WorkCalendar,
) -> None:
    deadline = library_calendar.add_working_days(datetime(2025, 3, 10, 23, 59, 58), 1)
    assert deadline.at == datetime(2025, 3, 11, 23, 59, 59)


def test_adjusted_workday_counts(library_calendar: WorkCalendar) -> None:
    # Accepted Friday 2024-02-02: Sunday the 4th is a workday and comes first.
    assert library_calendar.add_working_days(datetime(2024, 2, 2, 10), 1).at.date() == date(
        2024, 2, 4
    )


def test_year_without_official_data_is_provisional(library_calendar: WorkCalendar) -> None:
    assert library_calendar.is_provisional(2027)
    assert not library_calendar.is_provisional(2026)
    deadline = library_calendar.add_working_days(datetime(2026, 12, 30, 10), 3)
    assert deadline.provisional
    assert deadline.at.date() == date(2027, 1, 5)  # Jan 1 (元旦), 2–3 weekend
    inside_2026 = library_calendar.add_working_days(datetime(2026, 12, 1, 10), 3)
    assert not inside_2026.provisional


def test_provisional_year_uses_computed_holidays(library_calendar: WorkCalendar) -> None:
    # 国庆 2027 is Friday Oct 1 to Sunday Oct 3 under the 2024 rules; Monday the 4th works.
    assert not library_calendar.is_workday(date(2027, 10, 1))
    assert library_calendar.is_workday(date(2027, 10, 4))
    names = [o.name for o in library_calendar.holidays(2027)]
    assert names.count("春节") == 4 and names.count("劳动节") == 2


def test_override_wins_over_provisional_fallback() -> None:
    adjusted = DayOverride(date(2027, 10, 1), True, "试验", "official")
    calendar = WorkCalendar([adjusted], official_years=set())
    assert calendar.is_workday(date(2027, 10, 1))
    assert not calendar.is_workday(date(2027, 10, 2))


def test_official_year_without_override_is_plain_monday_to_friday() -> None:
    calendar = WorkCalendar([], official_years={2027})
    assert calendar.is_workday(date(2027, 10, 1))  # nobody entered 国庆: data, not guesses
    assert not calendar.is_workday(date(2027, 10, 2))
    assert calendar.holidays(2027) == []


@pytest.mark.parametrize("year", [1900, 1949, 2000, 2099, 2100])
def test_every_supported_year_counts_without_crashing(
    library_calendar: WorkCalendar, year: int
) -> None:
    for start in (datetime(year, 1, 1), datetime(year, 12, 31, 23, 59, 59)):
        deadline = library_calendar.add_working_days(start, 15)
        assert deadline.provisional
        assert library_calendar.is_workday(deadline.at.date())
    assert library_calendar.holidays(year)


def test_add_hours_is_plain_clock_time(library_calendar: WorkCalendar) -> None:
    start = datetime(2025, 10, 1, 22, 30)  # a holiday: urgent limits ignore the calendar
    assert library_calendar.add_hours(start, 2).at == datetime(2025, 10, 2, 0, 30)
    assert library_calendar.add_hours(start, 0.5).at == datetime(2025, 10, 1, 23, 0)
    assert not library_calendar.add_hours(datetime(2030, 1, 1), 24).provisional


def test_working_days_between(library_calendar: WorkCalendar) -> None:
    start = datetime(2025, 9, 30, 10)
    assert library_calendar.working_days_between(start, datetime(2025, 10, 8, 12)) == 0
    assert library_calendar.working_days_between(start, datetime(2025, 10, 11, 0)) == 3
    assert library_calendar.working_days_between(datetime(2025, 10, 11, 0), start) == -3
    assert library_calendar.working_days_between(start, start) == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.add_working_days(datetime(2025, 1, 1), 0), "1 到"),
        (lambda c: c.add_working_days(datetime(2025, 1, 1), -3), "1 到"),
        (lambda c: c.add_working_days(datetime(2025, 1, 1), 1.5), "整数"),
        (lambda c: c.add_working_days(datetime(2025, 1, 1), True), "整数"),
        (lambda c: c.add_working_days(date(2025, 1, 1), 1), "datetime"),
        (lambda c: c.add_working_days(datetime(2025, 1, 1, tzinfo=UTC), 1), "时区"),
        (lambda c: c.add_working_days(datetime(9999, 12, 30), 5), "超出"),
        (lambda c: c.add_hours(datetime(2025, 1, 1), 0), "正数"),
        (lambda c: c.add_hours(datetime(2025, 1, 1), float("nan")), "正数"),
        (lambda c: c.add_hours(datetime(2025, 1, 1), "2"), "数字"),
        (lambda c: c.add_hours(datetime(9999, 12, 31), 48), "超出"),
    ],
)
def test_bad_input_gets_a_clear_error(
    library_calendar: WorkCalendar, call: object, message: str
) -> None:
    with pytest.raises(CalendarError, match=message):
        call(library_calendar)  # type: ignore[operator]


def test_bad_overrides_are_rejected() -> None:
    with pytest.raises(CalendarError, match="来源"):
        DayOverride(date(2025, 1, 1), False, "元旦", "guess")
    with pytest.raises(CalendarError, match="date"):
        DayOverride(datetime(2025, 1, 1), False, "元旦", "official")
    with pytest.raises(CalendarError, match="布尔"):
        DayOverride(date(2025, 1, 1), 0, "元旦", "official")  # type: ignore[arg-type]
    twice = DayOverride(date(2025, 1, 1), False, "元旦", "official")
    with pytest.raises(CalendarError, match="重复"):
        WorkCalendar([twice, twice], {2025})


moments = st.datetimes(min_value=datetime(2003, 1, 1), max_value=datetime(2029, 12, 31))
counts = st.integers(min_value=1, max_value=60)


@settings(max_examples=200, deadline=None)
@given(start=moments, days=counts)
def test_deadline_is_end_of_a_workday_after_start(
    library_calendar: WorkCalendar, start: datetime, days: int
) -> None:
    deadline = library_calendar.add_working_days(start, days)
    assert deadline.at > start
    assert deadline.at.time() == datetime.max.time().replace(microsecond=0)
    assert library_calendar.is_workday(deadline.at.date())
    assert library_calendar.working_days_between(start, deadline.at) == days


@settings(max_examples=200, deadline=None)
@given(start=moments, days=counts)
def test_deadline_is_strictly_monotone_in_days(
    library_calendar: WorkCalendar, start: datetime, days: int
) -> None:
    shorter = library_calendar.add_working_days(start, days)
    longer = library_calendar.add_working_days(start, days + 1)
    assert longer.at > shorter.at
    # Nothing between two consecutive deadlines is a workday.
    gap = (longer.at.date() - shorter.at.date()).days
    between = (shorter.at.date() + timedelta(days=i) for i in range(1, gap))
    assert not any(library_calendar.is_workday(day) for day in between)


@settings(max_examples=100, deadline=None)
@given(start=moments, days=counts)
def test_deadline_provisional_iff_counting_enters_unofficial_year(
    library_calendar: WorkCalendar, start: datetime, days: int
) -> None:
    deadline = library_calendar.add_working_days(start, days)
    counted_years = range((start + timedelta(days=1)).year, deadline.at.year + 1)
    assert deadline.provisional == any(year not in library_years() for year in counted_years)
