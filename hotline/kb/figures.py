"""Figures: knowledge-base use and gaps, and 重复来电 (repeat calls). Definitions in docs/kpis.md."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from hotline.kb.entries import PUBLISHED
from hotline.kb.models import KbEntry, RepeatCall
from hotline.services import jsonable
from hotline.tickets.models import Ticket

CONSULTATION = "咨询"
MAX_GAPS_LISTED = 100


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)


def kb_figures(session: Session, start: date, end: date) -> dict[str, Any]:
    low, high = _bounds(start, end)
    closed_in_period = and_(Ticket.closed_at >= low, Ticket.closed_at < high)
    used = session.execute(
        select(KbEntry.id, KbEntry.title, KbEntry.department_code, func.count(Ticket.id))
        .join(Ticket, Ticket.kb_entry_id == KbEntry.id)
        .where(Ticket.closed_how == "direct", closed_in_period)
        .group_by(KbEntry.id, KbEntry.title, KbEntry.department_code)
        .order_by(func.count(Ticket.id).desc(), KbEntry.id)
    ).all()
    ever_used = select(Ticket.kb_entry_id).where(Ticket.kb_entry_id.is_not(None))
    never_used = session.execute(
        select(KbEntry.id, KbEntry.title, KbEntry.department_code)
        .where(KbEntry.status == PUBLISHED, KbEntry.id.not_in(ever_used))
        .order_by(KbEntry.department_code, KbEntry.id)
    ).all()
    consultations = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.type == CONSULTATION, Ticket.created_at >= low, Ticket.created_at < high)
            .order_by(Ticket.id)
        )
    )
    answered = [t for t in consultations if t.closed_how == "direct" and t.kb_entry_id]
    without_entry = [t for t in consultations if t.closed_how == "direct" and not t.kb_entry_id]
    dispatched = [t for t in consultations if t.department_code is not None]
    gaps = without_entry + dispatched
    return jsonable(
        {
            "start": start,
            "end": end,
            "answers_by_entry": [
                {"id": i, "title": title, "department": dep, "answers": n}
                for i, title, dep, n in used
            ],
            "never_used": [
                {"id": i, "title": title, "department": dep} for i, title, dep in never_used
            ],
            "consultations": {
                "received": len(consultations),
                "answered_from_kb": len(answered),
                "closed_direct_without_entry": len(without_entry),
                "dispatched": len(dispatched),
                "kb_answer_rate": round(len(answered) / len(consultations), 4)
                if consultations
                else None,
            },
            "gaps": [
                {
                    "ticket_id": t.id,
                    "number": t.number,
                    "content": t.content,
                    "matter_category": t.matter_category,
                    "department": t.department_code,
                    "why": "dispatched" if t.department_code else "closed_direct_without_entry",
                }
                for t in sorted(gaps, key=lambda t: t.id)[:MAX_GAPS_LISTED]
            ],
        }
    )


def repeat_call_figures(session: Session, start: date, end: date) -> dict[str, Any]:
    low, high = _bounds(start, end)
    in_period = and_(RepeatCall.found_at >= low, RepeatCall.found_at < high)
    repeats = session.scalar(select(func.count(RepeatCall.id)).where(in_period)) or 0
    callers = (
        session.scalar(select(func.count(func.distinct(RepeatCall.citizen_phone))).where(in_period))
        or 0
    )
    received = (
        session.scalar(
            select(func.count(Ticket.id)).where(Ticket.created_at >= low, Ticket.created_at < high)
        )
        or 0
    )
    department = func.coalesce(Ticket.department_code, Ticket.suggested_department)
    by_department = session.execute(
        select(department, func.count(RepeatCall.id))
        .join(Ticket, Ticket.id == RepeatCall.ticket_id)
        .where(in_period)
        .group_by(department)
        .order_by(func.count(RepeatCall.id).desc())
    ).all()
    return jsonable(
        {
            "start": start,
            "end": end,
            "received": received,
            "repeat_calls": repeats,
            "repeat_callers": callers,
            "repeat_call_rate": round(repeats / received, 4) if received else None,
            "by_department": [{"department": d, "repeat_calls": n} for d, n in by_department],
        }
    )
