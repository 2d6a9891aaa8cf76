"""Revisit plans in the database: made on the reply, claimed before each call, moved on by
each outcome. The decisions are hotline.revisits.policy's; this module only reads and writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.audit.service import record_read
from hotline.calendar import WorkCalendar
from hotline.config import RevisitSettings, SmsSettings
from hotline.phones import mask_phone
from hotline.revisits.models import RevisitAttempt, RevisitPlan
from hotline.revisits.policy import (
    CHANNEL_LABELS,
    OPEN_STATUSES,
    OUTCOME_LABELS,
    REVISIT_WORKING_DAYS,
    STATUS_LABELS,
    CallingHours,
    Next,
    RevisitPolicy,
    TicketFacts,
    after_outcome,
    choose_channel,
)
from hotline.services import jsonable
from hotline.tickets.models import Ticket
from hotline.workflow import Actor, Role, Status

# Who the automated revisit is in the ticket's history and the audit log.
REVISIT_ACTOR = Actor("智能回访", Role.SYSTEM)
# A complaint about the 12345 centre itself is not a department's matter and has no field of
# its own: it is recognised by this matter category (事项类别), which the operator sets.
CENTRE_MATTER = "热线服务"
# An attempt without an outcome after this long was lost with its worker: recorded unknown.
ATTEMPT_LEASE = timedelta(minutes=15)


def policy_of(settings: RevisitSettings, sms: SmsSettings | None = None) -> RevisitPolicy:
    sending = sms and sms.sending_hours
    return RevisitPolicy(
        calling_hours=CallingHours.parse(settings.calling_hours, weekends=settings.weekends),
        max_attempts=settings.max_attempts,
        retry_spacing=timedelta(minutes=settings.retry_minutes),
        automated_channel="sms" if settings.channel == "sms" else "call",
        sending_hours=CallingHours.parse(sending, weekends=settings.weekends) if sending else None,
    )


def holidays_near(calendar: WorkCalendar, now: datetime) -> frozenset[date]:
    """The statutory days off of this year and the next (a plan never looks further)."""
    return frozenset(o.day for year in (now.year, now.year + 1) for o in calendar.holidays(year))


def facts_of(ticket: Ticket) -> TicketFacts:
    return TicketFacts(
        real_name=ticket.real_name,
        phone=ticket.citizen_phone,
        no_automated_revisit=ticket.no_automated_revisit,
        rectification_open=ticket.rectification_open,
        about_centre=ticket.type == "投诉" and ticket.matter_category == CENTRE_MATTER,
    )


def _note(plan: RevisitPlan, now: datetime, text: str) -> None:
    # A new list, so the JSON column is seen as changed.
    plan.reasons = [*plan.reasons, {"at": now.isoformat(), "text": text}]
    plan.updated_at = now


def current_plan(session: Session, ticket_id: int) -> RevisitPlan | None:
    return session.scalar(
        select(RevisitPlan)
        .where(RevisitPlan.ticket_id == ticket_id)
        .order_by(RevisitPlan.id.desc())
        .limit(1)
    )


def make_plan(
    session: Session, ticket: Ticket, now: datetime, calendar: WorkCalendar, policy: RevisitPolicy
) -> RevisitPlan:
    """The plan of a ticket just replied to; an earlier plan still open is cancelled."""
    earlier = current_plan(session, ticket.id)
    if earlier is not None and earlier.status in (*OPEN_STATUSES, "operator"):
        earlier.status, earlier.next_at = "cancelled", None
        _note(earlier, now, "工单再次答复，按新的回访计划进行")
    choice = choose_channel(facts_of(ticket), policy)
    latest = calendar.add_working_days(now, REVISIT_WORKING_DAYS).at
    plan = RevisitPlan(
        ticket_id=ticket.id,
        channel=choice.channel,
        handled_by=choice.handled_by,
        earliest=now,
        latest=latest,
        attempts_left=0,
        reasons=[],
        created_at=now,
        updated_at=now,
    )
    for reason in choice.reasons:
        _note(plan, now, reason)
    if choice.handled_by in ("call", "sms"):
        hours = policy.hours_for(choice.handled_by)
        verb = "发送短信" if choice.handled_by == "sms" else "外呼"
        first = hours.next_open(now, calendar, holidays_near(calendar, now))
        if first > latest:
            plan.status = "operator"
            _note(plan, now, f"回访期限前没有{verb}时段，转人工回访")
        else:
            plan.status, plan.next_at = "scheduled", first
            plan.earliest, plan.attempts_left = first, policy.max_attempts
            _note(
                plan,
                now,
                f"{verb}时段：{hours.describe()}；最多 {policy.max_attempts} 次，"
                f"间隔至少 {_minutes(policy.retry_spacing)}；首次{verb} {first:%m-%d %H:%M}",
            )
    else:  # the choice's reasons say why the operators revisit it
        plan.status = "operator"
    session.add(plan)
    return plan


def _minutes(spacing: timedelta) -> str:
    minutes = int(spacing.total_seconds() // 60)
    return f"{minutes // 60} 小时" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} 分钟"


def close_on_action(session: Session, ticket: Ticket, actor: Actor, now: datetime) -> None:
    """The ticket left 待回访 by a person's action (an operator's revisit): its plan ends."""
    plan = current_plan(session, ticket.id)
    if plan is None or plan.status not in (*OPEN_STATUSES, "operator"):
        return
    # A call in progress keeps its attempt; its outcome is recorded but changes nothing.
    plan.status, plan.next_at = "done", None
    _note(plan, now, f"{actor.username} 已人工回访，计划结束")


# ---------------------------------------------------------------- claiming and outcomes


@dataclass(frozen=True)
class Claim:
    """An attempt this worker owns: no other worker calls this citizen for it."""

    attempt_id: int
    ticket_id: int
    ticket_no: str
    phone: str
    number: int

    @property
    def call_id(self) -> str:
        """The attempt's name on the switchboard (RevisitRequest.attempt_id), unique."""
        return f"t{self.ticket_id}-a{self.attempt_id}"


