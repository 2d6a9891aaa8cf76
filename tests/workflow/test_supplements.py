"""补正 (Art. 18): the department asks the citizen, once, for everything still missing; the
reply clock stands still while the citizen is asked, and runs again when they answer or when
their deadline passes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.workflow import Actor, Context, Role, Status, TicketState, apply, available_actions
from tests.workflow.test_machine import CALENDAR, DISPATCHER, MONDAY, OPERATOR, ZJ

SYSTEM = Actor("system", Role.SYSTEM)
CITIZEN = Actor("citizen:web", Role.CITIZEN)
ITEMS = ["施工地点的具体门牌号", "夜间施工的时间段", "现场照片"]


def at(moment: datetime) -> Context:
    return Context(now=moment, calendar=CALENDAR)


def accepted(**changes: object) -> TicketState:
    """A complaint ZJ signed on Monday 2026-11-23 09:00, due on the 15th working day."""
    dispatched = apply(
        TicketState(Status.REGISTERED, "投诉", "一般", True), "dispatch", DISPATCHER,
        {"department": "ZJ"}, at(MONDAY),
    ).state  # fmt: skip
    state = apply(dispatched, "accept", ZJ, {}, at(MONDAY)).state
    return replace(state, **changes)


def asked(state: TicketState | None = None, when: datetime = MONDAY, days: int = 5) -> TicketState:
    params = {"items": ITEMS, "days": days}
    return apply(state or accepted(), "request-supplement", ZJ, params, at(when)).state


def test_the_notice_lists_every_item_and_sets_the_citizens_deadline() -> None:
    transition = apply(
        accepted(), "request-supplement", ZJ,
        {"items": [" 现场照片 ", "现场照片", "", "夜间施工的时间段"], "days": 3, "note": "请于三日内补充"},
        at(MONDAY),
    )  # fmt: skip
    state, [event] = transition.state, transition.events
    assert event.type == "ticket.supplement_requested"
    # Blank and repeated items are dropped; the order the department wrote is kept.
    assert event.data["items"] == ["现场照片", "夜间施工的时间段"]
    assert event.data["due"] == datetime(2026, 11, 26, 23, 59, 59)  # Thursday: 3 working days
    assert state.supplement_due == event.data["due"]
    assert state.supplement_since == MONDAY and state.supplement_asked
    assert state.status == Status.ACCEPTED


def test_items_can_be_written_one_per_line_and_the_default_deadline_is_five_working_days() -> None:
    transition = apply(accepted(), "request-supplement", ZJ, {"items": "门牌号\n照片"}, at(MONDAY))
    assert transition.events[0].data["items"] == ["门牌号", "照片"]
    assert transition.state.supplement_due == datetime(2026, 11, 30, 23, 59, 59)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"items": []},
        {"items": ["  ", ""]},
        {"items": "   "},
        {"items": [1, 2]},
        {"items": {"a": 1}},
        {"items": [str(i) for i in range(21)]},
        {"items": ["长" * 201]},
        {"items": ["x"], "days": 0},
        {"items": ["x"], "days": 31},
        {"items": ["x"], "days": "5"},
        {"items": ["x"], "days": True},
    ],
)
def test_a_bad_notice_is_refused_and_changes_nothing(params: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        apply(accepted(), "request-supplement", ZJ, params, at(MONDAY))


def test_the_notice_is_one_time_per_dispatch() -> None:
    waiting = asked()
    with pytest.raises(IllegalTransition, match="正在等待"):
        apply(waiting, "request-supplement", ZJ, {"items": ["再要一份"]}, at(MONDAY))
    answered = apply(waiting, "supplement", OPERATOR, {"content": "门牌号 12 号"}, at(MONDAY)).state
    with pytest.raises(IllegalTransition, match="一次性告知"):
        apply(answered, "request-supplement", ZJ, {"items": ["再要一份"]}, at(MONDAY))
    assert "request-supplement" not in available_actions(answered, ZJ)


def test_only_the_lead_department_asks_and_not_after_its_deadline() -> None:
    with pytest.raises(Forbidden):
        apply(
            accepted(),
            "request-supplement",
            Actor("cg", Role.DEPARTMENT, "CG"),
            {"items": ["x"]},
            at(MONDAY),
        )
    with pytest.raises(Forbidden):
        apply(accepted(), "request-supplement", OPERATOR, {"items": ["x"]}, at(MONDAY))
    late = accepted().reply_due + timedelta(seconds=1)
    with pytest.raises(IllegalTransition, match="办理期限已过"):
        apply(accepted(), "request-supplement", ZJ, {"items": ["x"]}, at(late))


def test_the_days_the_citizen_took_are_added_to_the_reply_deadline() -> None:
    original = accepted().reply_due
    waiting = asked(when=MONDAY)
    thursday = datetime(2026, 11, 26, 15, 0)
    transition = apply(waiting, "supplement", CITIZEN, {"content": "照片已上传"}, at(thursday))
    ended, supplied = transition.events
    assert ended.type == "ticket.supplement_ended" and ended.data["outcome"] == "supplied"
    assert supplied.data == {"content": "照片已上传"}
    # Tuesday, Wednesday and Thursday stood still: three working days more.
    assert transition.state.reply_due == CALENDAR.add_working_days(original, 3).at
    assert ended.data["reply_due"] == transition.state.reply_due
    assert transition.state.supplement_since is None and transition.state.supplement_due is None


def test_a_same_day_answer_moves_nothing_and_weekends_are_not_counted() -> None:
    original = accepted().reply_due
    same_day = apply(asked(), "supplement", OPERATOR, {"content": "x"}, at(MONDAY.replace(hour=16)))
    assert same_day.state.reply_due == original
    friday = datetime(2026, 11, 27, 10, 0)
    next_monday = datetime(2026, 11, 30, 10, 0)
    over_weekend = apply(
        asked(when=friday), "supplement", OPERATOR, {"content": "x"}, at(next_monday)
    )
    assert over_weekend.state.reply_due == CALENDAR.add_working_days(original, 1).at


def test_hour_limited_tickets_move_by_the_hours_waited() -> None:
    urgent = accepted(urgency="紧急", reply_due=MONDAY + timedelta(hours=24))
    waiting = asked(urgent)
    answered = apply(
        waiting, "supplement", OPERATOR, {"content": "x"}, at(MONDAY + timedelta(hours=5))
    )
    assert answered.state.reply_due == MONDAY + timedelta(hours=29)


def test_when_the_citizens_deadline_passes_the_clock_runs_again_from_it() -> None:
    original = accepted().reply_due
    waiting = asked(days=2)  # due Wednesday 23:59:59
    with pytest.raises(IllegalTransition, match="期限未到"):
        apply(waiting, "supplement-lapsed", SYSTEM, {}, at(datetime(2026, 11, 25, 12, 0)))
    with pytest.raises(Forbidden):
        apply(waiting, "supplement-lapsed", DISPATCHER, {}, at(datetime(2026, 11, 30, 9, 0)))
    lapsed = apply(waiting, "supplement-lapsed", SYSTEM, {}, at(datetime(2026, 11, 30, 9, 0)))
    assert [e.data["outcome"] for e in lapsed.events] == ["lapsed"]
    # Counted to the citizen's deadline (Wednesday), not to when the scan noticed (Monday).
    assert lapsed.state.reply_due == CALENDAR.add_working_days(original, 2).at
    with pytest.raises(IllegalTransition, match="没有待补正"):
        apply(
            lapsed.state,
            "supplement",
            CITIZEN,
            {"content": "晚了"},
            at(datetime(2026, 11, 30, 10, 0)),
        )


def test_a_reply_or_return_while_waiting_ends_the_wait_with_the_time_credited() -> None:
    original = accepted().reply_due
    wednesday = datetime(2026, 11, 25, 10, 0)
    replied = apply(asked(), "reply", ZJ, {"content": "已现场核实处理"}, at(wednesday))
    assert [e.type for e in replied.events] == ["ticket.supplement_ended", "ticket.replied"]
    assert replied.events[0].data["outcome"] == "replied"
    assert replied.state.reply_due == CALENDAR.add_working_days(original, 2).at
    assert replied.state.supplement_since is None
    returned = apply(
        asked(), "return", ZJ, {"reason": "非本单位职责", "category": "职能不符"}, at(wednesday)
    )
    assert returned.events[0].data["outcome"] == "returned"
    assert returned.state.status == Status.RETURNED and returned.state.supplement_since is None


def test_a_new_dispatch_may_ask_again() -> None:
    waiting = asked()
    returned = apply(
        waiting, "return", ZJ, {"reason": "r", "category": "职能不符"}, at(MONDAY)
    ).state
    redispatched = apply(
        returned, "rule-return", DISPATCHER, {"decision": "insist"}, at(MONDAY)
    ).state
    assert not redispatched.supplement_asked
    signed = apply(redispatched, "accept", ZJ, {}, at(MONDAY)).state
    assert asked(signed).supplement_asked


def test_the_pages_are_offered_only_what_makes_sense() -> None:
    state = accepted()
    assert "request-supplement" in available_actions(state, ZJ)
    assert "supplement" not in available_actions(state, OPERATOR)
    waiting = asked(state)
    assert "supplement" in available_actions(waiting, OPERATOR)
    assert "supplement" in available_actions(waiting, ZJ)
    assert "supplement" in available_actions(waiting, CITIZEN)
    assert "request-supplement" not in available_actions(waiting, ZJ)
    assert "decide-extension" not in available_actions(state, DISPATCHER)
    pending = apply(state, "request-extension", ZJ, {"days": 3, "reason": "检测"}, at(MONDAY)).state
    assert "decide-extension" in available_actions(pending, DISPATCHER)
    assert "request-extension" not in available_actions(pending, ZJ)
    assert "rectify" not in available_actions(state, ZJ)


TOLERATED = {"items": ["房屋产权证明原件"], "tolerated": True, "commitment": "承诺书 2026-118 号"}


def test_a_tolerated_application_keeps_its_clock_running() -> None:
    original = accepted().reply_due
    transition = apply(accepted(), "request-supplement", ZJ, TOLERATED, at(MONDAY))
    assert transition.events[0].data["tolerated"] is True
    assert transition.events[0].data["commitment"] == "承诺书 2026-118 号"
    waiting = transition.state
    assert waiting.supplement_tolerated and waiting.reply_due == original
    thursday = datetime(2026, 11, 26, 15, 0)
    answered = apply(waiting, "supplement", OPERATOR, {"content": "原件已交"}, at(thursday)).state
    assert answered.reply_due == original  # nothing stood still, nothing is credited
    assert not answered.supplement_tolerated and answered.supplement_since is None


def test_a_tolerated_application_is_deemed_withdrawn_when_its_material_lapses() -> None:
    waiting = apply(
        accepted(), "request-supplement", ZJ, {**TOLERATED, "days": 2}, at(MONDAY)
    ).state
    lapsed = apply(waiting, "supplement-lapsed", SYSTEM, {}, at(datetime(2026, 11, 26, 9, 0)))
    assert [e.type for e in lapsed.events] == ["ticket.supplement_ended", "ticket.withdrawn"]
    assert "视为撤回申请" in lapsed.events[1].data["reason"]
    assert lapsed.state.status == Status.WITHDRAWN and lapsed.state.closed_how == "withdrawn"


@pytest.mark.parametrize(
    "params",
    [
        {"items": ["x"], "tolerated": True},
        {"items": ["x"], "tolerated": True, "commitment": " "},
        {"items": ["x"], "tolerated": 1, "commitment": "承诺书"},
    ],
)
def test_a_tolerated_application_needs_a_written_commitment(params: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        apply(accepted(), "request-supplement", ZJ, params, at(MONDAY))
