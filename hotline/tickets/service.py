"""Ticket storage around the pure workflow: load, apply, write back — one transaction each."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline.audit.service import record as audit
from hotline.audit.service import record_read
from hotline.db import json_list_holds, upsert_insert
from hotline.directory import service as directory
from hotline.errors import Forbidden, IllegalTransition, InvalidInput, NotFound, StaleVersion
from hotline.phones import mask_phone, normalize_phone
from hotline.tickets.models import (
    Dispatch,
    Extension,
    Rating,
    Rectification,
    Supervision,
    Supplement,
    Ticket,
    TicketAction,
    TicketCounter,
    TicketReturn,
)
from hotline.workflow import Actor, Context, Role, Status, TicketState, WorkflowEvent, apply
from hotline.workflow.states import (
    CHANNELS,
    OPEN_STATUSES,
    TICKET_TYPES,
    URGENCIES,
)

MAX_CONTENT = 5000
# Roles that call citizens back and so see their numbers in full.
SEES_PHONE = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.ADMIN})


@dataclass
class NewTicket:
    content: str
    citizen_phone: str
    type: str
    citizen_name: str = ""
    real_name: bool = False
    no_automated_revisit: bool = False
    division: str | None = None
    urgency: str = "一般"
    channel: str = "phone"
    address: str = ""
    on_behalf_of: str = ""
    matter_category: str = ""
    priority: bool = False
    priority_reason: str = ""


def validate(data: NewTicket) -> None:
    """What can be checked of a new ticket without the database."""
    content = (data.content or "").strip()
    if not content:
        raise InvalidInput("诉求内容不能为空", field="content")
    if len(data.content) > MAX_CONTENT:
        raise InvalidInput(f"诉求内容不能超过 {MAX_CONTENT} 字", field="content")
    if data.type not in TICKET_TYPES:
        raise InvalidInput("工单类型必须是：" + "、".join(TICKET_TYPES), field="type")
    if data.urgency not in URGENCIES:
        raise InvalidInput("紧急程度必须是：" + "、".join(URGENCIES), field="urgency")
    if data.channel not in CHANNELS:
        raise InvalidInput("受理渠道必须是：" + "、".join(CHANNELS), field="channel")
    normalize_phone(data.citizen_phone)


def check_references(session: Session, data: NewTicket, department: str | None) -> None:
    """What of a new ticket needs the database: its division and chosen department exist."""
    if data.division:
        directory.division(session, data.division)
    if department:
        directory.department(session, department)


def next_number(session: Session, now: datetime) -> str:
    """Readable, sayable numbers: 20261127-000123, one daily sequence, safe under concurrency."""
    day = now.date()
    insert = upsert_insert(session.get_bind())
    statement = (
        insert(TicketCounter)
        .values(day=day, last=1)
        .on_conflict_do_update(
            index_elements=[TicketCounter.day], set_={"last": TicketCounter.last + 1}
        )
        .returning(TicketCounter.last)
    )
    sequence = session.execute(statement).scalar_one()
    return f"{day:%Y%m%d}-{sequence:06d}"


def create_ticket(
    session: Session,
    actor: Actor,
    data: NewTicket,
    now: datetime,
    *,
    number: str,
    suggestion: dict[str, Any] | None = None,
) -> tuple[Ticket, list[WorkflowEvent]]:
    """Stores a new ticket under ``number`` (from :func:`next_number`, taken beforehand, once
    :func:`validate` and :func:`check_references` passed)."""
    validate(data)
    phone = normalize_phone(data.citizen_phone)
    ticket = Ticket(
        number=number,
        channel=data.channel,
        citizen_name=data.citizen_name.strip(),
        citizen_phone=phone,
        real_name=data.real_name,
        no_automated_revisit=data.no_automated_revisit,
        on_behalf_of=data.on_behalf_of,
        address=data.address,
        division_code=data.division,
        content=data.content,
        type=data.type,
        matter_category=data.matter_category,
        urgency=data.urgency,
        priority=data.priority,
        priority_reason=data.priority_reason,
        status=Status.REGISTERED.value,
        co_handlers=[],
        suggestion=suggestion,
        suggested_department=(suggestion or {}).get("department"),
        created_at=now,
        created_by=actor.username,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    _history(session, ticket, actor, "create", Status.REGISTERED, now, {"channel": data.channel})
    audit(session, actor, "ticket.create", "ticket", ticket.id, now, number=ticket.number)
    event = WorkflowEvent("ticket.created", {"channel": data.channel, "type": data.type})
    return ticket, [event]


# ---------------------------------------------------------------- reading


def visible(actor: Actor, ticket: Ticket) -> bool:
    if actor.role != Role.DEPARTMENT:
        return True
    return actor.department == ticket.department_code or actor.department in (
        ticket.co_handlers or []
    )


def _no_ticket_details_for_monitors(actor: Actor) -> None:
    if actor.role == Role.MONITOR:
        raise Forbidden("社会监督员查看统计与公示，不查看工单明细", role=actor.role.value)


def load(session: Session, actor: Actor, ticket_id: int) -> Ticket:
    _no_ticket_details_for_monitors(actor)
    ticket = session.get(Ticket, ticket_id)
    # Another department's ticket does not exist as far as this user can tell.
    if ticket is None or not visible(actor, ticket):
        raise NotFound("工单不存在")
    return ticket


def sees_phone(actor: Actor, ticket: Ticket) -> bool:
    if actor.role in SEES_PHONE:
        return True
    # The lead department calls real-name citizens back; anonymous ones are reached via the centre.
    return (
        actor.role == Role.DEPARTMENT
        and ticket.real_name
        and (actor.department == ticket.department_code)
    )


PERSONAL_FIELDS = ["phone", "name"]


def read_personal_data(session: Session, actor: Actor, ticket: Ticket, now: datetime) -> bool:
    """Whether the actor sees the citizen's details unmasked; every such read is audited."""
    shown = sees_phone(actor, ticket)
    if shown:
        record_read(session, actor, "ticket", [ticket.id], now, fields=PERSONAL_FIELDS)
    return shown


