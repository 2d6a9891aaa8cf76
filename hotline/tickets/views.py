"""The ticket JSON API: create, read, list, and every workflow action."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from hotline.deps import Principal, principal, require, services
from hotline.errors import STAFF_ERRORS, InvalidInput
from hotline.inputs import Day, PageNumber, PageSize, RowId, check_row_ids, check_version
from hotline.phones import mask_phone, normalize_phone
from hotline.revisits.service import plan_dict
from hotline.services import Outbox, Services, jsonable
from hotline.stats.service import check_period
from hotline.tickets import service
from hotline.tickets.models import Ticket
from hotline.tickets.sla import flag
from hotline.workflow import Actor, Role, Status, WorkflowEvent, available_actions
from hotline.workflow.states import STATUS_LABELS

router = APIRouter(prefix="/api/tickets", tags=["tickets"], responses=STAFF_ERRORS)


class TicketIn(BaseModel):
    content: str
    citizen_phone: str
    type: str
    citizen_name: str = Field("", max_length=64)
    real_name: bool = False
    # The citizen does not want to be revisited by machine (智能回访): operators call instead.
    no_automated_revisit: bool = False
    division: str | None = None
    urgency: str = "一般"
    channel: str = "phone"
    address: str = Field("", max_length=300)
    on_behalf_of: str = Field("", max_length=64)
    matter_category: str = Field("", max_length=64)
    priority: bool = False
    priority_reason: str = Field("", max_length=64)
    call_id: RowId | None = None
    # The operator's final choice of department, stored beside the routing suggestion.
    department: str | None = None


def ticket_summary(
    ticket: Ticket, actor: Actor, *, show_phone: bool, now: datetime
) -> dict[str, Any]:
    return jsonable(
        {
            "id": ticket.id,
            "number": ticket.number,
            "status": ticket.status,
            "status_label": STATUS_LABELS[Status(ticket.status)],
            "type": ticket.type,
            "urgency": ticket.urgency,
            "priority": ticket.priority,
            "channel": ticket.channel,
            "content": ticket.content,
            "citizen_name": ticket.citizen_name if show_phone else _mask_name(ticket.citizen_name),
            "citizen_phone": ticket.citizen_phone
            if show_phone
            else mask_phone(ticket.citizen_phone),
            "real_name": ticket.real_name,
            "no_automated_revisit": ticket.no_automated_revisit,
            "address": ticket.address,
            "division": ticket.division_code,
            "department": ticket.department_code,
            "co_handlers": ticket.co_handlers or [],
            "sign_due": ticket.sign_due,
            "reply_due": ticket.reply_due,
            "deadline_provisional": ticket.deadline_provisional,
            "sla_flag": flag(ticket, now),
            "supervised": ticket.supervised,
            "supervision_due": ticket.supervision_due,
            "extension_pending_days": ticket.extension_pending_days,
            "rating": ticket.rating,
            "solved": ticket.solved,
            "rectification_open": ticket.rectification_open,
            "rectification_due": ticket.rectification_due,
            "supplement_due": ticket.supplement_due,
            "supplement_asked": ticket.supplement_asked,
            "supplement_tolerated": ticket.supplement_tolerated,
            "merged_into": ticket.merged_into_id,
            "closed_how": ticket.closed_how,
            "suggestion": ticket.suggestion,
            "suggested_department": ticket.suggested_department,
            "chosen_department": ticket.chosen_department,
            "created_at": ticket.created_at,
            "updated_at": ticket.updated_at,
            "closed_at": ticket.closed_at,
            "version": ticket.version,
            "actions": available_actions(service.state_of(ticket), actor),
        }
    )


def _mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1) if name else ""


# What the detail shows of each kind of record: JSON name → column.
RECORD_FIELDS: dict[str, dict[str, str]] = {
    "returns": {
        "department": "department_code",
        "category": "category",
        "reason": "reason",
        "returned_at": "returned_at",
        "ruling": "ruling",
        "improper": "improper",
    },
    "ratings": {"level": "level", "solved": "solved", "channel": "channel", "rated_at": "rated_at"},
    "supervisions": {
        "kind": "kind",
        "issuer": "issuer",
        "reason": "reason",
        "due": "due",
        "issued_at": "issued_at",
    },
    "rectifications": {
        "due": "due",
        "done_at": "done_at",
        "verification": "verification",
        "rectification": "rectification",
        "feedback": "feedback",
    },
    "supplements": {
        "department": "department_code",
        "items": "items",
        "note": "note",
        "tolerated": "tolerated",
        "commitment": "commitment",
        "requested_at": "requested_at",
        "requested_by": "requested_by",
        "due": "due",
        "outcome": "outcome",
        "ended_at": "ended_at",
        "content": "content",
    },
}


def ticket_detail(session: Session, ticket: Ticket, actor: Actor, now: datetime) -> dict[str, Any]:
    """The ticket as this transaction commits it: what hooks or the caller changed after the
    last flush is written first, so ``version`` is the one a following action must send."""
    session.flush()
    shown = service.read_personal_data(session, actor, ticket, now)
    detail = ticket_summary(ticket, actor, show_phone=shown, now=now)
    detail["on_behalf_of"] = ticket.on_behalf_of
    detail["matter_category"] = ticket.matter_category
    detail["history"] = [
        jsonable(
            {
                "action": row.action,
                "actor": row.actor,
                "role": row.role,
                "department": row.actor_department,
                "at": row.at,
                "from": row.from_status,
                "to": row.to_status,
                "data": row.data,
            }
        )
        for row in service.history(session, ticket.id)
    ]
    records = service.side_records(session, ticket.id)
    for key, columns in RECORD_FIELDS.items():
        detail[key] = [
            jsonable({name: getattr(row, column) for name, column in columns.items()})
            for row in records[key]
        ]
    detail["revisit_plan"] = plan_dict(session, ticket.id)
    return detail


def _suggestion(svc: Services, text: str) -> dict[str, Any] | None:
    router_model = getattr(svc, "router", None)
    return router_model.suggest(text) if router_model is not None else None


def take_number(svc: Services, data: service.NewTicket, request: dict[str, Any]) -> str:
    """Checks a new ticket — its fields, then what needs the database (division, chosen
    department, the ``ticket_intake_checks`` such as the call) — and only then takes its number,
    so a refused request leaves no gap. The number is taken in a transaction of its own, before
    the one that creates the ticket: the day's counter row is then locked for an instant, not
    for the whole creation, so creations do not queue behind each other."""
    service.validate(data)
    with svc.unit() as (session, _):
        service.check_references(session, data, request.get("department"))
        for check in svc.ticket_intake_checks:
            check(session, request)
        return service.next_number(session, svc.clock())


def file_ticket(
    svc: Services,
    session: Session,
    actor: Actor,
    data: service.NewTicket,
    request: dict[str, Any],
    number: str,
) -> tuple[Ticket, list[WorkflowEvent]]:
    """Create a ticket from any channel under a number from :func:`take_number`: routing
    suggestion, then the intake hooks (call link, duplicates, repeat callers). The caller
    publishes the events."""
    suggestion = _suggestion(svc, data.content) if data.content.strip() else None
    ticket, events = service.create_ticket(
        session, actor, data, svc.clock(), number=number, suggestion=suggestion
    )
    for hook in svc.ticket_created_hooks:
        hook(session, ticket, request)
    return ticket, events


def perform(
    svc: Services,
    session: Session,
    actor: Actor,
    ticket_id: RowId,
    action: str,
    params: dict[str, Any],
    version: int | None = None,
) -> tuple[Ticket, list[WorkflowEvent]]:
    """One workflow action from any caller, then the action hooks (routing labels, KB answer)."""
    check_row_ids(params, "into", "kb_entry_id")  # the ids a body names, before they reach SQL
    ticket, events = service.act(
        session, actor, ticket_id, action, params, svc.context(session), expected_version=version
    )
    for hook in svc.ticket_action_hooks:
        hook(session, ticket, action, params, actor)
    return ticket, events


def publish_all(outbox: Outbox, ticket: Ticket, events: list[WorkflowEvent]) -> None:
    for event in events:
        outbox.add(event, ticket_id=ticket.id, number=ticket.number, status=ticket.status)


@router.post("", status_code=201)
def create_ticket(
    body: TicketIn,
    who: Principal = Depends(require(Role.OPERATOR, Role.DISPATCHER)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    data = service.NewTicket(**body.model_dump(exclude={"call_id", "department"}))
    request = body.model_dump()
    number = take_number(svc, data, request)
    with svc.unit() as (session, outbox):
        ticket, events = file_ticket(svc, session, who.actor, data, request, number)
        if body.department:
            ticket.chosen_department = body.department
            if who.actor.role in {Role.DISPATCHER, Role.ADMIN}:
                _, dispatched = service.act(
                    session,
                    who.actor,
                    ticket.id,
                    "dispatch",
                    {"department": body.department},
                    svc.context(session),
                )
                events += dispatched
        publish_all(outbox, ticket, events)
        return ticket_detail(session, ticket, who.actor, svc.clock())


@router.get("")
def list_tickets(
    status: list[str] | None = Query(None),
    department: str | None = None,
    division: str | None = None,
    overdue: bool | None = None,
    supervised: bool | None = None,
    start: Day | None = None,
    end: Day | None = None,
    q: str | None = Query(None, max_length=200),
    phone: str | None = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
    who: Principal = Depends(principal),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    if status:
        status = [s for part in status for s in part.split(",") if s]
        unknown = set(status) - {s.value for s in Status}
        if unknown:
            raise InvalidInput("未知状态：" + "、".join(sorted(unknown)), field="status")
    check_period(start, end)
    filters = service.TicketFilter(
        status=status,
        department=department,
        division=division,
        overdue=overdue,
        supervised=supervised,
        start=datetime.combine(start, time.min) if start else None,
        end=datetime.combine(end + timedelta(days=1), time.min) if end else None,
        text=q,
        phone=normalize_phone(phone, field="phone") if phone else None,
        page=page,
        page_size=page_size,
    )
    with svc.unit() as (session, _):
        now = svc.clock()
        rows, total = service.list_tickets(session, who.actor, filters, now)
        shown = service.read_personal_data_of_list(
            session, who.actor, rows, now, phone=filters.phone
        )
        items = [ticket_summary(t, who.actor, show_phone=t.id in shown, now=now) for t in rows]
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.get("/{ticket_id}")
def get_ticket(
    ticket_id: RowId, who: Principal = Depends(principal), svc: Services = Depends(services)
) -> dict[str, Any]:
    with svc.unit() as (session, _):
        ticket = service.load(session, who.actor, ticket_id)
        return ticket_detail(session, ticket, who.actor, svc.clock())


@router.post("/{ticket_id}/actions/{action}")
def act(
    ticket_id: RowId,
    action: str,
    body: dict[str, Any] | None = Body(None),
    who: Principal = Depends(principal),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    params = dict(body or {})
    version = check_version(params.pop("version", None))
    with svc.unit() as (session, outbox):
        ticket, events = perform(svc, session, who.actor, ticket_id, action, params, version)
        publish_all(outbox, ticket, events)
        return ticket_detail(session, ticket, who.actor, svc.clock())
