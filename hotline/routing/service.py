"""Learning from corrections: store the final department as a label, count and export them."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.auth.models import User
from hotline.directory.models import Department
from hotline.routing.models import RoutingLabel
from hotline.tickets.models import Ticket
from hotline.workflow import Actor, Role

DISPATCH = "dispatch"
REDISPATCH = "redispatch"
# Roles whose department at ticket creation is a dispatch (tickets.views.create_ticket).
DISPATCHING_ROLES = frozenset({Role.DISPATCHER.value, Role.ADMIN.value})


def suggested_department(ticket: Ticket) -> str | None:
    """The classifier's top-1 department for the ticket, even when it said it was uncertain."""
    top3 = (ticket.suggestion or {}).get("top3") or []
    return str(top3[0][0]) if top3 else ticket.suggested_department


def record_label(
    session: Session, ticket: Ticket, source: str, now: datetime, final: str
) -> RoutingLabel:
    label = RoutingLabel(
        ticket_id=ticket.id,
        text=ticket.content,
        suggested=suggested_department(ticket),
        final=final,
        source=source,
        at=now,
    )
    session.add(label)
    return label


def city_level(session: Session, code: str) -> str:
    """A district/county unit's city-level department (CG-WH → CG); other codes unchanged."""
    department = session.get(Department, code)
    return department.parent_code if department and department.parent_code else code


def _against_suggestion(session: Session, ticket: Ticket, department: str | None) -> bool:
    if ticket.suggestion is None or not department:
        return False
    return suggested_department(ticket) not in {department, city_level(session, department)}


def on_ticket_action(
    session: Session, ticket: Ticket, action: str, params: dict[str, Any], _actor: Actor
) -> None:
    """The ``ticket_action_hooks`` hook: a dispatch away from the suggestion, or a re-dispatch
    after a 退单 (whatever the suggestion was), stores the final department as a label."""
    final = ticket.department_code
    if action == "dispatch" and _against_suggestion(session, ticket, final):
        record_label(session, ticket, DISPATCH, ticket.updated_at, final)
    elif action == "rule-return" and params.get("decision") == "redispatch" and final:
        record_label(session, ticket, REDISPATCH, ticket.updated_at, final)


def on_ticket_created(session: Session, ticket: Ticket, body: dict[str, Any]) -> None:
    """The ``ticket_created_hooks`` hook: a dispatcher who creates a ticket with a department
    dispatches it at once (the hook runs just before), so a department other than the
    suggestion corrects it too. An operator's department is only a proposal: the dispatch
    that follows is what counts."""
    department = body.get("department")
    if not _against_suggestion(session, ticket, department):
        return  # checked first: it needs no query without a department
    creator_role = session.scalar(select(User.role).where(User.username == ticket.created_by))
    if creator_role in DISPATCHING_ROLES:
        record_label(session, ticket, DISPATCH, ticket.created_at, department)


def correction_counts(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    """Per department: how often tickets were corrected TO it and AWAY from it."""
    query = select(RoutingLabel.final, RoutingLabel.suggested, RoutingLabel.source)
    if start is not None:
        query = query.where(RoutingLabel.at >= start)
    if end is not None:
        query = query.where(RoutingLabel.at < end)
    rows = session.execute(query).all()
    to: Counter[str] = Counter()
    away: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    for final, suggested, source in rows:
        to[final] += 1
        by_source[source] += 1
        if suggested and suggested not in {final, city_level(session, final)}:
            away[suggested] += 1
    names = dict(session.execute(select(Department.code, Department.name)).all())
    departments = [
        {
            "code": code,
            "name": names.get(code, code),
            "corrected_to": to[code],
            "corrected_away": away[code],
        }
        for code in sorted(to.keys() | away.keys(), key=lambda c: (-to[c] - away[c], c))
    ]
    return {
        "total": len(rows),
        "by_source": {DISPATCH: by_source[DISPATCH], REDISPATCH: by_source[REDISPATCH]},
        "departments": departments,
    }


def training_pairs(session: Session, known: set[str]) -> tuple[list[tuple[str, str]], int]:
    """(text, department) pairs for retraining, the latest label per ticket, with district
    units mapped to their city-level department; also how many named no department the model
    knows (skipped)."""
    latest = select(func.max(RoutingLabel.id)).group_by(RoutingLabel.ticket_id).scalar_subquery()
    labels = session.scalars(
        select(RoutingLabel).where(RoutingLabel.id.in_(latest)).order_by(RoutingLabel.id)
    ).all()
    pairs, skipped = [], 0
    for label in labels:
        code = city_level(session, label.final)
        if code in known and label.text.strip():
            pairs.append((label.text, code))
        else:
            skipped += 1
    return pairs, skipped
