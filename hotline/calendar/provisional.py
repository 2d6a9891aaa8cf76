"""Provisional holidays for a year with no official schedule, computed from the rules of
《全国年节及纪念日放假办法》 in force on each holiday and from the lunar calendar.

Only the statutory holidays themselves are produced: no 调休 (adjusted workday) is invented,
because only the State Council's yearly notice decides those. Weekends are implicit.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date, timedelta

from lunardate import LunarDate

from hotline.calendar.days import CalendarError, DayOverride

# lunardate's tables cover lunar years [1900, 2100); outside them only solar-date holidays exist.
LUNAR_YEARS = range(1900, 2100)
MIN_YEAR, MAX_YEAR = 1, 9999


@dataclass(frozen=True)
class _HolidayRules:
    """One version of 《全国年节及纪念日放假办法》."""

    in_force_from: date
    spring_festival_lunar_days: tuple[int, ...]  # 0 = 除夕, 1 = 初一, ...
    labour_days: int
    national_days: int
    traditional_festivals: bool  # 清明、端午、中秋 became holidays in 2008


# Newest first. Years before the 1949 decree use it as a best effort.
_RULES = (
    _HolidayRules(date(2025, 1, 1), (0, 1, 2, 3), 2, 3, True),  # 国务院令第795号 (2024 revision)
    _HolidayRules(date(2014, 1, 1), (1, 2, 3), 1, 3, True),  # 国务院令第644号
    _HolidayRules(date(2008, 1, 1), (0, 1, 2), 1, 3, True),  # 国务院令第513号
    _HolidayRules(date(1999, 9, 18), (1, 2, 3), 3, 3, False),  # 国务院令第270号
    _HolidayRules(date.min, (1, 2, 3), 1, 2, False),  # 政务院 1949
)


def _rules_on(day: date) -> _HolidayRules:
    return next(rules for rules in _RULES if rules.in_force_from <= day)


def provisional_holidays(year: int) -> list[DayOverride]:
    """The statutory holidays of `year` (source "provisional"), sorted by day."""
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarError(f"年份必须是 {MIN_YEAR} 到 {MAX_YEAR} 之间的整数，收到 {year!r}")
    days: dict[date, str] = {date(year, 1, 1): "元旦"}

    labour_day = date(year, 5, 1)
    for offset in range(_rules_on(labour_day).labour_days):
        days[labour_day + timedelta(days=offset)] = "劳动节"
    national_day = date(year, 10, 1)
    for offset in range(_rules_on(national_day).national_days):
        days[national_day + timedelta(days=offset)] = "国庆节"

    if _rules_on(date(year, 4, 4)).traditional_festivals:
        days[qingming_day(year)] = "清明节"
    if year in LUNAR_YEARS:
        new_year = _lunar_to_solar(year, 1, 1)
        for lunar_day in _rules_on(new_year).spring_festival_lunar_days:
            days[new_year + timedelta(days=lunar_day - 1)] = "春节"
        if _rules_on(new_year).traditional_festivals:
            days.setdefault(_lunar_to_solar(year, 5, 5), "端午节")
            days.setdefault(_lunar_to_solar(year, 8, 15), "中秋节")
    return [
        DayOverride(day=day, is_workday=False, name=name, source="provisional")
        for day, name in sorted(days.items())
    ]


def _lunar_to_solar(year: int, month: int, day: int) -> date:
    with warnings.catch_warnings():  # some lunardate releases warn on their own aliases
        warnings.simplefilter("ignore", DeprecationWarning)
        return LunarDate(year, month, day).to_solar_date()


def qingming_day(year: int) -> date:
    """清明: the day (Beijing time, UTC+8) on which the sun's apparent longitude reaches 15°."""
    day = date(year, 3, 25)  # well before 清明 in every year of the Gregorian calendar
    while _degrees_past(_solar_longitude(_beijing_midnight_jd(day + timedelta(days=1))), 15.0) < 0:
        day += timedelta(days=1)
    return day


def _degrees_past(longitude: float, target: float) -> float:
    """Signed angle from target to longitude in (-180, 180], so 359° is 16° before 15°."""
    return (longitude - target + 180.0) % 360.0 - 180.0


def _beijing_midnight_jd(day: date) -> float:
    """Julian day of 00:00 Beijing time (16:00 UT the day before)."""
    return day.toordinal() + 1_721_424.5 - 8 / 24


def _solar_longitude(julian_day: float) -> float:
    """Apparent geocentric longitude of the sun in degrees, within about 0.01°
    (Meeus, Astronomical Algorithms, ch. 25, low-accuracy method)."""
    centuries = (julian_day - 2_451_545.0) / 36_525
    mean_longitude = 280.46646 + 36_000.76983 * centuries + 0.0003032 * centuries**2
    anomaly = math.radians(357.52911 + 35_999.05029 * centuries - 0.0001537 * centuries**2)
    centre = (
        (1.914602 - 0.004817 * centuries - 0.000014 * centuries**2) * math.sin(anomaly)
        + (0.019993 - 0.000101 * centuries) * math.sin(2 * anomaly)
        + 0.000289 * math.sin(3 * anomaly)
    )
    node = math.radians(125.04 - 1_934.136 * centuries)
    return (mean_longitude + centre - 0.00569 - 0.00478 * math.sin(node)) % 360
