"""智能回访 figures of a period (definitions: docs/kpis.md): the rows are read from the
database by ``load_rows``; ``revisit_figures`` computes every figure from them, pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from hotline.revisits.models import RevisitAttempt, RevisitPlan
from hotline.revisits.policy import CHANNEL_LABELS, OUTCOME_LABELS
from hotline.stats.service import period_bounds
from hotline.tickets.models import Rating, Ticket

CHANNELS = ("call", "sms", "operator")
AUTOMATED_CHANNELS = ("call", "sms")
IN_PROGRESS = "in_progress"  # an attempt without an outcome yet
# Why a plan went to the operators, recognised in the sentences the policy writes on the plan
# (hotline.revisits.policy; tests/revisits/test_figures.py checks each against the policy's
# own output). A plan may carry several; one matching none is counted as ``other``.
HANDOVER_REASONS: tuple[tuple[str, str, str], ...] = (
    ("opted_out", "市民要求不接受机器回访", "市民要求不接受机器回访"),
    ("rectification", "实名差评整改中", "实名差评整改中"),
    ("about_centre", "投诉热线中心本身", "投诉热线中心本身"),
    ("anonymous", "非实名（匿名）工单", "非实名（匿名）工单"),
    ("no_number", "没有可以外呼的电话号码", "没有可以外呼的电话号码"),
    ("link_expired", "短信链接过期未评价", "短信链接过期未评价"),
    ("pressed_zero", "按 0 要求人工回访", "市民按 0 转人工"),
    ("attempts_exhausted", "均未完成", "自动回访次数用尽"),
    ("no_slot", "回访期限前", "回访期限前无外呼时段"),
)
OTHER_REASON = ("other", "其他原因")


class Deadline(Protocol):
    @property
    def at(self) -> datetime: ...


class WorkingDays(Protocol):
    def add_working_days(self, start: datetime, days: int) -> Deadline: ...


@dataclass(frozen=True)
class PlanRow:
    """A plan made by a reply in the period (a cancelled one was superseded or is moot)."""

    plan_id: int
    ticket_id: int
    channel: str  # chosen by policy
    handled_by: str
    status: str
    replied_at: datetime  # the plan's creation: the reply that made it
    reasons: tuple[str, ...]
    opted_out: bool  # the ticket's no_automated_revisit
    rated_at: datetime | None  # the ticket's first rating at or after the reply


@dataclass(frozen=True)
class AttemptRow:
    plan_id: int
    channel: str
    outcome: str | None  # None while the attempt runs


def load_rows(session: Session, start: date, end: date) -> tuple[list[PlanRow], list[AttemptRow]]:
    """The plans made by replies from ``start`` to ``end`` (centre days, inclusive) and
    every attempt on them."""
    lo, hi = period_bounds(start, end)
    in_period = (
        RevisitPlan.created_at >= lo,
        RevisitPlan.created_at < hi,
        RevisitPlan.status != "cancelled",
    )
    # One grouped join rather than a subquery per plan: ratings has no index on ticket_id.
    first_ratings = (
        select(RevisitPlan.id.label("plan_id"), func.min(Rating.rated_at).label("rated_at"))
        .join(
            Rating,
            and_(
                Rating.ticket_id == RevisitPlan.ticket_id,
                Rating.rated_at >= RevisitPlan.created_at,
            ),
        )
        .where(*in_period)
        .group_by(RevisitPlan.id)
        .subquery()
    )
    query = (
        select(RevisitPlan, Ticket.no_automated_revisit, first_ratings.c.rated_at)
        .join(Ticket, Ticket.id == RevisitPlan.ticket_id)
        .outerjoin(first_ratings, first_ratings.c.plan_id == RevisitPlan.id)
        .where(*in_period)
    )
    plans = [
        PlanRow(
            plan.id,
            plan.ticket_id,
            plan.channel,
            plan.handled_by,
            plan.status,
            plan.created_at,
            tuple(note["text"] for note in plan.reasons),
            opted_out,
            rated_at,
        )
        for plan, opted_out, rated_at in session.execute(query)
    ]
    attempt_query = (
        select(RevisitAttempt.plan_id, RevisitAttempt.channel, RevisitAttempt.outcome)
        .join(RevisitPlan, RevisitPlan.id == RevisitAttempt.plan_id)
        .where(*in_period)
    )
    attempts = [AttemptRow(*row) for row in session.execute(attempt_query)]
    return plans, attempts


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def handover_reasons(plan: PlanRow) -> list[str]:
    """The codes of why the plan went to the operators; empty when it never did."""
    codes = [
        code
        for code, marker, _label in HANDOVER_REASONS
        if any(marker in reason for reason in plan.reasons)
    ]
    if not codes and "operator" in (plan.handled_by, plan.status):
        codes.append(OTHER_REASON[0])
    return codes


def completed_by(plan: PlanRow, rated_channels: set[str]) -> str | None:
    """Who completed a done plan: the automated channel whose attempt took the rating, or
    the operators (a person's revisit, or the citizen's own rating, ends the plan)."""
    if plan.status != "done":
        return None
    automated = [channel for channel in AUTOMATED_CHANNELS if channel in rated_channels]
    return automated[0] if automated else "operator"


def revisit_figures(
    plans: Sequence[PlanRow],
    attempts: Iterable[AttemptRow],
    calendar: WorkingDays,
    now: datetime,
    within_working_days: int,
) -> dict[str, Any]:
    """Every figure of docs/kpis.md's 智能回访 section.

    A plan counts towards the completion rate once it is settled: completed, or its
    ``within_working_days`` working days after the reply are over (as the SLA figures count
    only clocks that ran out)."""
    attempts = list(attempts)
    rated_channels: dict[int, set[str]] = {}
    for attempt in attempts:
        if attempt.outcome == "rated":
            rated_channels.setdefault(attempt.plan_id, set()).add(attempt.channel)

    # Overall, and by the channel policy chose.
    totals = {channel: Counter[str]() for channel in ("all", *CHANNELS)}
    finished_by: Counter[str] = Counter()
    handed: Counter[str] = Counter()
    handed_plans = 0
    for plan in plans:
        who = completed_by(plan, rated_channels.get(plan.plan_id, set()))
        due = calendar.add_working_days(plan.replied_at, within_working_days).at
        # The rating's moment is the completion (a plan ended without one counts as now).
        completed_in_time = who is not None and (plan.rated_at or now) <= due
        settled = who is not None or now > due
        for bucket in (totals["all"], totals[plan.channel]):
            bucket["plans"] += 1
            bucket["settled"] += settled
            bucket["completed"] += who is not None
            bucket["completed_in_time"] += completed_in_time
        if who:
            finished_by[who] += 1
        codes = handover_reasons(plan)
        handed_plans += bool(codes)
        handed.update(codes)

    completed = sum(finished_by.values())
    # A throttled text gave its attempt back: it was not spent, so it is no attempt here.
    attempts_by_channel = Counter(
        attempt.channel for attempt in attempts if attempt.outcome != "throttled"
    )
    outcomes = Counter((attempt.channel, attempt.outcome or IN_PROGRESS) for attempt in attempts)
    outcome_labels = {**OUTCOME_LABELS, IN_PROGRESS: "进行中"}
    labels = {code: label for code, _marker, label in HANDOVER_REASONS} | dict([OTHER_REASON])
    return {
        "within_working_days": within_working_days,
        **_completion(totals["all"]),
        "by_channel": [
            {"channel": channel, "label": CHANNEL_LABELS[channel], **_completion(totals[channel])}
            for channel in CHANNELS
        ],
        "completed_by": [
            {
                "channel": channel,
                "label": CHANNEL_LABELS[channel],
                "completed": finished_by[channel],
            }
            for channel in CHANNELS
        ],
        "automated_share": _ratio(
            sum(finished_by[channel] for channel in AUTOMATED_CHANNELS), completed
        ),
        "attempts": [
            {
                "channel": channel,
                "label": CHANNEL_LABELS[channel],
                "attempts": attempts_by_channel[channel],
                "completed": finished_by[channel],
                "per_completed": _ratio(attempts_by_channel[channel], finished_by[channel]),
            }
            for channel in AUTOMATED_CHANNELS
        ],
        "opt_outs": len({plan.ticket_id for plan in plans if plan.opted_out}),
        "handed_to_operators": handed_plans,
        "handover_reasons": [
            {"reason": code, "label": labels[code], "plans": count}
            for code, count in sorted(handed.items(), key=lambda item: (-item[1], item[0]))
        ],
        "outcomes": [
            {
                "channel": channel,
                "outcome": outcome,
                "label": outcome_labels.get(outcome, outcome),
                "attempts": count,
            }
            for (channel, outcome), count in sorted(outcomes.items())
        ],
    }


def _completion(counts: Counter[str]) -> dict[str, Any]:
    return {
        "plans": counts["plans"],
        "settled": counts["settled"],
        "completed": counts["completed"],
        "completed_in_time": counts["completed_in_time"],
        "completion_rate": _ratio(counts["completed_in_time"], counts["settled"]),
    }
