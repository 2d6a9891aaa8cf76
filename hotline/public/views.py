"""The public's API: file a request on the web, look it up by number + phone, rate it (Art. 32)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.deps import services
from hotline.directory.service import department_name
from hotline.errors import PUBLIC_ERRORS, NotFound
from hotline.inputs import Day
from hotline.phones import normalize_phone
from hotline.revisits import links
from hotline.revisits.service import policy_of
from hotline.services import Services, jsonable
from hotline.stats import service as stats
from hotline.stats.views import period
from hotline.throttle import (
    PUBLIC_MISSES_PER_CLIENT,
    PUBLIC_MISSES_PER_TICKET,
    Throttle,
    client_of,
)
from hotline.tickets import service
from hotline.tickets.models import Supplement, Ticket, TicketAction
from hotline.tickets.views import file_ticket, perform, publish_all, take_number
from hotline.workflow import Actor, Role, Status
from hotline.workflow.states import RATING_LEVELS, STATUS_LABELS

T = TypeVar("T")


def _within_client_limit(request: Request) -> None:  # sync: Redis counts are network calls
    throttle: Throttle = request.app.state.throttle
    throttle.take(throttle.public_requests_per_client, client_of(request))


router = APIRouter(
    prefix="/api/public",
    tags=["public"],
    dependencies=[Depends(_within_client_limit)],
    responses=PUBLIC_ERRORS,
)
WEB_CITIZEN = Actor(username="citizen:web", role=Role.CITIZEN)


class PublicTicketIn(BaseModel):
    content: str
    citizen_phone: str
    type: str = "求助"
    citizen_name: str = Field("", max_length=64)
    real_name: bool = False
    division: str | None = None
    address: str = Field("", max_length=300)
    on_behalf_of: str = Field("", max_length=64)


def _same_phone(ticket: Ticket, phone: str) -> bool:
    """The full number the ticket was filed with; its masked digits are not enough."""
    return ticket.citizen_phone == normalize_phone(phone, field="phone")


def _find(svc: Services, session: Session, request: Request, number: str, phone: str) -> Ticket:
    """A ticket by number and the phone it was filed with; a wrong pair is not found. Wrong
    pairs are counted per ticket and per client: past the limit that ticket (or client) is
    answered 429 for a while, whatever the phone, and the lock is audited."""
    throttle: Throttle = request.app.state.throttle
    number, client = number.strip(), client_of(request)
    counted = (
        (PUBLIC_MISSES_PER_TICKET, "ticket", number),
        (PUBLIC_MISSES_PER_CLIENT, "client", client),
    )
    throttle.refuse_if_any_spent(counted)
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None or not _same_phone(ticket, phone):
        throttle.count_failure(svc, "public.locked", client, counted)
        raise NotFound("未找到该工单，请核对工单号和手机号")
    return ticket


def latest_reply(session: Session, ticket_id: int) -> TicketAction | None:
    return session.scalars(
        select(TicketAction)
        .where(TicketAction.ticket_id == ticket_id, TicketAction.action == "reply")
        .order_by(TicketAction.id.desc())
    ).first()


def _public_view(session: Session, ticket: Ticket) -> dict[str, Any]:
    shown = ticket
    if ticket.merged_into_id:
        # Merged tickets share one handling: the citizen follows the lead ticket.
        shown = session.get(Ticket, ticket.merged_into_id) or ticket
    replies = latest_reply(session, shown.id)
    notice = (
        session.scalars(
            select(Supplement)
            .where(Supplement.ticket_id == shown.id, Supplement.outcome.is_(None))
            .order_by(Supplement.id.desc())
        ).first()
        if shown.supplement_since is not None
        else None
    )
    return jsonable(
        {
            "number": ticket.number,
            "status": shown.status,
            "status_label": STATUS_LABELS[Status(shown.status)],
            "merged_into": ticket.merged_into_id and shown.number,
            "type": ticket.type,
            "content": ticket.content,
            "created_at": ticket.created_at,
            "department": shown.department_code,
            # Citizens read the department's name; the code means nothing to them.
            "department_name": department_name(session, shown.department_code),
            "reply_due": shown.reply_due,
            "reply": replies.data.get("content") if replies else None,
            "rating": ticket.rating,
            "can_rate": shown.status in {Status.REPLIED.value, Status.CLOSED.value}
            and ticket.rating is None,
            # 补正: everything the department still needs, listed at once, and by when.
            "supplement": notice
            and {
                "items": notice.items,
                "note": notice.note,
                "due": notice.due,
                "tolerated": notice.tolerated,
            },
        }
    )


@router.post("/tickets", status_code=201)
def file_request(body: PublicTicketIn, svc: Services = Depends(services)) -> dict[str, Any]:
    data = service.NewTicket(**body.model_dump(), channel="web")
    request = body.model_dump()
    number = take_number(svc, data, request)
    with svc.unit() as (session, outbox):
        ticket, events = file_ticket(svc, session, WEB_CITIZEN, data, request, number)
        publish_all(outbox, ticket, events)
        return _public_view(session, ticket)


@router.get("/tickets/{number}")
def look_up(
    number: str, phone: str, request: Request, svc: Services = Depends(services)
) -> dict[str, Any]:
    with svc.sessions() as session:
        return _public_view(session, _find(svc, session, request, number, phone))


class PublicRatingIn(BaseModel):
    phone: str
    rating: str
    solved: bool
    note: str = Field("", max_length=500)


@router.post("/tickets/{number}/rating")
def rate(
    number: str, body: PublicRatingIn, request: Request, svc: Services = Depends(services)
) -> dict[str, Any]:
    with svc.unit() as (session, outbox):
        ticket = _find(svc, session, request, number, body.phone)
        action = "revisit" if ticket.status == Status.REPLIED.value else "rate"
        params = {"rating": body.rating, "solved": body.solved, "channel": "web", "note": body.note}
        ticket, events = perform(svc, session, WEB_CITIZEN, ticket.id, action, params)
        publish_all(outbox, ticket, events)
        return _public_view(session, ticket)


class PublicSupplementIn(BaseModel):
    phone: str
    content: str = Field(max_length=5000)


@router.post("/tickets/{number}/supplement")
def supplement(
    number: str, body: PublicSupplementIn, request: Request, svc: Services = Depends(services)
) -> dict[str, Any]:
    """The citizen's answer to a 补正 notice; the department's clock runs again."""
    with svc.unit() as (session, outbox):
        ticket = _find(svc, session, request, number, body.phone)
        target = ticket.merged_into_id or ticket.id
        params = {"content": body.content}
        handled, events = perform(svc, session, WEB_CITIZEN, target, "supplement", params)
        publish_all(outbox, handled, events)
        return _public_view(session, ticket)


def _revisit_view(session: Session, token: str, now: datetime) -> dict[str, Any]:
    """What the link's page shows: the ticket's number, its matter and the reply; no phone,
    name or address (whoever holds the link sees it)."""
    link, ticket = links.find_link(session, token, now)
    reply = latest_reply(session, ticket.id)
    return jsonable(
        {
            "number": ticket.number,
            "type": ticket.type,
            "matter": links.matter_of(ticket),
            "department_name": department_name(session, ticket.department_code),
            "reply": reply.data.get("content") if reply else None,
            "replied_at": ticket.replied_at,
            "expires_at": link.expires_at,
            "ratings": list(RATING_LEVELS),
        }
    )


@router.get("/revisit/{token}")
def revisit_link(token: str, request: Request, svc: Services = Depends(services)) -> dict[str, Any]:
    with svc.sessions() as session:
        return _counting_misses(request, svc, lambda: _revisit_view(session, token, svc.clock()))


class LinkRatingIn(BaseModel):
    satisfaction: int = Field(ge=1, le=5, description="1 非常满意 … 5 非常不满意")
    solved: bool


@router.post("/revisit/{token}")
def rate_by_link(
    token: str, body: LinkRatingIn, request: Request, svc: Services = Depends(services)
) -> dict[str, Any]:
    policy = policy_of(svc.settings.revisit, svc.settings.sms)

    def rate() -> dict[str, Any]:
        with svc.unit() as (session, outbox):
            ticket, events = links.rate_by_link(
                svc, session, token, body.satisfaction, body.solved, policy
            )
            publish_all(outbox, ticket, events)
            return {"number": ticket.number, "rating": ticket.rating, "solved": body.solved}

    return _counting_misses(request, svc, rate)


def _counting_misses(request: Request, svc: Services, answer: Callable[[], T]) -> T:
    """Unknown links count as the look-up's misses per client: past the limit the client is
    answered 429 for a while, as for wrong number + phone pairs."""
    throttle: Throttle = request.app.state.throttle
    counted = ((PUBLIC_MISSES_PER_CLIENT, "client", client_of(request)),)
    throttle.refuse_if_any_spent(counted)
    try:
        return answer()
    except NotFound:
        throttle.count_failure(svc, "public.locked", client_of(request), counted)
        raise


@router.get("/ratings")
def ratings(
    start: Day | None = None, end: Day | None = None, svc: Services = Depends(services)
) -> dict[str, Any]:
    start, end = period(start, end, svc.clock().date())
    with svc.sessions() as session:
        return jsonable(
            {"start": start, "end": end, "departments": stats.public_ratings(session, start, end)}
        )