def read_personal_data_of_list(
    session: Session, actor: Actor, tickets: list[Ticket], now: datetime, *, phone: str | None
) -> set[int]:
    """The tickets of a list whose citizen the actor sees unmasked, audited in one row with
    the search by ``phone``, if any."""
    shown = [ticket.id for ticket in tickets if sees_phone(actor, ticket)]
    searched = mask_phone(phone) if phone else None
    record_read(
        session, actor, "ticket", shown, now, fields=PERSONAL_FIELDS, searched_phone=searched
    )
    return set(shown)


def state_of(ticket: Ticket) -> TicketState:
    values: dict[str, Any] = {}
    for f in fields(TicketState):
        if f.name == "status":
            values["status"] = Status(ticket.status)
        elif f.name == "department":
            values["department"] = ticket.department_code
        elif f.name == "co_handlers":
            values["co_handlers"] = tuple(ticket.co_handlers or ())
        elif f.name == "merged_into":
            values["merged_into"] = ticket.merged_into_id
        else:
            values[f.name] = getattr(ticket, f.name)
    return TicketState(**values)


def _write_state(ticket: Ticket, state: TicketState) -> None:
    for f in fields(TicketState):
        value = getattr(state, f.name)
        if f.name == "status":
            ticket.status = state.status.value
        elif f.name == "department":
            ticket.department_code = value
        elif f.name == "co_handlers":
            ticket.co_handlers = list(value)
        elif f.name == "merged_into":
            ticket.merged_into_id = value
        elif getattr(ticket, f.name) != value:
            setattr(ticket, f.name, value)


# ---------------------------------------------------------------- acting


