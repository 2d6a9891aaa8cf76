"""Seed data from the maintained `chinese_calendar` package (official schedules it transcribes)."""

from __future__ import annotations

from collections.abc import Iterable

from chinese_calendar import constants

from hotline.calendar.days import CalendarError, DayOverride

_CHINESE_NAMES: dict[str, str] = {holiday.value: holiday.chinese for holiday in constants.Holiday}


def library_years() -> frozenset[int]:
    """Years whose holidays the installed `chinese_calendar` release contains."""
    return frozenset(day.year for day in constants.holidays)


def library_overrides(years: Iterable[int]) -> list[DayOverride]:
    """Holidays and adjusted workdays (调休) of `years`, source "library", sorted by day."""
    wanted = set(years)
    missing = sorted(wanted - library_years())
    if missing:
        covered = library_years()
        raise CalendarError(
            f"chinese_calendar 不包含 {'、'.join(map(str, missing))} 年的数据"
            f"（覆盖 {min(covered)}–{max(covered)} 年）"
        )
    overrides = [
        DayOverride(day=day, is_workday=False, name=_CHINESE_NAMES[name], source="library")
        for day, name in constants.holidays.items()
        if day.year in wanted
    ]
    overrides += [
        DayOverride(
            day=day, is_workday=True, name=f"{_CHINESE_NAMES[name]}调休上班", source="library"
        )
        for day, name in constants.workdays.items()
        if day.year in wanted
    ]
    return sorted(overrides, key=lambda override: override.day)
