"""Service-level figures from the calls table, aggregated in SQL (definitions: docs/kpis.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Label

from hotline.calls.models import Call
from hotline.stats.service import _count, _ratio, _seconds, period_bounds

# GB/T 33358-2016: at least 95% of calls answered within 15 seconds.
ANSWER_WITHIN_SECONDS = 15
SERVICE_LEVEL_STANDARD = 0.95


def offered_call() -> ColumnElement[bool]:
    # A call asked for a person (人工服务请求) once it entered the queue or was answered;
    # a caller who hung up during the greeting is not counted as offered or abandoned.
    return or_(Call.queue_entered_at.is_not(None), Call.answered_at.is_not(None))


def _measures(session: Session) -> list[Label[Any]]:
    offered = offered_call()
    answered = Call.answered_at.is_not(None)
    handled = and_(answered, Call.ended_at.is_not(None))
    return [
        _count(offered).label("offered"),
        _count(answered).label("answered"),
        _count(and_(answered, Call.wait_seconds <= ANSWER_WITHIN_SECONDS)).label(
            "answered_within_15s"
        ),
        _count(and_(offered, Call.state == "abandoned")).label("abandoned"),
        func.avg(case((offered, Call.wait_seconds))).label("avg_wait"),
        func.avg(case((handled, _seconds(session, Call.ended_at, Call.answered_at)))).label(
            "avg_handle"
        ),
    ]


def _figures(row: Any) -> dict[str, Any]:
    offered, answered = int(row.offered or 0), int(row.answered or 0)
    within, abandoned = int(row.answered_within_15s or 0), int(row.abandoned or 0)
    service_level = _ratio(within, offered)
    return {
        "offered": offered,
        "answered": answered,
        "answered_within_15s": within,
        "abandoned": abandoned,
        "service_level_15s": service_level,
        "meets_standard": None
        if service_level is None
        else service_level >= SERVICE_LEVEL_STANDARD,
        "abandonment_rate": _ratio(abandoned, offered),
        "avg_wait_seconds": _rounded(row.avg_wait),
        "avg_handle_seconds": _rounded(row.avg_handle),
    }


def _rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _hour_of(session: Session) -> ColumnElement[int]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("hour", Call.started_at), Integer)
    return cast(func.strftime("%H", Call.started_at), Integer)


def _day_of(session: Session) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(Call.started_at, Date)
    return func.date(Call.started_at)  # 'YYYY-MM-DD'


def started_in(start: date, end: date) -> ColumnElement[bool]:
    low, high = period_bounds(start, end)
    return and_(Call.started_at >= low, Call.started_at < high)


def call_totals(session: Session, start: date, end: date) -> dict[str, Any]:
    """The period's offered, answered, abandoned calls and service level (one query)."""
    return _figures(
        session.execute(select(*_measures(session)).where(started_in(start, end))).one()
    )


def call_figures(session: Session, start: date, end: date) -> dict[str, Any]:
    """Totals, per hour of the day, per day and per operator for calls started in the period."""
    in_period = started_in(start, end)
    measures = _measures(session)
    hour = _hour_of(session).label("hour")
    by_hour = session.execute(
        select(hour, *measures).where(in_period).group_by(hour).order_by(hour)
    ).all()
    day = _day_of(session).label("day")
    by_day = session.execute(select(day, *measures).where(in_period).group_by(day).order_by(day))
    by_operator = session.execute(
        select(Call.operator, *measures)
        .where(in_period, Call.operator.is_not(None))
        .group_by(Call.operator)
        .order_by(Call.operator)
    )
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "answer_within_seconds": ANSWER_WITHIN_SECONDS,
        "standard": SERVICE_LEVEL_STANDARD,
        "totals": call_totals(session, start, end),
        "by_hour": [{"hour": int(row.hour), **_figures(row)} for row in by_hour],
        "by_day": [{"day": str(row.day)[:10], **_figures(row)} for row in by_day],
        "by_operator": [_operator_figures(row) for row in by_operator],
    }


def _operator_figures(row: Any) -> dict[str, Any]:
    """An operator is offered only the calls they answered: their share is over those."""
    answered, within = int(row.answered or 0), int(row.answered_within_15s or 0)
    return {
        "operator": row.operator,
        "answered": answered,
        "answered_within_15s": within,
        "share_within_15s": _ratio(within, answered),
        "avg_wait_seconds": _rounded(row.avg_wait),
        "avg_handle_seconds": _rounded(row.avg_handle),
    }
