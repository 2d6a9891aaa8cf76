"""The ticket workflow as a pure state machine: no I/O, no clock, no database.

``apply(state, action, actor, params, ctx)`` checks who may do what from which status, computes
deadlines with the working-day calendar it is given, and returns the new state together with the
events the transition caused. Storage and the API are thin shells around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from hotline.errors import Forbidden, IllegalTransition, InvalidInput
from hotline.workflow.policy import SlaPolicy
from hotline.workflow.states import (
    BAD_RATINGS,
    OPEN_STATUSES,
    RATING_LEVELS,
    RETURN_CATEGORIES,
    STATUS_LABELS,
    TYPES_NEEDING_DEPARTMENT,
    Role,
    Status,
)

MAX_TEXT = 5000
MAX_SUPPLEMENT_ITEMS = 20
MAX_SUPPLEMENT_ITEM = 200


class DeadlineLike(Protocol):
    at: datetime
    provisional: bool


class DeadlineCalendar(Protocol):
    def add_working_days(self, start: datetime, days: int) -> DeadlineLike: ...

    def add_hours(self, start: datetime, hours: float) -> DeadlineLike: ...

    def working_days_between(self, start: datetime, end: datetime) -> int: ...


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    department: str | None = None


@dataclass(frozen=True)
class TicketState:
    status: Status
    type: str
    urgency: str
    real_name: bool
    department: str | None = None
    co_handlers: tuple[str, ...] = ()
    dispatched_at: datetime | None = None
    sign_due: datetime | None = None
    reply_due: datetime | None = None
    deadline_provisional: bool = False
    signed_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    closed_how: str | None = None
    extension_pending_days: int | None = None
    extension_count: int = 0
    supervised: bool = False
    supervision_due: datetime | None = None
    rating: str | None = None
    solved: bool | None = None
    return_count: int = 0
    reopen_count: int = 0
    remind_count: int = 0
    merged_into: int | None = None
    rectification_due: datetime | None = None
    rectification_open: bool = False
    # 补正 (Art. 18): while the citizen is asked for more, the reply clock stands still.
    supplement_due: datetime | None = None  # the citizen's deadline; set only while waiting
    supplement_since: datetime | None = None
    supplement_asked: bool = False  # asked during this dispatch: the notice is one-time
    # 容缺受理 (Art. 20): handled meanwhile on the applicant's written commitment; the clock runs.
    supplement_tolerated: bool = False


@dataclass(frozen=True)
class WorkflowEvent:
    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    now: datetime
    calendar: DeadlineCalendar
    policy: SlaPolicy = field(default_factory=SlaPolicy)


@dataclass(frozen=True)
class Transition:
    state: TicketState
    events: list[WorkflowEvent]


Handler = Callable[[TicketState, Actor, Mapping[str, Any], Context], Transition]

CENTRE = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.ADMIN})
DISPATCH_DESK = frozenset({Role.DISPATCHER, Role.ADMIN})
SUPERVISION = frozenset({Role.SUPERVISOR, Role.ADMIN})
LEAD_DEPARTMENT = frozenset({Role.DEPARTMENT})


@dataclass(frozen=True)
class ActionSpec:
    label: str
    sources: frozenset[Status]
    roles: frozenset[Role]
    handler: Handler
    # Department staff act only on their own department's tickets, co-handlers' notes aside.
    lead_department_only: bool = True
    # What else the ticket must hold for the action to make sense (the pages offer it only
    # then); the handler still refuses with its reason when asked regardless.
    when: Callable[[TicketState], bool] | None = None


# ---------------------------------------------------------------- helpers


def _text(params: Mapping[str, Any], key: str, label: str, *, required: bool = True) -> str:
    value = params.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"缺少{label}", field=key)
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{label}必须是文本", field=key)
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{label}不能超过 {MAX_TEXT} 字", field=key)
    return value.strip()


def _positive_days(params: Mapping[str, Any], key: str, maximum: int) -> int:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidInput(f"天数必须是 1 到 {maximum} 之间的整数", field=key)
    return value


def _reply_hours(state: TicketState, department: str | None, policy: SlaPolicy) -> float | None:
    """The reply limit in clock hours, for the tickets limited in hours; None: working days."""
    if state.urgency == "紧急":
        return policy.urgent_reply_hours
    if department in policy.utility_departments:
        return policy.utility_outage_reply_hours
    return None


def _reply_deadline(state: TicketState, department: str, ctx: Context) -> DeadlineLike:
    hours = _reply_hours(state, department, ctx.policy)
    if hours is not None:
        return ctx.calendar.add_hours(ctx.now, hours)
    return ctx.calendar.add_working_days(ctx.now, ctx.policy.reply_days(state.type))


def _end_wait(state: TicketState, ctx: Context, outcome: str) -> Transition:
    """Ends a wait for the citizen's 补正, if one is running: the reply deadline moves on by the
    time the clock stood still (working days, or clock hours for the hour-limited tickets), which
    it did not for a 容缺 acceptance."""
    if state.supplement_since is None:
        return Transition(state, [])
    since = state.supplement_since
    until = min(ctx.now, state.supplement_due or ctx.now)
    reply_due, provisional = state.reply_due, state.deadline_provisional
    if reply_due is not None and until > since and not state.supplement_tolerated:
        if _reply_hours(state, state.department, ctx.policy) is not None:
            moved = ctx.calendar.add_hours(reply_due, (until - since).total_seconds() / 3600)
        else:
            paused_days = ctx.calendar.working_days_between(since, until)
            moved = ctx.calendar.add_working_days(reply_due, paused_days) if paused_days else None
        if moved is not None:
            reply_due, provisional = moved.at, provisional or moved.provisional
    new = replace(
        state,
        supplement_due=None,
        supplement_since=None,
        supplement_tolerated=False,
        reply_due=reply_due,
        deadline_provisional=provisional,
    )
    event = WorkflowEvent("ticket.supplement_ended", {"outcome": outcome, "reply_due": reply_due})
    return Transition(new, [event])


def _sign_deadline(state: TicketState, ctx: Context) -> DeadlineLike:
    if state.urgency == "紧急":
        return ctx.calendar.add_hours(ctx.now, ctx.policy.urgent_sign_hours)
    return ctx.calendar.add_working_days(ctx.now, ctx.policy.sign_working_days)


def _send_to(
    state: TicketState,
    department: str,
    ctx: Context,
    *,
    co_handlers: tuple[str, ...] | None = None,
    fresh_reply_deadline: bool = True,
) -> TicketState:
    """Put the ticket in a department's inbox with its signing (and reply) clock running."""
    sign = _sign_deadline(state, ctx)
    reply = _reply_deadline(state, department, ctx) if fresh_reply_deadline else None
    return replace(
        state,
        status=Status.DISPATCHED,
        department=department,
        co_handlers=state.co_handlers if co_handlers is None else co_handlers,
        dispatched_at=ctx.now,
        sign_due=sign.at,
        reply_due=reply.at if reply else state.reply_due,
        deadline_provisional=sign.provisional or bool(reply and reply.provisional),
        signed_at=None,
        replied_at=None,
        extension_pending_days=None,
        supplement_due=None,
        supplement_since=None,
        supplement_asked=False,
        supplement_tolerated=False,
    )