def _resolve_params(
    session: Session, ticket: Ticket, action: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Checks that need the database, done before the pure workflow runs."""
    resolved = dict(params)
    if action in {"dispatch", "rule-return"} and params.get("department"):
        code = str(params["department"])
        directory.department(session, code)
        exact = params.get("level") == "exact"
        resolved["department"] = (
            code if exact else directory.responsible_unit(session, code, ticket.division_code)
        )
    if action == "dispatch":
        co = params.get("co_handlers") or []
        if not isinstance(co, list):
            raise InvalidInput("协办部门必须是部门代码列表", field="co_handlers")
        for code in co:
            directory.department(session, str(code))
    if action == "merge":
        into = params.get("into")
        target = session.get(Ticket, into) if isinstance(into, int) else None
        if target is None:
            raise InvalidInput("要合并到的工单不存在", field="into")
        if target.id == ticket.id or Status(target.status) not in OPEN_STATUSES:
            raise IllegalTransition("只能合并到另一张未办结的工单", allowed=[])
    return resolved


def act(
    session: Session,
    actor: Actor,
    ticket_id: int,
    action: str,
    params: dict[str, Any],
    ctx: Context,
    *,
    expected_version: int | None = None,
) -> tuple[Ticket, list[WorkflowEvent]]:
    ticket = load(session, actor, ticket_id)
    if expected_version is not None and expected_version != ticket.version:
        raise StaleVersion("工单已被他人修改，请刷新后重试", current_version=ticket.version)
    before = Status(ticket.status)
    transition = apply(
        state_of(ticket), action, actor, _resolve_params(session, ticket, action, params), ctx
    )
    _write_state(ticket, transition.state)
    ticket.updated_at = ctx.now
    if ticket.status != before.value:
        ticket.sla_flag = "green"  # a new clock starts with each status
    # One flush at the end: the UPDATE's version check and every record in a single round.
    with session.no_autoflush:
        for event in transition.events:
            _record(session, ticket, actor, event, ctx.now)
        _history(session, ticket, actor, action, before, ctx.now, _plain(transition.events))
        audit(session, actor, f"ticket.{action}", "ticket", ticket.id, ctx.now)
    try:
        session.flush()
    except StaleDataError:
        raise StaleVersion("工单已被他人修改，请刷新后重试") from None
    return ticket, transition.events


def _plain(events: list[WorkflowEvent]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for event in events:
        merged.update(
            {k: v.isoformat() if isinstance(v, datetime) else v for k, v in event.data.items()}
        )
    return merged


def _history(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    action: str,
    before: Status,
    now: datetime,
    data: dict[str, Any],
) -> None:
    session.add(
        TicketAction(
            ticket_id=ticket.id,
            action=action,
            actor=actor.username,
            role=actor.role.value,
            actor_department=actor.department,
            at=now,
            from_status=before.value,
            to_status=ticket.status,
            data=data,
        )
    )


def _update_open_dispatch(session: Session, ticket: Ticket, **values: Any) -> None:
    """Changes the ticket's open dispatch (there is at most one) in one UPDATE, no SELECT first."""
    session.execute(
        update(Dispatch)
        .where(Dispatch.ticket_id == ticket.id, Dispatch.ended_at.is_(None))
        .values(**values)
        # A Dispatch already in the session is brought up to date too (one RETURNING, no SELECT).
        .execution_options(synchronize_session="fetch")
    )


def _open_dispatch(session: Session, ticket: Ticket, now: datetime) -> None:
    _update_open_dispatch(
        session, ticket, ended_at=now, outcome=func.coalesce(Dispatch.outcome, "redispatched")
    )
    session.add(
        Dispatch(
            ticket_id=ticket.id,
            department_code=ticket.department_code,
            dispatched_at=now,
            sign_due=ticket.sign_due,
            reply_due=ticket.reply_due,
        )
    )


def _record(
    session: Session, ticket: Ticket, actor: Actor, event: WorkflowEvent, now: datetime
) -> None:
    """The side records each event leaves; the figures are computed from them."""
    data = event.data
    kind = event.type
    if kind in {"ticket.dispatched", "ticket.return_ruled", "ticket.reopened"}:
        if kind == "ticket.return_ruled":
            pending = session.scalar(
                select(TicketReturn)
                .where(TicketReturn.ticket_id == ticket.id, TicketReturn.ruling.is_(None))
                .order_by(TicketReturn.id.desc())
            )
            if pending is not None:
                pending.ruling, pending.improper = data["decision"], data["improper"]
                pending.ruled_at, pending.ruled_by, pending.note = now, actor.username, data["note"]
        _open_dispatch(session, ticket, now)
    elif kind == "ticket.accepted":
        _update_open_dispatch(session, ticket, signed_at=now)
    elif kind == "ticket.returned":
        _update_open_dispatch(session, ticket, ended_at=now, outcome="returned")
        session.add(
            TicketReturn(
                ticket_id=ticket.id,
                department_code=data["department"],
                category=data["category"],
                reason=data["reason"],
                returned_at=now,
                returned_by=actor.username,
            )
        )
    elif kind == "ticket.replied":
        _update_open_dispatch(session, ticket, replied_at=now, ended_at=now, outcome="replied")
    elif kind in {"ticket.withdrawn", "ticket.merged"}:
        outcome = "withdrawn" if kind == "ticket.withdrawn" else "merged"
        _update_open_dispatch(session, ticket, ended_at=now, outcome=outcome)
    elif kind == "ticket.extension_requested":
        session.add(
            Extension(
                ticket_id=ticket.id,
                department_code=ticket.department_code,
                days=data["days"],
                reason=data["reason"],
                requested_at=now,
                requested_by=actor.username,
            )
        )
    elif kind == "ticket.extension_decided":
        pending = session.scalar(
            select(Extension)
            .where(Extension.ticket_id == ticket.id, Extension.approved.is_(None))
            .order_by(Extension.id.desc())
        )
        if pending is not None:
            pending.approved, pending.decided_at = data["approved"], now
            pending.decided_by, pending.new_due = actor.username, data.get("reply_due")
        if data["approved"]:
            _update_open_dispatch(session, ticket, reply_due=data["reply_due"])
    elif kind in {"ticket.supervised", "ticket.reminded"}:
        session.add(
            Supervision(
                ticket_id=ticket.id,
                kind="supervise" if kind == "ticket.supervised" else "remind",
                department_code=ticket.department_code,
                issuer=actor.username,
                reason=data.get("reason") or data.get("note") or "",
                due=data.get("due"),
                issued_at=now,
            )
        )
    elif kind == "ticket.rated":
        session.add(
            Rating(
                ticket_id=ticket.id,
                department_code=ticket.department_code,
                level=data["rating"],
                solved=data["solved"],
                channel=data["channel"],
                real_name=ticket.real_name,
                rated_at=now,
                note=data["note"],
            )
        )
    elif kind == "ticket.supplement_requested":
        session.add(
            Supplement(
                ticket_id=ticket.id,
                department_code=data["department"],
                items=data["items"],
                note=data["note"],
                tolerated=data["tolerated"],
                commitment=data["commitment"],
                requested_at=now,
                requested_by=actor.username,
                due=data["due"],
            )
        )
    elif kind in {"ticket.supplement_ended", "ticket.supplemented"}:
        _record_supplement_end(session, ticket, actor, event, now)
    elif kind == "ticket.rectification_opened":
        session.add(
            Rectification(
                ticket_id=ticket.id,
                department_code=ticket.department_code,
                opened_at=now,
                due=data["due"],
            )
        )
    elif kind == "ticket.rectified":
        task = session.scalar(
            select(Rectification)
            .where(Rectification.ticket_id == ticket.id, Rectification.done_at.is_(None))
            .order_by(Rectification.id.desc())
        )
        if task is not None:
            task.done_at = now
            task.verification = data["verification"]
            task.rectification = data["rectification"]
            task.feedback = data["feedback"]


def _record_supplement_end(
    session: Session, ticket: Ticket, actor: Actor, event: WorkflowEvent, now: datetime
) -> None:
    """The wait's end closes its notice and moves the open dispatch's reply deadline with the
    ticket's; what the citizen supplied is written on the notice."""
    notice = session.scalar(
        select(Supplement).where(Supplement.ticket_id == ticket.id).order_by(Supplement.id.desc())
    )
    if event.type == "ticket.supplemented":
        if notice is not None:
            notice.content = event.data["content"]
        return
    if notice is not None and notice.outcome is None:
        notice.outcome, notice.ended_at, notice.ended_by = (
            event.data["outcome"],
            now,
            actor.username,
        )
    _update_open_dispatch(session, ticket, reply_due=event.data["reply_due"])


# ---------------------------------------------------------------- lists


@dataclass
class TicketFilter:
    status: list[str] | None = None
    department: str | None = None
    division: str | None = None
    overdue: bool | None = None
    start: datetime | None = None
    end: datetime | None = None
    text: str | None = None
    phone: str | None = None
    supervised: bool | None = None
    page: int = 1
    page_size: int = 20


def overdue(now: datetime) -> ColumnElement[bool]:
    """Tickets whose running clock is past due: signing while dispatched, replying until the
    reply; a reply clock standing still for the citizen's 补正 is not overdue (it runs during
    a 容缺 acceptance)."""
    return or_(
        and_(Ticket.status == Status.DISPATCHED.value, Ticket.sign_due < now),
        and_(
            Ticket.status.in_([Status.DISPATCHED.value, Status.ACCEPTED.value]),
            Ticket.reply_due < now,
            ~Ticket.reply_clock_paused,
        ),
    )


def _filtered(query: Select[Any], actor: Actor, f: TicketFilter, now: datetime) -> Select[Any]:
    if actor.role == Role.DEPARTMENT:
        # As `visible`: the lead department's tickets and those it co-handles (协办).
        query = query.where(
            or_(
                Ticket.department_code == actor.department,
                json_list_holds(Ticket.co_handlers, actor.department),
            )
        )
    if f.status:
        query = query.where(Ticket.status.in_(f.status))
    if f.department:
        query = query.where(Ticket.department_code == f.department)
    if f.division:
        query = query.where(Ticket.division_code == f.division)
    if f.start:
        query = query.where(Ticket.created_at >= f.start)
    if f.end:
        query = query.where(Ticket.created_at < f.end)
    if f.text:
        pattern = "%" + f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(Ticket.content.like(pattern, escape="\\"), Ticket.number.like(pattern, escape="\\"))
        )
    if f.phone:
        query = query.where(Ticket.citizen_phone == f.phone)
    if f.supervised is not None:
        query = query.where(Ticket.supervised.is_(f.supervised))
    if f.overdue is not None:
        query = query.where(overdue(now) if f.overdue else ~overdue(now))
    return query