def claim_due(
    session: Session,
    now: datetime,
    worker: str,
    policy: RevisitPolicy,
    calendar: WorkCalendar,
    *,
    limit: int = 5,
    channel: Literal["call", "sms"] = "call",
) -> list[Claim]:
    """Claims the plans of ``channel`` due now, inside its hours only, in this transaction.

    One conditional UPDATE takes them (status scheduled → calling): on PostgreSQL the rows
    are picked ``FOR UPDATE SKIP LOCKED``, so concurrent workers take different plans; on
    SQLite the UPDATE takes the database's write lock first. Either way a plan another
    worker took in the meantime no longer matches ``status = 'scheduled'``, so it is never
    claimed twice. The caller commits before dialling."""
    if not policy.hours_for(channel).is_open(now, calendar, holidays_near(calendar, now)):
        return []
    due = (
        select(RevisitPlan.id)
        .where(
            RevisitPlan.status == "scheduled",
            RevisitPlan.handled_by == channel,
            RevisitPlan.next_at <= now,
        )
        .order_by(RevisitPlan.next_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = session.scalars(
        update(RevisitPlan)
        .where(RevisitPlan.id.in_(due.scalar_subquery()), RevisitPlan.status == "scheduled")
        .values(
            status="calling",
            attempts_left=RevisitPlan.attempts_left - 1,
            next_at=None,
            updated_at=now,
        )
        .returning(RevisitPlan.id)
        .execution_options(synchronize_session=False)
    ).all()
    claims: list[Claim] = []
    for plan_id in claimed:
        plan = session.get_one(RevisitPlan, plan_id)
        ticket = session.get_one(Ticket, plan.ticket_id)
        if ticket.status != Status.REPLIED.value:
            plan.status = "cancelled"
            _note(plan, now, "工单已不在待回访状态，不再自动回访")
            continue
        made = select(func.count()).where(RevisitAttempt.plan_id == plan.id)
        number = 1 + (session.scalar(made) or 0)
        attempt = RevisitAttempt(
            plan_id=plan.id,
            ticket_id=ticket.id,
            number=number,
            channel=channel,
            claimed_by=worker,
            claimed_at=now,
            detail="",
        )
        session.add(attempt)
        session.flush()
        claims.append(Claim(attempt.id, ticket.id, ticket.number, ticket.citizen_phone, number))
    if claims:
        # The system dials (or texts) the full number: a read of personal data like any other.
        ids = [claim.ticket_id for claim in claims]
        record_read(session, REVISIT_ACTOR, "ticket", ids, now, fields=["phone"])
    return claims


def lost_attempts(session: Session, now: datetime) -> list[int]:
    """Attempts claimed longer ago than the lease and never settled (their worker stopped)."""
    return list(
        session.scalars(
            select(RevisitAttempt.id).where(
                RevisitAttempt.outcome.is_(None), RevisitAttempt.claimed_at < now - ATTEMPT_LEASE
            )
        )
    )


@dataclass(frozen=True)
class Settled:
    """An outcome recorded: the ticket to revisit with these params when it was rated."""

    ticket_id: int
    revisit_params: dict[str, Any] | None


def settle(
    session: Session,
    attempt_id: int,
    kind: str,
    now: datetime,
    policy: RevisitPolicy,
    calendar: WorkCalendar,
    *,
    satisfaction: int | None = None,
    solved: bool | None = None,
    rating: str | None = None,
    detail: str = "",
    until: datetime | None = None,
) -> Settled | None:
    """Records how an attempt ended and moves its plan on; None when the attempt was already
    settled (by another worker's recovery, say): an outcome counts once. A text's attempt
    ends twice: ``sent`` (``until`` its link expires), then ``rated`` or ``expired``; the
    conditional UPDATE lets each step happen once."""
    recorded = session.execute(
        update(RevisitAttempt)
        .where(
            RevisitAttempt.id == attempt_id,
            RevisitAttempt.outcome.is_(None) | (RevisitAttempt.outcome == "sent"),
        )
        .values(outcome=kind, satisfaction=satisfaction, solved=solved, ended_at=now, detail=detail)
        .execution_options(synchronize_session=False)
    )
    if recorded.rowcount != 1:  # type: ignore[attr-defined]
        return None
    attempt = session.get_one(RevisitAttempt, attempt_id)
    session.refresh(attempt)
    plan = session.get_one(RevisitPlan, attempt.plan_id)
    ticket = session.get_one(Ticket, attempt.ticket_id)
    label = OUTCOME_LABELS.get(kind, kind)
    channel: Literal["call", "sms"] = "sms" if attempt.channel == "sms" else "call"
    what = f"第 {attempt.number} 次{'短信' if channel == 'sms' else '外呼'}"
    if plan.status not in ("calling", "sent"):  # a person revisited the ticket meanwhile
        _note(plan, now, f"{what}结束（{label}），计划已结束，不再处理")
        return Settled(ticket.id, None)
    if ticket.status != Status.REPLIED.value:
        plan.status, plan.next_at = "cancelled", None
        _note(plan, now, f"{what}结束（{label}），工单已不在待回访状态")
        return Settled(ticket.id, None)
    if kind == "throttled":  # nothing was sent: the attempt is given back
        plan.attempts_left += 1
    step: Next = after_outcome(
        kind,
        plan.attempts_left,
        now,
        plan.latest,
        policy,
        calendar,
        holidays_near(calendar, now),
        channel=channel,
        until=until,
    )
    plan.status, plan.next_at = step.status, step.next_at
    _note(plan, now, f"{what}：{step.reason}")
    if kind != "rated" or rating is None or solved is None:
        return Settled(ticket.id, None)
    how = (
        "短信链接第 {n} 次，市民在链接页面评价"
        if channel == "sms"
        else "自动外呼第 {n} 次，市民按键评价"
    )
    params = {
        "rating": rating,
        "solved": solved,
        "channel": channel,
        "note": "智能回访" + how.format(n=attempt.number),
    }
    return Settled(ticket.id, params)


# ---------------------------------------------------------------- reading


def plan_dict(session: Session, ticket_id: int) -> dict[str, Any] | None:
    """The ticket's plan as the detail shows it (回访计划), with every attempt."""
    plan = current_plan(session, ticket_id)
    if plan is None:
        return None
    attempts = session.scalars(
        select(RevisitAttempt).where(RevisitAttempt.plan_id == plan.id).order_by(RevisitAttempt.id)
    ).all()
    return jsonable(
        {
            "id": plan.id,
            "channel": plan.channel,
            "channel_label": CHANNEL_LABELS[plan.channel],
            "handled_by": plan.handled_by,
            "status": plan.status,
            "status_label": STATUS_LABELS[plan.status],
            "earliest": plan.earliest,
            "latest": plan.latest,
            "next_at": plan.next_at,
            "attempts_left": plan.attempts_left,
            "reasons": plan.reasons,
            "attempts": [
                {
                    "number": a.number,
                    "channel": a.channel,
                    "claimed_at": a.claimed_at,
                    "ended_at": a.ended_at,
                    "outcome": a.outcome,
                    "outcome_label": OUTCOME_LABELS.get(a.outcome or "", "外呼中"),
                    "satisfaction": a.satisfaction,
                    "solved": a.solved,
                }
                for a in attempts
            ],
        }
    )


def operator_queue(session: Session) -> list[dict[str, Any]]:
    """Tickets waiting for an operator's revisit (转人工回访), the oldest reply first."""
    rows = session.execute(
        select(RevisitPlan, Ticket)
        .join(Ticket, Ticket.id == RevisitPlan.ticket_id)
        .where(RevisitPlan.status == "operator", Ticket.status == Status.REPLIED.value)
        .order_by(Ticket.replied_at, Ticket.id)
    ).all()
    items = []
    for plan, ticket in rows:
        detail = plan_dict(session, ticket.id) or {}
        items.append(
            jsonable(
                {
                    "ticket_id": ticket.id,
                    "number": ticket.number,
                    "type": ticket.type,
                    "content": ticket.content[:100],
                    "department": ticket.department_code,
                    "real_name": ticket.real_name,
                    # The full number is on the ticket (opening it is audited).
                    "citizen_phone": mask_phone(ticket.citizen_phone),
                    "replied_at": ticket.replied_at,
                    "latest": plan.latest,
                    "channel": plan.channel,
                    "channel_label": CHANNEL_LABELS[plan.channel],
                    "reasons": plan.reasons,
                    "attempts": detail.get("attempts", []),
                }
            )
        )
    return items
