"""智能回访 figures: revisits made through the real worker (a scripted dialer in place of
Asterisk) and operators' actions, counted on the statutory calendar across National Day."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from hotline.calendar import WorkCalendar, library_overrides
from hotline.revisits.figures import AttemptRow, PlanRow, handover_reasons, revisit_figures
from hotline.revisits.policy import RevisitPolicy, TicketFacts, after_outcome, choose_channel
from hotline.revisits.runner import RevisitWorker
from hotline.revisits.service import policy_of
from hotline.services import Services
from telephony.revisit import RevisitOutcome, RevisitRequest
from tests.app_fixtures import Api, Clock

CALENDAR = WorkCalendar(library_overrides([2026]), {2026})
HOLIDAYS = frozenset(o.day for o in CALENDAR.holidays(2026))
# The eve of National Day (a Wednesday); the next working day is Thursday 8 October.
EVE = datetime(2026, 9, 30, 15, 0)
AFTER_THE_HOLIDAY = datetime(2026, 10, 8, 9, 0)
FRIDAY_AFTER = datetime(2026, 10, 9, 12, 0)


class ScriptedDialer:
    """Answers each call as the script says for the number: one outcome kind per attempt."""

    def __init__(self, script: dict[str, list[str]]) -> None:
        self.script = script
        self.client = SimpleNamespace(connected=True)  # the worker asks before claiming

    async def call(self, request: RevisitRequest) -> RevisitOutcome:
        kind = self.script[request.phone].pop(0)
        rated = kind == "rated"
        return RevisitOutcome(
            request.attempt_id,
            request.ticket_no,
            kind,
            satisfaction=1 if rated else None,
            solved=True if rated else None,
        )


def replied(api: Api, phone: str, **fields: Any) -> dict[str, Any]:
    ticket = api.create(citizen_phone=phone, **fields)
    api.act("disp", ticket["id"], "dispatch", {"department": "ZJ"})
    api.act("zj", ticket["id"], "accept")
    return api.act("zj", ticket["id"], "reply", {"content": "已处理"})


@pytest.fixture
def revisited(api: Api, services: Services, clock: Clock) -> Callable[..., dict[str, Any]]:
    """Five tickets replied on the eve of National Day and revisited as the script says;
    returns a reader of GET /api/stats/revisits on the Friday after the holiday."""
    clock.now = EVE
    named = {"real_name": True, "citizen_name": "张丽"}
    rated_after_holiday = replied(api, "13800000001", **named)
    pressed_zero = replied(api, "13800000002", **named)
    anonymous = replied(api, "13800000003")
    replied(api, "13800000004", no_automated_revisit=True, **named)  # never revisited
    rated_at_once = replied(api, "13800000005", **named)
    dialer = ScriptedDialer(
        {
            "13800000001": ["no_answer", "rated"],
            "13800000002": ["operator"],
            "13800000005": ["rated"],
        }
    )
    worker = RevisitWorker(services, dialer, policy_of(services.settings.revisit), name="t")
    asyncio.run(worker.run_once())
    api.act("op", anonymous["id"], "revisit", {"rating": "满意", "solved": True})
    clock.now = AFTER_THE_HOLIDAY
    asyncio.run(worker.run_once())  # the retry of the unanswered call
    clock.now = FRIDAY_AFTER
    api.act("op", pressed_zero["id"], "revisit", {"rating": "基本满意", "solved": True})
    assert api.get("op", f"/api/tickets/{rated_after_holiday['id']}").json()["status"] != "replied"
    assert api.get("op", f"/api/tickets/{rated_at_once['id']}").json()["status"] != "replied"
    assert all(not outcomes for outcomes in dialer.script.values())

    def read(**params: object) -> dict[str, Any]:
        reply = api.get(
            "sup", "/api/stats/revisits", start="2026-09-30", end="2026-09-30", **params
        )
        assert reply.status_code == 200, reply.text
        return reply.json()

    return read


def by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def test_completion_counts_working_days_across_the_holiday(
    revisited: Callable[..., dict[str, Any]],
) -> None:
    # Within one working day: the call rated eight calendar days after the reply (the holiday
    # in between) is in time; the operator's revisit on the second working day is late; the
    # opted-out ticket's day is over, so it counts as not completed.
    one = revisited(within_days=1)
    assert one["within_working_days"] == 1
    assert (one["plans"], one["settled"], one["completed"], one["completed_in_time"]) == (
        5,
        5,
        4,
        3,
    )
    assert one["completion_rate"] == 0.6
    channels = by(one["by_channel"], "channel")
    assert channels["call"] | {"label": "自动语音回访"} == {
        "channel": "call",
        "label": "自动语音回访",
        "plans": 3,
        "settled": 3,
        "completed": 3,
        "completed_in_time": 2,
        "completion_rate": 0.6667,
    }
    assert (channels["operator"]["plans"], channels["operator"]["completion_rate"]) == (2, 0.5)
    assert (channels["sms"]["plans"], channels["sms"]["completion_rate"]) == (0, None)

    # By the default five working days the opted-out ticket still has time: not yet counted.
    five = revisited()
    assert five["within_working_days"] == 5
    assert (five["settled"], five["completed_in_time"], five["completion_rate"]) == (4, 4, 1.0)


def test_automated_share_attempts_opt_outs_handovers_and_outcomes(
    revisited: Callable[..., dict[str, Any]],
) -> None:
    figures = revisited()
    finished = {row["channel"]: row["completed"] for row in figures["completed_by"]}
    assert finished == {"call": 2, "sms": 0, "operator": 2}
    assert figures["automated_share"] == 0.5
    attempts = by(figures["attempts"], "channel")
    assert (attempts["call"]["attempts"], attempts["call"]["per_completed"]) == (4, 2.0)
    assert attempts["sms"]["per_completed"] is None
    assert figures["opt_outs"] == 1
    assert figures["handed_to_operators"] == 3
    reasons = {row["reason"]: (row["label"], row["plans"]) for row in figures["handover_reasons"]}
    assert reasons == {
        "anonymous": ("非实名（匿名）工单", 1),
        "opted_out": ("市民要求不接受机器回访", 1),
        "pressed_zero": ("市民按 0 转人工", 1),
    }
    outcomes = {(row["channel"], row["outcome"]): row["attempts"] for row in figures["outcomes"]}
    assert outcomes == {("call", "rated"): 2, ("call", "no_answer"): 1, ("call", "operator"): 1}
    assert by(figures["outcomes"], "outcome")["no_answer"]["label"] == "无人接听"


def test_the_period_is_the_replies_and_the_inputs_are_checked(
    revisited: Callable[..., dict[str, Any]], api: Api
) -> None:
    revisited()
    later = api.get("sup", "/api/stats/revisits", start="2026-10-01", end="2026-10-09").json()
    assert (later["plans"], later["completion_rate"], later["outcomes"]) == (0, None, [])
    assert api.get("disp", "/api/stats/revisits").status_code == 200
    assert api.get("adm", "/api/stats/revisits").status_code == 200
    for user in ("zj", "op", "mon"):
        assert api.get(user, "/api/stats/revisits").status_code == 403
    backwards = api.get("sup", "/api/stats/revisits", start="2026-10-09", end="2026-10-01")
    assert backwards.status_code == 422
    assert (backwards.json()["message"], backwards.json()["field"]) == (
        "开始日期不能晚于结束日期",
        "start",
    )
    for days, problem in ((0, "不能小于 1"), (23, "不能大于 22"), ("五", "必须是整数")):
        refused = api.get("sup", "/api/stats/revisits", within_days=days)
        assert refused.status_code == 422
        assert refused.json()["message"] == f"请求参数不正确：回访时限（工作日）{problem}"


def _operator_reasons_of_the_policy() -> dict[str, list[str]]:
    """Every sentence with which the policy hands a plan to the operators, by figure code."""
    channel = {
        "opted_out": TicketFacts(True, "13812345678", True, False, False),
        "rectification": TicketFacts(True, "13812345678", False, True, False),
        "about_centre": TicketFacts(True, "13812345678", False, False, True),
        "anonymous": TicketFacts(False, "13812345678", False, False, False),
        "no_number": TicketFacts(True, "", False, False, False),
    }
    policy = RevisitPolicy()
    reasons = {code: list(choose_channel(facts, policy).reasons) for code, facts in channel.items()}

    def outcome(kind: str, left: int, latest: datetime) -> str:
        return after_outcome(kind, left, EVE, latest, policy, CALENDAR, HOLIDAYS).reason

    reasons["pressed_zero"] = [outcome("operator", 2, EVE + timedelta(days=9))]
    reasons["attempts_exhausted"] = [outcome("busy", 0, EVE + timedelta(days=9))]
    reasons["no_slot"] = [outcome("busy", 2, EVE + timedelta(hours=1))]
    reasons["link_expired"] = [outcome("expired", 0, EVE + timedelta(days=9))]
    return reasons


@pytest.mark.parametrize(("code", "texts"), _operator_reasons_of_the_policy().items())
def test_each_handover_of_the_policy_is_recognised(code: str, texts: list[str]) -> None:
    plan = PlanRow(1, 1, "operator", "operator", "operator", EVE, tuple(texts), False, None)
    assert handover_reasons(plan) == [code]


def test_an_sms_rating_is_an_automated_completion_and_an_unknown_handover_is_other() -> None:
    plans = [
        PlanRow(1, 1, "sms", "sms", "done", EVE, ("按配置以短信链接回访",), False, EVE),
        PlanRow(2, 2, "sms", "operator", "operator", EVE, ("短信链接已过期",), False, None),
    ]
    # A throttled text gave its attempt back: not counted among the attempts.
    attempts = [
        AttemptRow(1, "sms", "throttled"),
        AttemptRow(1, "sms", "rated"),
        AttemptRow(2, "sms", None),
    ]
    figures = revisit_figures(plans, attempts, CALENDAR, FRIDAY_AFTER, 5)
    assert by(figures["completed_by"], "channel")["sms"]["completed"] == 1
    assert figures["automated_share"] == 1.0
    assert by(figures["attempts"], "channel")["sms"]["per_completed"] == 2.0
    assert figures["handover_reasons"] == [{"reason": "other", "label": "其他原因", "plans": 1}]
    assert by(figures["outcomes"], "outcome")["in_progress"]["label"] == "进行中"
