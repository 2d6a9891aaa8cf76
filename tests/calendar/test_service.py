from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.calendar import (
    CalendarError,
    DayOverride,
    calendar_alerts,
    enter_official_year,
    library_years,
    load_calendar,
    seed_calendar,
)
from hotline.calendar.models import CalendarDay, CalendarYear


def _official_2027() -> list[DayOverride]:
    """A made-up but plausible 2027 schedule, as an admin would enter it."""
    return [
        DayOverride(date(2027, 1, 1), False, "元旦", "official"),
        *(DayOverride(date(2027, 2, d), False, "春节", "official") for d in range(5, 14)),
        DayOverride(date(2027, 2, 20), True, "春节调休上班", "official"),
        *(DayOverride(date(2027, 10, d), False, "国庆节", "official") for d in range(1, 8)),
        DayOverride(date(2027, 10, 9), True, "国庆节调休上班", "official"),
    ]


def test_seed_is_idempotent(db_session: Session) -> None:
    assert seed_calendar(db_session) == len(library_years())
    days_after_first = db_session.scalar(select(func.count()).select_from(CalendarDay))
    assert seed_calendar(db_session) == 0
    assert db_session.scalar(select(func.count()).select_from(CalendarDay)) == days_after_first
    stored = db_session.get(CalendarYear, 2025)
    assert stored is not None and stored.source == "library" and stored.entered_by is None


def test_loaded_calendar_matches_official_facts(db_session: Session) -> None:
    seed_calendar(db_session)
    db_session.commit()
    calendar = load_calendar(db_session)
    assert calendar.is_workday(date(2024, 2, 18))
    assert not calendar.is_workday(date(2024, 2, 12))
    assert not calendar.is_provisional(2026)
    assert calendar.add_working_days(datetime(2025, 9, 30, 9), 1).at == datetime(
        2025, 10, 9, 23, 59, 59
    )
    assert calendar.is_provisional(2027)


def test_entering_official_year_replaces_and_clears_provisional(db_session: Session) -> None:
    seed_calendar(db_session)
    before = load_calendar(db_session)
    assert before.add_working_days(datetime(2027, 2, 4, 10), 1).provisional

    enter_official_year(db_session, 2027, _official_2027(), entered_by=" 张三 ")
    db_session.commit()
    after = load_calendar(db_session)
    deadline = after.add_working_days(datetime(2027, 2, 4, 10), 1)
    assert not deadline.provisional
    assert deadline.at.date() == date(2027, 2, 15)  # Feb 5–13 off, 14th Sunday
    assert after.is_workday(date(2027, 2, 20))
    record = db_session.get(CalendarYear, 2027)
    assert record is not None and record.source == "official" and record.entered_by == "张三"

    # Entering again replaces: the second schedule drops 国庆 entirely.
    enter_official_year(db_session, 2027, _official_2027()[:11], entered_by="李四")
    db_session.commit()
    replaced = load_calendar(db_session)
    assert replaced.is_workday(date(2027, 10, 4))
    rows_2027 = db_session.scalars(
        select(CalendarDay).where(CalendarDay.day >= date(2027, 1, 1))
    ).all()
    assert len(rows_2027) == 11 and {row.source for row in rows_2027} == {"official"}


def test_official_entry_overrides_library_year(db_session: Session) -> None:
    seed_calendar(db_session)
    corrected = [DayOverride(date(2026, 1, 1), False, "元旦", "official")]
    enter_official_year(db_session, 2026, corrected, entered_by="管理员")
    calendar = load_calendar(db_session)
    assert calendar.is_workday(date(2026, 2, 16))  # library's 春节 rows for 2026 are gone
    assert [o.source for o in calendar.holidays(2026)] == ["official"]
    assert seed_calendar(db_session) == 0  # seeding never overwrites an entered year


@pytest.mark.parametrize(
    ("year", "days", "entered_by", "message"),
    [
        (2027, [DayOverride(date(2028, 1, 1), False, "元旦", "official")], "张三", "不属于 2027"),
        (2027, [DayOverride(date(2027, 1, 1), False, "  ", "official")], "张三", "名称不能为空"),
        (
            2027,
            [DayOverride(date(2027, 1, 1), False, "元旦", "official")] * 2,
            "张三",
            "2027-01-01 重复出现",
        ),
        (2027, [DayOverride(date(2027, 3, 3), True, "调休", "official")], "张三", "无需标为调休"),
        (2027, [], "张三", "没有提供"),
        (2027, [DayOverride(date(2027, 1, 1), False, "元旦", "official")], "", "录入人"),
        (1800, [DayOverride(date(1800, 1, 1), False, "元旦", "official")], "张三", "年份"),
        (2027, [("2027-01-01", False)], "张三", "DayOverride"),
    ],
)
def test_bad_entry_is_rejected_and_changes_nothing(
    db_session: Session, year: int, days: list[DayOverride], entered_by: str, message: str
) -> None:
    seed_calendar(db_session)
    db_session.commit()
    before = db_session.scalar(select(func.count()).select_from(CalendarDay))
    with pytest.raises(CalendarError, match=message):
        enter_official_year(db_session, year, days, entered_by=entered_by)
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(CalendarDay)) == before
    assert db_session.get(CalendarYear, 2027) is None


def test_all_problems_are_reported_together(db_session: Session) -> None:
    days = [
        DayOverride(date(2028, 1, 1), False, "元旦", "official"),
        DayOverride(date(2027, 5, 1), False, "", "official"),
    ]
    with pytest.raises(CalendarError) as caught:
        enter_official_year(db_session, 2027, days, entered_by="张三")
    assert "不属于 2027" in str(caught.value) and "名称不能为空" in str(caught.value)


def test_alerts_name_missing_years(db_session: Session) -> None:
    seed_calendar(db_session)
    last_library_year = max(library_years())
    assert calendar_alerts(db_session, date(last_library_year - 1, 6, 1)) == []
    assert calendar_alerts(db_session, date(last_library_year, 6, 1)) == [
        f"{last_library_year + 1} 年的法定节假日安排尚未录入，该年截止时间为临时推算"
    ]
    enter_official_year(
        db_session,
        last_library_year + 1,
        [DayOverride(date(last_library_year + 1, 1, 1), False, "元旦", "official")],
        entered_by="张三",
    )
    assert calendar_alerts(db_session, date(last_library_year, 6, 1)) == []
    assert len(calendar_alerts(db_session, date(last_library_year + 5, 1, 1))) == 2