def _dispatch_event(state: TicketState, kind: str, **extra: Any) -> WorkflowEvent:
    return WorkflowEvent(
        kind,
        {
            "department": state.department,
            "co_handlers": list(state.co_handlers),
            "sign_due": state.sign_due,
            "reply_due": state.reply_due,
            "provisional": state.deadline_provisional,
            **extra,
        },
    )


def _rate(state: TicketState, params: Mapping[str, Any], ctx: Context) -> Transition:
    rating = params.get("rating")
    if rating not in RATING_LEVELS:
        raise InvalidInput("评价必须是：" + "、".join(RATING_LEVELS), field="rating")
    solved = params.get("solved")
    if not isinstance(solved, bool):
        raise InvalidInput("请说明诉求是否解决（solved: true/false）", field="solved")
    channel = params.get("channel") or "phone"
    events = [
        WorkflowEvent(
            "ticket.rated",
            {
                "rating": rating,
                "solved": solved,
                "channel": channel,
                "note": _text(params, "note", "回访记录", required=False),
            },
        )
    ]
    new = replace(state, rating=rating, solved=solved)
    if rating in BAD_RATINGS and state.real_name:
        due = ctx.calendar.add_working_days(ctx.now, ctx.policy.rectification_working_days)
        new = replace(new, rectification_due=due.at, rectification_open=True)
        events.append(WorkflowEvent("ticket.rectification_opened", {"due": due.at}))
    return Transition(new, events)


# ---------------------------------------------------------------- handlers


