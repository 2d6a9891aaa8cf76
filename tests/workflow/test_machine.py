"""The pure state machine: every rule tested without a database, a server or a clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.calendar import WorkCalendar, library_overrides
from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.workflow import ACTIONS, Actor, Context, Role, Status, TicketState, actions_from, apply
from hotline.workflow.states import OPEN_STATUSES

CALENDAR = WorkCalendar(library_overrides(range(2025, 2027)), set(range(2025, 2027)))
MONDAY = datetime(2026, 11, 23, 9, 0)
CTX = Context(now=MONDAY, calendar=CALENDAR)
DISPATCHER = Actor("disp", Role.DISPATCHER)
OPERATOR = Actor("op", Role.OPERATOR)
ZJ = Actor("zj", Role.DEPARTMENT, "ZJ")
CG = Actor("cg", Role.DEPARTMENT, "CG")
SUPERVISOR = Actor("sup", Role.SUPERVISOR)


def new(**changes: object) -> TicketState:
    return replace(TicketState(Status.REGISTERED, "投诉", "一般", True), **changes)


def test_dispatch_sets_working_day_deadlines() -> None:
    state = apply(new(), "dispatch", DISPATCHER, {"department": "ZJ"}, CTX).state
    assert state.status == Status.DISPATCHED
    assert state.sign_due == datetime(2026, 11, 24, 23, 59, 59)
    assert state.reply_due == CALENDAR.add_working_days(MONDAY, 15).at
    assert not state.deadline_provisional


def test_urgent_and_utility_tickets_run_on_hours() -> None:
    urgent = apply(new(urgency="紧急"), "dispatch", DISPATCHER, {"department": "ZJ"}, CTX).state
    assert urgent.sign_due == datetime(2026, 11, 23, 11, 0)
    assert urgent.reply_due == datetime(2026, 11, 24, 9, 0)
    outage = apply(new(type="求助"), "dispatch", DISPATCHER, {"department": "RL"}, CTX).state
    assert outage.reply_due == datetime(2026, 11, 24, 9, 0)


def test_deadlines_in_a_year_without_official_schedule_are_provisional() -> None:
    late = Context(now=datetime(2026, 12, 28, 9, 0), calendar=CALENDAR)
    state = apply(new(), "dispatch", DISPATCHER, {"department": "ZJ"}, late).state
    assert state.reply_due.year == 2027
    assert state.deadline_provisional


@pytest.mark.parametrize("status", list(Status))
def test_every_illegal_action_names_the_allowed_ones(status: Status) -> None:
    allowed = actions_from(status)
    for action, spec in ACTIONS.items():
        if status in spec.sources:
            continue
        with pytest.raises(IllegalTransition) as caught:
            apply(new(status=status, department="ZJ"), action, DISPATCHER, {}, CTX)
        assert caught.value.extra["allowed"] == allowed


def test_roles_and_departments_are_checked() -> None:
    dispatched = apply(new(), "dispatch", DISPATCHER, {"department": "ZJ"}, CTX).state
    with pytest.raises(Forbidden):
        apply(dispatched, "accept", CG, {}, CTX)
    with pytest.raises(Forbidden):
        apply(dispatched, "accept", OPERATOR, {}, CTX)
    with pytest.raises(Forbidden):
        apply(new(), "dispatch", OPERATOR, {"department": "ZJ"}, CTX)
    with pytest.raises(Forbidden):
        apply(dispatched, "supervise", DISPATCHER, {"reason": "x"}, CTX)
    assert apply(dispatched, "accept", ZJ, {}, CTX).state.status == Status.ACCEPTED


def test_return_needs_a_reason_and_a_known_category() -> None:
    dispatched = apply(new(), "dispatch", DISPATCHER, {"department": "ZJ"}, CTX).state
    with pytest.raises(InvalidInput):
        apply(dispatched, "return", ZJ, {"reason": "", "category": "职能不符"}, CTX)
    with pytest.raises(InvalidInput):
        apply(dispatched, "return", ZJ, {"reason": "不归我们", "category": "不想办"}, CTX)
    returned = apply(dispatched, "return", ZJ, {"reason": "不归我们", "category": "职能不符"}, CTX)
    assert returned.state.status == Status.RETURNED
    assert returned.events[0].data["category"] == "职能不符"


def test_insisting_keeps_the_reply_clock_and_marks_the_return_improper() -> None:
    dispatched = apply(new(), "dispatch", DISPATCHER, {"department": "ZJ"}, CTX).state
    returned = apply(dispatched, "return", ZJ, {"reason": "x", "category": "权属不清"}, CTX).state
    later = replace(CTX, now=datetime(2026, 11, 25, 10, 0))
    insisted = apply(returned, "rule-return", DISPATCHER, {"decision": "insist"}, later)
    assert insisted.state.department == "ZJ"
    assert insisted.state.reply_due == dispatched.reply_due
    assert insisted.events[0].data["improper"] is True
    with pytest.raises(InvalidInput):
        apply(
            returned,
            "rule-return",
            DISPATCHER,
            {"decision": "redispatch", "department": "ZJ"},
            later,
        )


def test_bad_rating_opens_rectification_only_for_real_names() -> None:
    replied = new(status=Status.REPLIED, department="ZJ")
    bad = {"rating": "非常不满意", "solved": False}
    named = apply(replied, "revisit", OPERATOR, bad, CTX)
    assert named.state.rectification_open
    assert named.state.rectification_due == datetime(2026, 11, 24, 23, 59, 59)
    anonymous = apply(replace(replied, real_name=False), "revisit", OPERATOR, bad, CTX)
    assert not anonymous.state.rectification_open
    with pytest.raises(InvalidInput):
        apply(replied, "revisit", OPERATOR, {"rating": "还行", "solved": True}, CTX)


def test_reopen_only_after_an_unsatisfied_or_unsolved_revisit() -> None:
    happy = new(status=Status.REVISITED, department="ZJ", rating="满意", solved=True)
    with pytest.raises(IllegalTransition):
        apply(happy, "reopen", OPERATOR, {"reason": "x"}, CTX)
    unhappy = replace(happy, rating="不满意")
    reopened = apply(unhappy, "reopen", OPERATOR, {"reason": "重办"}, CTX).state
    assert reopened.status == Status.DISPATCHED and reopened.reopen_count == 1
    assert reopened.rating is None


def test_extension_only_before_the_deadline_and_once_at_a_time() -> None:
    accepted = new(
        status=Status.ACCEPTED, department="ZJ", reply_due=datetime(2026, 11, 30, 23, 59, 59)
    )
    asked = apply(accepted, "request-extension", ZJ, {"days": 5, "reason": "检测"}, CTX).state
    with pytest.raises(IllegalTransition):
        apply(asked, "request-extension", ZJ, {"days": 5, "reason": "再来"}, CTX)
    approved = apply(asked, "decide-extension", DISPATCHER, {"approved": True}, CTX).state
    assert approved.reply_due == CALENDAR.add_working_days(accepted.reply_due, 5).at
    too_late = replace(CTX, now=datetime(2026, 12, 1, 8, 0))
    with pytest.raises(IllegalTransition):
        apply(accepted, "request-extension", ZJ, {"days": 5, "reason": "晚了"}, too_late)
    with pytest.raises(InvalidInput):
        apply(accepted, "request-extension", ZJ, {"days": 0, "reason": "x"}, CTX)


def test_complaints_cannot_be_closed_on_the_call() -> None:
    with pytest.raises(IllegalTransition):
        apply(new(), "close-direct", OPERATOR, {"answer": "好的"}, CTX)
    closed = apply(new(type="咨询"), "close-direct", OPERATOR, {"answer": "可在线办理"}, CTX)
    assert closed.state.closed_how == "direct"


ACTORS = st.sampled_from([DISPATCHER, OPERATOR, ZJ, CG, SUPERVISOR, Actor("c", Role.CITIZEN)])
PARAMS = {
    "dispatch": {"department": "ZJ"},
    "return": {"reason": "r", "category": "职能不符"},
    "rule-return": {"decision": "redispatch", "department": "CG"},
    "request-extension": {"days": 3, "reason": "r"},
    "decide-extension": {"approved": True},
    "reply": {"content": "c"},
    "revisit": {"rating": "不满意", "solved": False},
    "rate": {"rating": "满意", "solved": True},
    "reopen": {"reason": "r"},
    "merge": {"into": 99},
    "withdraw": {"reason": "r"},
    "supervise": {"reason": "r"},
    "close-direct": {"answer": "a"},
    "rectify": {"verification": "v", "rectification": "r", "feedback": "f"},
    "assist": {"content": "c"},
    "request-supplement": {"items": ["身份证复印件"]},
    "supplement": {"content": "已补"},
}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(ACTIONS)), ACTORS), max_size=25))
def test_any_sequence_of_actions_keeps_the_ticket_consistent(
    steps: list[tuple[str, Actor]],
) -> None:
    state = new(type="求助")
    for action, actor in steps:
        try:
            state = apply(state, action, actor, PARAMS.get(action, {}), CTX).state
        except (IllegalTransition, Forbidden, InvalidInput):
            continue
        if state.status in OPEN_STATUSES - {Status.REGISTERED}:
            assert state.department is not None
        if state.status == Status.DISPATCHED:
            assert state.sign_due is not None and state.reply_due is not None
        if state.status in {Status.CLOSED, Status.MERGED, Status.WITHDRAWN}:
            assert state.closed_at is not None
        if state.rectification_open:
            assert state.rectification_due is not None
        if state.supplement_since is not None:
            assert state.status == Status.ACCEPTED and state.supplement_asked
            assert state.supplement_due is not None


def test_only_the_lead_department_rectifies_and_co_handlers_assist() -> None:
    state = new(
        status=Status.ACCEPTED,
        department="ZJ",
        co_handlers=("CG",),
        rectification_open=True,
        rectification_due=MONDAY,
    )
    record = {"verification": "v", "rectification": "r", "feedback": "f"}
    with pytest.raises(Forbidden):
        apply(state, "rectify", CG, record, CTX)
    assert not apply(state, "rectify", ZJ, record, CTX).state.rectification_open
    assisted = apply(state, "assist", CG, {"content": "协办意见"}, CTX)
    assert assisted.events[0].data["department"] == "CG"
    with pytest.raises(Forbidden):
        apply(state, "assist", Actor("hb", Role.DEPARTMENT, "HB"), {"content": "x"}, CTX)
