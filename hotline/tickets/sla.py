"""The periodic deadline scan: yellow (due soon) and red (overdue) flags, and 催办 reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.tickets import service
from hotline.tickets.models import Ticket
from hotline.workflow import Actor, Context, Role, SlaPolicy, Status, WorkflowEvent

SYSTEM = Actor(username="system", role=Role.SYSTEM)
SEVERITY = {"green": 0, "yellow": 1, "red": 2}


def flag(ticket: Ticket, now: datetime, due_soon_share: float = SlaPolicy.due_soon_share) -> str:
    """The colour of the clock that is running: signing while dispatched, replying after, none
    while the citizen is asked for 补正 (that clock stands still; not so for 容缺受理)."""
    if ticket.reply_clock_paused:
        return "green"
    if ticket.status == Status.DISPATCHED.value:
        due = ticket.sign_due
    elif ticket.status == Status.ACCEPTED.value:
        due = ticket.reply_due
    else:
        return "green"
    if due is None or ticket.dispatched_at is None:
        return "green"
    if now > due:
        return "red"
    window = (due - ticket.dispatched_at).total_seconds()
    elapsed = (now - ticket.dispatched_at).total_seconds()
    return "yellow" if window > 0 and elapsed >= due_soon_share * window else "green"


@dataclass(frozen=True)
class ScanResult:
    ticket_id: int
    event: WorkflowEvent


def scan_deadlines(session: Session, ctx: Context) -> list[ScanResult]:
    """Flag tickets whose clock turned yellow or red since the last scan; remind on red; end the
    waits for 补正 whose deadline passed, so that the department's clock runs again."""
    results = _end_lapsed_supplements(session, ctx)
    running = select(Ticket).where(
        Ticket.status.in_([Status.DISPATCHED.value, Status.ACCEPTED.value]),
        Ticket.sla_flag != "red",  # already at the last flag: nothing left to report
    )
    for ticket in session.scalars(running):
        colour = flag(ticket, ctx.now, ctx.policy.due_soon_share)
        if SEVERITY[colour] <= SEVERITY[ticket.sla_flag]:
            continue
        ticket.sla_flag = colour
        kind = "ticket.overdue" if colour == "red" else "ticket.due_soon"
        data = {
            "number": ticket.number,
            "department": ticket.department_code,
            "status": ticket.status,
            "due": ticket.sign_due
            if ticket.status == Status.DISPATCHED.value
            else ticket.reply_due,
        }
        results.append(ScanResult(ticket.id, WorkflowEvent(kind, data)))
        if colour == "red":
            _, events = service.act(
                session, SYSTEM, ticket.id, "remind", {"note": "已超期，系统自动催办"}, ctx
            )
            results.extend(ScanResult(ticket.id, event) for event in events)
    session.flush()
    return results


def _end_lapsed_supplements(session: Session, ctx: Context) -> list[ScanResult]:
    lapsed = select(Ticket.id).where(
        Ticket.status == Status.ACCEPTED.value, Ticket.supplement_due < ctx.now
    )
    results: list[ScanResult] = []
    for ticket_id in session.scalars(lapsed).all():
        _, events = service.act(session, SYSTEM, ticket_id, "supplement-lapsed", {}, ctx)
        results.extend(ScanResult(ticket_id, event) for event in events)
    return results
