from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import chinese_calendar
import pytest

from hotline.calendar import (
    CalendarError,
    library_overrides,
    library_years,
    provisional_holidays,
    qingming_day,
)


@pytest.mark.parametrize("year", sorted(library_years()))
def test_every_computed_holiday_is_a_day_off_in_official_data(year: int) -> None:
    computed = provisional_holidays(year)
    assert computed
    official_days_off = {o.day for o in library_overrides([year]) if not o.is_workday}
    weekend_or_off = [o.day for o in computed if o.day in official_days_off or o.day.weekday() >= 5]
    assert weekend_or_off == [o.day for o in computed]
    assert all(o.source == "provisional" and not o.is_workday for o in computed)


@pytest.mark.parametrize("year", [2025, 2026])
def test_2024_revision_holidays_are_all_official_holidays(year: int) -> None:
    official_days_off = {o.day for o in library_overrides([year]) if not o.is_workday}
    assert {o.day for o in provisional_holidays(year)} <= official_days_off


@pytest.mark.parametrize(
    ("year", "spring_festival", "labour_days", "national_days"),
    [
        (2025, [date(2025, 1, 28), date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31)], 2, 3),
        (2024, [date(2024, 2, 10), date(2024, 2, 11), date(2024, 2, 12)], 1, 3),  # 初一..初三
        (2010, [date(2010, 2, 13), date(2010, 2, 14), date(2010, 2, 15)], 1, 3),  # 除夕..初二
        (2005, [date(2005, 2, 9), date(2005, 2, 10), date(2005, 2, 11)], 3, 3),
        (1990, [date(1990, 1, 27), date(1990, 1, 28), date(1990, 1, 29)], 1, 2),
    ],
)
def test_rules_in_force_for_the_year(
    year: int, spring_festival: list[date], labour_days: int, national_days: int
) -> None:
    by_name: dict[str, list[date]] = {}
    for holiday in provisional_holidays(year):
        by_name.setdefault(holiday.name, []).append(holiday.day)
    assert by_name["春节"] == spring_festival
    assert by_name["劳动节"] == [date(year, 5, 1) + timedelta(days=i) for i in range(labour_days)]
    assert by_name["国庆节"] == [
        date(year, 10, 1) + timedelta(days=i) for i in range(national_days)
    ]
    traditional = {"清明节", "端午节", "中秋节"} & by_name.keys()
    assert traditional == (set() if year < 2008 else {"清明节", "端午节", "中秋节"})


def test_qingming_matches_the_solar_term_table_of_chinese_calendar() -> None:
    mismatches = []
    for year in range(1901, 2100):
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        table = next(day for day, name in terms if name == "清明")
        if qingming_day(year) != table:
            mismatches.append((year, table, qingming_day(year)))
    assert mismatches == []


def test_year_2100_has_no_lunar_data_but_does_not_crash() -> None:
    names = Counter(o.name for o in provisional_holidays(2100))
    assert names == {"元旦": 1, "清明节": 1, "劳动节": 2, "国庆节": 3}


@pytest.mark.parametrize("year", [0, 10_000, "2027", True])
def test_bad_year_is_rejected(year: object) -> None:
    with pytest.raises(CalendarError, match="年份"):
        provisional_holidays(year)  # type: ignore[arg-type]


def test_library_overrides_have_chinese_names_and_adjusted_workdays() -> None:
    overrides = library_overrides([2025])
    assert {o.source for o in overrides} == {"library"}
    workdays = {o.day: o.name for o in overrides if o.is_workday}
    assert workdays[date(2025, 1, 26)] == "春节调休上班"
    assert all(day.weekday() >= 5 for day in workdays)
    assert {o.name for o in overrides if not o.is_workday} >= {"春节", "国庆节", "劳动节"}


def test_library_overrides_reject_uncovered_year() -> None:
    with pytest.raises(CalendarError, match="不包含 1990"):
        library_overrides([1990, 2025])