def _dispatch(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    department = _text(p, "department", "承办部门")
    co = tuple(dict.fromkeys(c for c in p.get("co_handlers") or () if c != department))
    new = _send_to(state, department, ctx, co_handlers=co)
    return Transition(new, [_dispatch_event(new, "ticket.dispatched")])


def _accept(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    on_time = state.sign_due is None or ctx.now <= state.sign_due
    new = replace(state, status=Status.ACCEPTED, signed_at=ctx.now)
    return Transition(
        new,
        [WorkflowEvent("ticket.accepted", {"department": state.department, "on_time": on_time})],
    )


def _return(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    reason = _text(p, "reason", "退单理由")
    category = p.get("category")
    if category not in RETURN_CATEGORIES:
        raise InvalidInput("退单类别必须是：" + "、".join(RETURN_CATEGORIES), field="category")
    waited = _end_wait(state, ctx, "returned")
    new = replace(waited.state, status=Status.RETURNED, return_count=state.return_count + 1)
    returned = WorkflowEvent(
        "ticket.returned",
        {"department": state.department, "reason": reason, "category": category},
    )
    return Transition(new, [*waited.events, returned])


def _rule_return(
    state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context
) -> Transition:
    decision = p.get("decision")
    note = _text(p, "note", "裁定说明", required=False)
    returned_by = state.department
    if decision == "redispatch":
        department = _text(p, "department", "改派部门")
        if department == returned_by:
            raise InvalidInput("改派部门不能是退单部门；坚持原派请用 insist", field="department")
        new = _send_to(state, department, ctx)
        improper = False
    elif decision == "insist":
        # The reply clock keeps running: a return the centre overrules buys no time.
        new = _send_to(state, returned_by or "", ctx, fresh_reply_deadline=False)
        improper = True
    else:
        raise InvalidInput("裁定必须是 redispatch（改派）或 insist（强派）", field="decision")
    event = _dispatch_event(
        new,
        "ticket.return_ruled",
        decision=decision,
        improper=improper,
        returned_by=returned_by,
        note=note,
    )
    return Transition(new, [event])


def _request_extension(
    state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context
) -> Transition:
    days = _positive_days(p, "days", ctx.policy.max_extension_working_days)
    reason = _text(p, "reason", "延期理由")
    if state.extension_pending_days is not None:
        raise IllegalTransition("已有待审批的延期申请", allowed=["decide-extension"])
    if state.reply_due is not None and ctx.now >= state.reply_due:
        raise IllegalTransition("办理期限已过，不能再申请延期", allowed=["reply"])
    new = replace(state, extension_pending_days=days)
    return Transition(
        new, [WorkflowEvent("ticket.extension_requested", {"days": days, "reason": reason})]
    )


def _decide_extension(
    state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context
) -> Transition:
    if state.extension_pending_days is None:
        raise IllegalTransition("没有待审批的延期申请", allowed=[])
    approved = p.get("approved")
    if not isinstance(approved, bool):
        raise InvalidInput("请说明是否批准（approved: true/false）", field="approved")
    note = _text(p, "note", "审批意见", required=False)
    if not approved:
        new = replace(state, extension_pending_days=None)
        return Transition(
            new, [WorkflowEvent("ticket.extension_decided", {"approved": False, "note": note})]
        )
    days = (
        _positive_days(p, "days", ctx.policy.max_extension_working_days)
        if "days" in p
        else state.extension_pending_days
    )
    base = state.reply_due or ctx.now
    due = ctx.calendar.add_working_days(base, days)
    new = replace(
        state,
        extension_pending_days=None,
        extension_count=state.extension_count + 1,
        reply_due=due.at,
        deadline_provisional=state.deadline_provisional or due.provisional,
    )
    return Transition(
        new,
        [
            WorkflowEvent(
                "ticket.extension_decided",
                {"approved": True, "days": days, "reply_due": due.at, "note": note},
            )
        ],
    )


def _reply(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    content = _text(p, "content", "办理结果")
    waited = _end_wait(state, ctx, "replied")
    state = waited.state
    on_time = state.reply_due is None or ctx.now <= state.reply_due
    new = replace(state, status=Status.REPLIED, replied_at=ctx.now, extension_pending_days=None)
    replied = WorkflowEvent(
        "ticket.replied",
        {"department": state.department, "content": content, "on_time": on_time},
    )
    return Transition(new, [*waited.events, replied])


def _assist(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    if actor.department not in state.co_handlers:
        raise Forbidden("只有协办部门可以提交协办意见")
    content = _text(p, "content", "协办意见")
    return Transition(
        state,
        [WorkflowEvent("ticket.assisted", {"department": actor.department, "content": content})],
    )


def _revisit(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    rated = _rate(state, p, ctx)
    new = replace(rated.state, status=Status.REVISITED)
    return Transition(new, [WorkflowEvent("ticket.revisited", {}), *rated.events])


def _rate_closed(
    state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context
) -> Transition:
    if state.rating is not None:
        raise IllegalTransition("该工单已评价", allowed=[])
    return _rate(state, p, ctx)


def _close(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    new = replace(state, status=Status.CLOSED, closed_at=ctx.now, closed_how="handled")
    return Transition(new, [WorkflowEvent("ticket.closed", {"how": "handled"})])


def _close_direct(
    state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context
) -> Transition:
    if state.type in TYPES_NEEDING_DEPARTMENT:
        raise IllegalTransition(f"{state.type}类工单须派单办理，不能直接办结", allowed=["dispatch"])
    answer = _text(p, "answer", "答复内容")
    new = replace(state, status=Status.CLOSED, closed_at=ctx.now, closed_how="direct")
    data = {"how": "direct", "answer": answer, "kb_entry_id": p.get("kb_entry_id")}
    return Transition(new, [WorkflowEvent("ticket.closed", data)])


def _reopen(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    if state.rating not in BAD_RATINGS and state.solved is not False:
        raise IllegalTransition("只有回访不满意或未解决的工单才能重办", allowed=["close"])
    reason = _text(p, "reason", "重办理由")
    new = _send_to(replace(state, rating=None, solved=None), state.department or "", ctx)
    new = replace(new, reopen_count=state.reopen_count + 1, closed_at=None, closed_how=None)
    return Transition(new, [_dispatch_event(new, "ticket.reopened", reason=reason)])


def _merge(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    into = p.get("into")
    if isinstance(into, bool) or not isinstance(into, int):
        raise InvalidInput("请指定合并到的工单（into: 工单 id）", field="into")
    waited = _end_wait(state, ctx, "merged")
    new = replace(
        waited.state, status=Status.MERGED, merged_into=into, closed_at=ctx.now, closed_how="merged"
    )
    return Transition(new, [*waited.events, WorkflowEvent("ticket.merged", {"into": into})])


def _withdraw(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    reason = _text(p, "reason", "撤件原因")
    waited = _end_wait(state, ctx, "withdrawn")
    new = replace(waited.state, status=Status.WITHDRAWN, closed_at=ctx.now, closed_how="withdrawn")
    return Transition(new, [*waited.events, WorkflowEvent("ticket.withdrawn", {"reason": reason})])


def _supervise(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    reason = _text(p, "reason", "督办事由")
    days = _positive_days({"days": p.get("days", 3)}, "days", 60)
    due = ctx.calendar.add_working_days(ctx.now, days)
    new = replace(state, supervised=True, supervision_due=due.at)
    return Transition(
        new,
        [
            WorkflowEvent(
                "ticket.supervised",
                {"reason": reason, "due": due.at, "department": state.department},
            )
        ],
    )


def _remind(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    note = _text(p, "note", "催办说明", required=False) or "请抓紧办理"
    new = replace(state, remind_count=state.remind_count + 1)
    return Transition(
        new, [WorkflowEvent("ticket.reminded", {"note": note, "department": state.department})]
    )


def _rectify(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    if not state.rectification_open:
        raise IllegalTransition("该工单没有待整改的差评", allowed=[])
    record = {
        key: _text(p, key, label)
        for key, label in (
            ("verification", "核实情况"),
            ("rectification", "整改措施"),
            ("feedback", "向群众反馈情况"),
        )
    }
    on_time = state.rectification_due is None or ctx.now <= state.rectification_due
    new = replace(state, rectification_open=False)
    return Transition(new, [WorkflowEvent("ticket.rectified", {**record, "on_time": on_time})])


def _supplement_items(params: Mapping[str, Any]) -> list[str]:
    raw = params.get("items")
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) for item in raw):
        raise InvalidInput("补正内容必须是文本列表，每项一条", field="items")
    items = list(dict.fromkeys(item.strip() for item in raw if item.strip()))
    if not items:
        raise InvalidInput("请逐项列出需要群众补正的全部内容", field="items")
    if len(items) > MAX_SUPPLEMENT_ITEMS:
        raise InvalidInput(f"补正内容不能超过 {MAX_SUPPLEMENT_ITEMS} 项", field="items")
    if any(len(item) > MAX_SUPPLEMENT_ITEM for item in items):
        raise InvalidInput(f"每项补正内容不能超过 {MAX_SUPPLEMENT_ITEM} 字", field="items")
    return items


def _request_supplement(
    state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context
) -> Transition:
    items = _supplement_items(p)
    days = _positive_days(
        {"days": p.get("days", ctx.policy.supplement_working_days)},
        "days",
        ctx.policy.max_supplement_working_days,
    )
    note = _text(p, "note", "补正说明", required=False)
    tolerated = p.get("tolerated", False)
    if not isinstance(tolerated, bool):
        raise InvalidInput("tolerated 必须是 true（容缺受理）或 false（补正）", field="tolerated")
    # Art. 20: only on the applicant's written commitment, which is kept as evidence.
    commitment = _text(p, "commitment", "申请人的书面承诺", required=tolerated)
    if state.supplement_since is not None:
        raise IllegalTransition("正在等待群众补正材料", allowed=["supplement"])
    if state.supplement_asked:
        # Art. 18: everything missing is asked for at once, not piece by piece.
        raise IllegalTransition("补正须一次性告知，本次派单已告知过补正内容", allowed=["reply"])
    if state.reply_due is not None and ctx.now >= state.reply_due:
        raise IllegalTransition("办理期限已过，不能再要求补正", allowed=["reply"])
    due = ctx.calendar.add_working_days(ctx.now, days)
    new = replace(
        state,
        supplement_due=due.at,
        supplement_since=ctx.now,
        supplement_asked=True,
        supplement_tolerated=tolerated,
    )
    event = WorkflowEvent(
        "ticket.supplement_requested",
        {
            "department": state.department,
            "items": items,
            "days": days,
            "due": due.at,
            "note": note,
            "tolerated": tolerated,
            "commitment": commitment,
        },
    )
    return Transition(new, [event])


def _supplement(state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context) -> Transition:
    if not _waiting_for_supplement(state):
        raise IllegalTransition("该工单没有待补正的内容", allowed=[])
    content = _text(p, "content", "补正内容")
    waited = _end_wait(state, ctx, "supplied")
    event = WorkflowEvent("ticket.supplemented", {"content": content})
    return Transition(waited.state, [*waited.events, event])


def _supplement_lapsed(
    state: TicketState, actor: Actor, p: Mapping[str, Any], ctx: Context
) -> Transition:
    if state.supplement_due is None or ctx.now <= state.supplement_due:
        raise IllegalTransition("补正期限未到", allowed=[])
    ended = _end_wait(state, ctx, "lapsed")
    if not state.supplement_tolerated:
        # The department goes on with what it has; its clock runs again from the citizen's deadline.
        return ended
    # Art. 20: materials accepted as missing and not supplied in time: the application is
    # deemed withdrawn.
    reason = "逾期未补齐容缺受理的材料，视为撤回申请"
    new = replace(ended.state, status=Status.WITHDRAWN, closed_at=ctx.now, closed_how="withdrawn")
    return Transition(new, [*ended.events, WorkflowEvent("ticket.withdrawn", {"reason": reason})])


def _waiting_for_supplement(state: TicketState) -> bool:
    return state.supplement_since is not None


WITH_DEPARTMENT = frozenset({Status.DISPATCHED, Status.ACCEPTED})

ACTIONS: dict[str, ActionSpec] = {
    "dispatch": ActionSpec("派单", frozenset({Status.REGISTERED}), DISPATCH_DESK, _dispatch),
    "close-direct": ActionSpec("直接办结", frozenset({Status.REGISTERED}), CENTRE, _close_direct),
    "accept": ActionSpec("签收", frozenset({Status.DISPATCHED}), LEAD_DEPARTMENT, _accept),
    "return": ActionSpec(
        "退单", frozenset({Status.DISPATCHED, Status.ACCEPTED}), LEAD_DEPARTMENT, _return
    ),
    "rule-return": ActionSpec(
        "退单裁定", frozenset({Status.RETURNED}), DISPATCH_DESK, _rule_return
    ),
    "request-extension": ActionSpec(
        "申请延期",
        frozenset({Status.ACCEPTED}),
        LEAD_DEPARTMENT,
        _request_extension,
        when=lambda s: s.extension_pending_days is None,
    ),
    "decide-extension": ActionSpec(
        "延期审批",
        frozenset({Status.ACCEPTED}),
        DISPATCH_DESK | SUPERVISION,
        _decide_extension,
        when=lambda s: s.extension_pending_days is not None,
    ),
    "request-supplement": ActionSpec(
        "补正告知",
        frozenset({Status.ACCEPTED}),
        LEAD_DEPARTMENT,
        _request_supplement,
        when=lambda s: not s.supplement_asked,
    ),
    "supplement": ActionSpec(
        "补正",
        frozenset({Status.ACCEPTED}),
        CENTRE | LEAD_DEPARTMENT | {Role.CITIZEN},
        _supplement,
        when=_waiting_for_supplement,
    ),
    "supplement-lapsed": ActionSpec(
        "逾期未补正",
        frozenset({Status.ACCEPTED}),
        frozenset({Role.SYSTEM}),
        _supplement_lapsed,
        when=_waiting_for_supplement,
    ),
    "reply": ActionSpec("办理回复", frozenset({Status.ACCEPTED}), LEAD_DEPARTMENT, _reply),
    "assist": ActionSpec(
        "协办意见",
        frozenset({Status.ACCEPTED, Status.DISPATCHED}),
        frozenset({Role.DEPARTMENT}),
        _assist,
        lead_department_only=False,
    ),
    "revisit": ActionSpec(
        "回访",
        frozenset({Status.REPLIED}),
        CENTRE | frozenset({Role.CITIZEN, Role.SYSTEM}),  # SYSTEM: the automated revisit call
        _revisit,
    ),
    "rate": ActionSpec(
        "评价",
        frozenset({Status.CLOSED}),
        CENTRE | {Role.CITIZEN},
        _rate_closed,
        when=lambda s: s.rating is None,
    ),
    "close": ActionSpec("办结", frozenset({Status.REVISITED}), CENTRE, _close),
    "reopen": ActionSpec(
        "重办",
        frozenset({Status.REVISITED, Status.CLOSED}),
        CENTRE,
        _reopen,
        when=lambda s: s.rating in BAD_RATINGS or s.solved is False,
    ),
    "merge": ActionSpec(
        "合并", OPEN_STATUSES - {Status.REVISITED, Status.REPLIED}, DISPATCH_DESK, _merge
    ),
    "withdraw": ActionSpec("撤件", OPEN_STATUSES, CENTRE | {Role.CITIZEN}, _withdraw),
    "supervise": ActionSpec("督办", OPEN_STATUSES, SUPERVISION, _supervise),
    "remind": ActionSpec(
        "催办", WITH_DEPARTMENT, DISPATCH_DESK | SUPERVISION | {Role.SYSTEM}, _remind
    ),
    "rectify": ActionSpec(
        "差评整改",
        frozenset(Status),
        LEAD_DEPARTMENT | DISPATCH_DESK,
        _rectify,
        when=lambda s: s.rectification_open,
    ),
}


def actions_from(status: Status) -> list[str]:
    """Every action the workflow allows from a status, whoever asks."""
    return [name for name, spec in ACTIONS.items() if status in spec.sources]


def _may(spec: ActionSpec, state: TicketState, actor: Actor) -> bool:
    if actor.role not in spec.roles:
        return False
    if actor.role == Role.DEPARTMENT and spec.lead_department_only:
        return actor.department == state.department
    return True


def available_actions(state: TicketState, actor: Actor) -> list[str]:
    """The actions this actor may take now: what the pages offer as buttons."""
    return [
        name
        for name, spec in ACTIONS.items()
        if state.status in spec.sources
        and (spec.when is None or spec.when(state))
        and _may(spec, state, actor)
    ]


def apply(
    state: TicketState,
    action: str,
    actor: Actor,
    params: Mapping[str, Any],
    ctx: Context,
) -> Transition:
    spec = ACTIONS.get(action)
    if spec is None:
        raise InvalidInput(f"未知的操作：{action}", allowed=sorted(ACTIONS))
    if state.status not in spec.sources:
        raise IllegalTransition(
            f"工单当前状态为「{STATUS_LABELS[state.status]}」，不能{spec.label}",
            status=state.status.value,
            allowed=actions_from(state.status),
        )
    if not _may(spec, state, actor):
        raise Forbidden(f"当前角色无权{spec.label}", action=action)
    return spec.handler(state, actor, params, ctx)