def list_tickets(
    session: Session, actor: Actor, f: TicketFilter, now: datetime
) -> tuple[list[Ticket], int]:
    _no_ticket_details_for_monitors(actor)
    if not 1 <= f.page_size <= 200 or f.page < 1:
        raise InvalidInput("分页参数不正确：page ≥ 1，page_size 在 1 到 200 之间")
    total = session.scalar(_filtered(select(func.count(Ticket.id)), actor, f, now)) or 0
    rows = session.scalars(
        _filtered(select(Ticket), actor, f, now)
        .order_by(Ticket.id.desc())
        .offset((f.page - 1) * f.page_size)
        .limit(f.page_size)
    ).all()
    return list(rows), total


# The records a ticket may hold beside its history, by the name the detail gives them.
SIDE_RECORDS: dict[str, type[TicketReturn | Rating | Supervision | Rectification | Supplement]] = {
    "returns": TicketReturn,
    "ratings": Rating,
    "supervisions": Supervision,
    "rectifications": Rectification,
    "supplements": Supplement,
}
# The reads of a ticket's detail, built once: building a statement costs more than running it.
_TICKET_ID = bindparam("ticket_id")
# Plain rows, not entities: nothing changes history, and rows cost a third less to load.
_HISTORY = (
    select(
        TicketAction.action,
        TicketAction.actor,
        TicketAction.role,
        TicketAction.actor_department,
        TicketAction.at,
        TicketAction.from_status,
        TicketAction.to_status,
        TicketAction.data,
    )
    .where(TicketAction.ticket_id == _TICKET_ID)
    .order_by(TicketAction.id)
)
_SIDE_RECORDS_HELD = union_all(
    *(
        select(literal(kind)).where(exists().where(model.ticket_id == _TICKET_ID))
        for kind, model in SIDE_RECORDS.items()
    )
)
_SIDE_RECORDS_OF = {
    kind: select(model).where(model.ticket_id == _TICKET_ID).order_by(model.id)
    for kind, model in SIDE_RECORDS.items()
}


def side_records(session: Session, ticket_id: int) -> dict[str, list[Any]]:
    """Each kind of side record of a ticket, oldest first. Most tickets hold few kinds, so one
    probe says which exist and only those are read (one round trip, not four, for most)."""
    ticket = {"ticket_id": ticket_id}
    held = set(session.scalars(_SIDE_RECORDS_HELD, ticket))
    return {
        kind: list(session.scalars(_SIDE_RECORDS_OF[kind], ticket)) if kind in held else []
        for kind in SIDE_RECORDS
    }


def history(session: Session, ticket_id: int) -> list[Row[Any]]:
    return list(session.execute(_HISTORY, {"ticket_id": ticket_id}))
