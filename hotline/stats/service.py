"""Supervision figures per department and period, aggregated in SQL (definitions: docs/kpis.md)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from hotline.directory.models import Department, Division
from hotline.errors import InvalidInput
from hotline.tickets.models import Dispatch, Rating, Ticket, TicketAction, TicketReturn
from hotline.tickets.service import overdue
from hotline.workflow.states import SATISFIED_RATINGS

# Weights of the composite ranking score (docs/kpis.md).
WEIGHTS = {
    "sign_on_time_rate": 0.2,
    "close_on_time_rate": 0.3,
    "satisfaction_rate": 0.3,
    "solved_rate": 0.2,
}
IMPROPER_RETURN_PENALTY = 0.02


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def check_period(start: date | None, end: date | None) -> None:
    """A period's start may not fall after its end; either may be left open."""
    if start and end and start > end:
        raise InvalidInput("开始日期不能晚于结束日期", field="start")


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00): both dates are inclusive."""
    return datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)


def department_figures(
    session: Session, start: date, end: date, now: datetime, *, by: str = "department"
) -> list[dict[str, Any]]:
    """One row per department (or per division with ``by="division"``) with every KPI."""
    lo, hi = period_bounds(start, end)
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    key_of_dispatch = Dispatch.department_code if by == "department" else Ticket.division_code

    in_period = and_(Dispatch.dispatched_at >= lo, Dispatch.dispatched_at < hi)
    # A clock is settled when it was met, or when it ran out while the ticket was still in the
    # inbox: a ticket withdrawn, merged or returned in time counts neither way.
    left_inbox = func.coalesce(Dispatch.ended_at, now)
    sign_settled = or_(Dispatch.signed_at.is_not(None), Dispatch.sign_due < left_inbox)
    # A reply clock standing still for the citizen's 补正 is not yet due.
    waiting_for_citizen = and_(Dispatch.ended_at.is_(None), Ticket.reply_clock_paused)
    reply_settled = or_(
        Dispatch.replied_at.is_not(None),
        and_(Dispatch.reply_due < left_inbox, ~waiting_for_citizen),
    )
    dispatch_query = (
        select(
            key_of_dispatch,
            func.count(Dispatch.id),
            _count(sign_settled),
            _count(and_(Dispatch.signed_at.is_not(None), Dispatch.signed_at <= Dispatch.sign_due)),
            _count(and_(reply_settled, Dispatch.outcome.is_distinct_from("returned"))),
            _count(
                and_(Dispatch.replied_at.is_not(None), Dispatch.replied_at <= Dispatch.reply_due)
            ),
            _count(Dispatch.replied_at.is_not(None)),
            func.avg(
                case(
                    (
                        Dispatch.replied_at.is_not(None),
                        _seconds(session, Dispatch.replied_at, Dispatch.dispatched_at),
                    ),
                )
            ),
        )
        .join(Ticket, Ticket.id == Dispatch.ticket_id)
        .where(in_period)
        .group_by(key_of_dispatch)
    )
    for key, total, settled, signed_ok, due, replied_ok, replied, avg_seconds in session.execute(
        dispatch_query
    ):
        row = rows[key]
        row.update(
            dispatched=total,
            sign_settled=settled or 0,
            signed_on_time=signed_ok or 0,
            reply_settled=due or 0,
            replied_on_time=replied_ok or 0,
            replied=replied or 0,
            avg_handling_hours=round(avg_seconds / 3600, 2) if avg_seconds else None,
        )

    rating_key = Rating.department_code if by == "department" else Ticket.division_code
    rating_query = (
        select(
            rating_key,
            func.count(Rating.id),
            _count(Rating.level.in_(SATISFIED_RATINGS)),
            _count(Rating.solved.is_(True)),
        )
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(Rating.rated_at >= lo, Rating.rated_at < hi)
        .group_by(rating_key)
    )
    for key, rated, satisfied, solved in session.execute(rating_query):
        rows[key].update(rated=rated, satisfied=satisfied or 0, solved=solved or 0)

    return_key = TicketReturn.department_code if by == "department" else Ticket.division_code
    return_query = (
        select(return_key, func.count(TicketReturn.id), _count(TicketReturn.improper.is_(True)))
        .join(Ticket, Ticket.id == TicketReturn.ticket_id)
        .where(TicketReturn.returned_at >= lo, TicketReturn.returned_at < hi)
        .group_by(return_key)
    )
    for key, returns, improper in session.execute(return_query):
        rows[key].update(returns=returns, improper_returns=improper or 0)

    ticket_key = Ticket.department_code if by == "department" else Ticket.division_code
    reopen_query = (
        select(ticket_key, func.count(TicketAction.id))
        .join(Ticket, Ticket.id == TicketAction.ticket_id)
        .where(TicketAction.action == "reopen", TicketAction.at >= lo, TicketAction.at < hi)
        .group_by(ticket_key)
    )
    for key, reopened in session.execute(reopen_query):
        rows[key]["reopened"] = reopened

    status_query = (
        select(ticket_key, Ticket.status, func.count(Ticket.id), _count(overdue(now)))
        .where(ticket_key.is_not(None))
        .group_by(ticket_key, Ticket.status)
    )
    for key, status, count, overdue_count in session.execute(status_query):
        row = rows[key]
        row.setdefault("by_status", {})
        row["by_status"][status] = count
        row["overdue_now"] = row.get("overdue_now", 0) + (overdue_count or 0)

    names = _names(session, by)
    result = [_finish(key, names.get(key, key), row) for key, row in rows.items() if key]
    _rank(result)
    return result


def _names(session: Session, by: str) -> dict[str, str]:
    if by == "department":
        return {
            code: name for code, name in session.execute(select(Department.code, Department.name))
        }
    return {code: name for code, name in session.execute(select(Division.code, Division.name))}


def _finish(key: str, name: str, row: dict[str, Any]) -> dict[str, Any]:
    dispatched = row.get("dispatched", 0)
    figures = {
        "code": key,
        "name": name,
        "dispatched": dispatched,
        "signed_on_time": row.get("signed_on_time", 0),
        "replied": row.get("replied", 0),
        "replied_on_time": row.get("replied_on_time", 0),
        "rated": row.get("rated", 0),
        "satisfied": row.get("satisfied", 0),
        "solved": row.get("solved", 0),
        "returns": row.get("returns", 0),
        "improper_returns": row.get("improper_returns", 0),
        "reopened": row.get("reopened", 0),
        "overdue_now": row.get("overdue_now", 0),
        "by_status": dict(row.get("by_status", {})),
        "avg_handling_hours": row.get("avg_handling_hours"),
        "sign_on_time_rate": _ratio(row.get("signed_on_time", 0), row.get("sign_settled", 0)),
        "close_on_time_rate": _ratio(row.get("replied_on_time", 0), row.get("reply_settled", 0)),
        "satisfaction_rate": _ratio(row.get("satisfied", 0), row.get("rated", 0)),
        "solved_rate": _ratio(row.get("solved", 0), row.get("rated", 0)),
        "return_rate": _ratio(row.get("returns", 0), dispatched),
        "reopen_rate": _ratio(row.get("reopened", 0), row.get("replied", 0)),
    }
    return figures


def _rank(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        parts = [(row[name], weight) for name, weight in WEIGHTS.items() if row[name] is not None]
        weight = sum(w for _, w in parts)
        score = sum(value * w for value, w in parts) / weight if weight else None
        if score is not None:
            score = max(0.0, score - IMPROPER_RETURN_PENALTY * row["improper_returns"])
        row["score"] = round(score * 100, 2) if score is not None else None
    ranked = sorted(
        (r for r in rows if r["score"] is not None), key=lambda r: r["score"], reverse=True
    )
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position
    for row in rows:
        row.setdefault("rank", None)
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["code"]))


def centre_figures(session: Session, start: date, end: date) -> dict[str, Any]:
    """Figures of the centre itself: intake and 直接办结率."""
    lo, hi = period_bounds(start, end)
    total, direct = session.execute(
        select(func.count(Ticket.id), _count(Ticket.closed_how == "direct")).where(
            Ticket.created_at >= lo, Ticket.created_at < hi
        )
    ).one()
    return {
        "received": total,
        "closed_direct": direct or 0,
        "direct_close_rate": _ratio(direct or 0, total),
    }


def overdue_list(session: Session, now: datetime, limit: int = 200) -> list[Ticket]:
    return list(
        session.scalars(select(Ticket).where(overdue(now)).order_by(Ticket.reply_due).limit(limit))
    )


def public_ratings(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """好差评 results per department, as published on the public page (Art. 32)."""
    lo, hi = period_bounds(start, end)
    query = (
        select(
            Rating.department_code,
            Rating.level,
            func.count(Rating.id),
        )
        .where(Rating.rated_at >= lo, Rating.rated_at < hi, Rating.department_code.is_not(None))
        .group_by(Rating.department_code, Rating.level)
    )
    names = _names(session, "department")
    table: dict[str, dict[str, Any]] = {}
    for code, level, count in session.execute(query):
        entry = table.setdefault(code, {"code": code, "name": names.get(code, code), "levels": {}})
        entry["levels"][level] = count
    for entry in table.values():
        total = sum(entry["levels"].values())
        good = sum(entry["levels"].get(level, 0) for level in SATISFIED_RATINGS)
        entry["total"] = total
        entry["satisfaction_rate"] = _ratio(good, total)
    return sorted(table.values(), key=lambda e: (-(e["satisfaction_rate"] or 0), e["code"]))
