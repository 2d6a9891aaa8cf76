"""The revisit plan's pure decisions: channel, calling hours, what an outcome leads to."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hotline.calendar import WorkCalendar, library_overrides
from hotline.revisits.policy import (
    CallingHours,
    Next,
    RevisitPolicy,
    TicketFacts,
    after_outcome,
    choose_channel,
)

CALENDAR = WorkCalendar(library_overrides([2026]), {2026})
NATIONAL_DAY = date(2026, 10, 1)  # a Thursday, a statutory holiday
HOLIDAYS = frozenset(o.day for o in CALENDAR.holidays(2026))
HOURS = CallingHours.parse("09:00-12:00,14:00-20:00")
NAMED = TicketFacts(
    real_name=True,
    phone="13812345678",
    no_automated_revisit=False,
    rectification_open=False,
    about_centre=False,
)


def test_calling_hours_hold_on_working_days_only() -> None:
    monday = datetime(2026, 11, 23, 9, 0)
    assert HOURS.is_open(monday, CALENDAR, HOLIDAYS)
    assert not HOURS.is_open(monday.replace(hour=8, minute=59), CALENDAR, HOLIDAYS)
    assert not HOURS.is_open(monday.replace(hour=12), CALENDAR, HOLIDAYS)  # lunch
    assert not HOURS.is_open(monday.replace(hour=20), CALENDAR, HOLIDAYS)
    saturday = datetime(2026, 11, 28, 10, 0)
    assert not HOURS.is_open(saturday, CALENDAR, HOLIDAYS)
    weekends = CallingHours.parse("09:00-12:00", weekends=True)
    assert weekends.is_open(saturday, CALENDAR, HOLIDAYS)
    assert NATIONAL_DAY in HOLIDAYS
    assert not weekends.is_open(datetime(2026, 10, 3, 10), CALENDAR, HOLIDAYS)  # Saturday, 国庆


def test_the_next_open_slot_skips_lunch_nights_weekends_and_holidays() -> None:
    assert HOURS.next_open(datetime(2026, 11, 23, 12, 30), CALENDAR, HOLIDAYS) == datetime(
        2026, 11, 23, 14, 0
    )
    friday_night = datetime(2026, 11, 27, 20, 0)
    assert HOURS.next_open(friday_night, CALENDAR, HOLIDAYS) == datetime(2026, 11, 30, 9, 0)
    # 国庆 2026: 1–7 October off, work again on Thursday the 8th.
    assert HOURS.next_open(datetime(2026, 9, 30, 21, 0), CALENDAR, HOLIDAYS) == datetime(
        2026, 10, 8, 9, 0
    )
    all_day = CallingHours.parse("00:00-24:00", weekends=True)
    assert all_day.is_open(datetime(2026, 11, 28, 23, 59), CALENDAR, HOLIDAYS)


@pytest.mark.parametrize(
    "text", ["9-12", "12:00-09:00", "09:00-25:00", "09:60-10:00", "20:00-24:30", ""]
)
def test_bad_calling_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        CallingHours.parse(text)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"no_automated_revisit": True}, "市民要求不接受机器回访"),
        ({"rectification_open": True}, "实名差评整改中，须人工回访"),
        ({"about_centre": True}, "投诉热线中心本身，须人工回访"),
        ({"real_name": False}, "非实名（匿名）工单，由中心人工回访"),
        ({"phone": "95598"}, "没有可以外呼的电话号码"),
    ],
)
def test_the_operators_take_what_a_machine_should_not_revisit(
    change: dict[str, object], reason: str
) -> None:
    facts = TicketFacts(**{**NAMED.__dict__, **change})  # type: ignore[arg-type]
    choice = choose_channel(facts, RevisitPolicy())
    assert (choice.channel, choice.handled_by) == ("operator", "operator")
    assert choice.reasons == (reason,)


def test_a_real_name_mobile_gets_the_configured_automated_channel() -> None:
    assert choose_channel(NAMED, RevisitPolicy()).channel == "call"
    sms = RevisitPolicy(automated_channel="sms")
    choice = choose_channel(NAMED, sms)
    assert (choice.channel, choice.handled_by) == ("sms", "sms")
    landline = choose_channel(TicketFacts(**{**NAMED.__dict__, "phone": "03735551234"}), sms)
    assert landline.channel == "call"


def test_outcomes_retry_in_calling_hours_until_the_attempts_run_out() -> None:
    policy = RevisitPolicy(calling_hours=HOURS, retry_spacing=timedelta(hours=2))
    now = datetime(2026, 11, 23, 11, 0)
    latest = datetime(2026, 11, 30, 23, 59, 59)

    def then(kind: str, left: int) -> tuple[str, datetime | None]:
        step = after_outcome(kind, left, now, latest, policy, CALENDAR, HOLIDAYS)
        return step.status, step.next_at

    assert then("rated", 2) == ("done", None)
    assert then("operator", 2) == ("operator", None)
    assert then("no_answer", 2) == ("scheduled", datetime(2026, 11, 23, 14, 0))  # after lunch
    assert then("unknown", 1) == ("scheduled", datetime(2026, 11, 23, 14, 0))
    assert then("busy", 0) == ("operator", None)
    near_latest = after_outcome(
        "busy", 2, now, now + timedelta(hours=1), policy, CALENDAR, HOLIDAYS
    )
    assert near_latest.status == "operator"


def test_texts_retry_in_sending_hours_and_an_expired_link_goes_to_operators() -> None:
    policy = RevisitPolicy(
        calling_hours=HOURS, sending_hours=CallingHours.parse("08:00-21:00"), max_attempts=2
    )
    now = datetime(2026, 11, 23, 19, 30)
    latest = datetime(2026, 11, 30, 23, 59, 59)

    def then(kind: str, left: int) -> Next:
        return after_outcome(kind, left, now, latest, policy, CALENDAR, HOLIDAYS, channel="sms")

    # 21:30 is past the sending hours: the next morning at 08:00, not the calls' 09:00.
    assert then("send_failed", 1).next_at == datetime(2026, 11, 24, 8, 0)
    assert "再次发送短信" in then("send_failed", 1).reason
    assert then("expired", 1).status == "operator"
    assert then("rated", 1).reason == "市民已在短信链接中评价"
