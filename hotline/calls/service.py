"""Calls in the database: the tracker's snapshots stored idempotently, listing, caller history,
transfers (planning one, and writing its outcome on the call's tickets).

Functions take a ``Session``; nothing here talks to Asterisk (see ``runner.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hotline.audit.service import record as audit
from hotline.audit.service import record_read
from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.directory.models import TransferTarget
from hotline.errors import Conflict, Forbidden, InvalidInput, NotFound
from hotline.events.core import SHANGHAI
from hotline.phones import caller_id, mask_phone, normalize_phone
from hotline.services import jsonable
from hotline.stats.service import check_period, period_bounds
from hotline.tickets.models import Ticket, TicketAction
from hotline.workflow import Actor, Role
from telephony.calls import CallSnapshot, TransferSnapshot

CALL_STATES = ("ringing", "queued", "answered", "abandoned", "ended")
# A stored call only moves forward: a late or replayed snapshot never reopens it.
STATE_RANK = {"ringing": 0, "queued": 1, "answered": 2, "ended": 3, "abandoned": 3}
FINISHED_STATES = frozenset({"ended", "abandoned"})
SETTLED_TRANSFER_RESULTS = frozenset({"success", "busy", "no_answer", "failed"})
TRANSFER_RESULT_LABELS = {
    "success": "转接成功",
    "busy": "对方忙",
    "no_answer": "无人接听",
    "failed": "转接失败",
}
HISTORY_DAYS = 30
# Columns filled once: the first bridge to know a value wins, so a resync (which only knows
# "now") or a second bridge never rewrites when the caller queued or was answered.
_FILL_ONCE = (
    "queue",
    "queue_entered_at",
    "answered_at",
    "answered_by",
    "wait_seconds",
    "ended_at",
    "hangup_cause",
    "stream_uuid",
    "revisit_ticket_number",
)


def local_time(timestamp: float | None) -> datetime | None:
    """A POSIX timestamp from Asterisk as the naive Asia/Shanghai time the app stores."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, SHANGHAI).replace(tzinfo=None)


# ---------------------------------------------------------------- storing what the tracker saw


@dataclass(frozen=True)
class StoredChange:
    """What one snapshot changed: the row, and the transfers whose outcome became known."""

    call: Call
    settled_transfers: list[dict[str, Any]]


def store_snapshot(session: Session, snapshot: CallSnapshot) -> StoredChange | None:
    """Upsert the call by Linkedid; None when nothing changed (a replay) or for the operator's
    consultation leg of an attended transfer, which is not a citizen's call."""
    if snapshot.consultation_for is not None:
        return None
    call = session.scalar(select(Call).where(Call.linkedid == snapshot.linkedid))
    # However the trunk presents the number (+86…, a trunk 0, …), the citizen's stored form.
    caller = caller_id(snapshot.caller_number)
    if snapshot.revisit_ticket is not None:
        # A revisit call's caller ID is the centre's own (Originate's CallerID): the citizen
        # is whoever the revisit of that ticket dialled.
        revisited = session.scalar(select(Ticket).where(Ticket.number == snapshot.revisit_ticket))
        caller = revisited.citizen_phone if revisited is not None else ""
    if call is None:
        call = Call(
            linkedid=snapshot.linkedid,
            caller=caller,
            state=snapshot.state,
            started_at=local_time(snapshot.started_at),
            transfers=[],
            priority=False,
        )
        session.add(call)
        before: tuple[Any, ...] | None = None
    else:
        before = _row_values(call)
    if caller and not call.caller:
        call.caller = caller
    if STATE_RANK[snapshot.state] > STATE_RANK[call.state]:
        call.state = snapshot.state
    fresh = {
        "queue": snapshot.queue,
        "queue_entered_at": local_time(snapshot.queue_entered_at),
        "answered_at": local_time(snapshot.answered_at),
        "answered_by": snapshot.answered_by,
        "wait_seconds": snapshot.wait_seconds,
        "ended_at": local_time(snapshot.ended_at),
        "hangup_cause": snapshot.hangup_cause,
        "stream_uuid": snapshot.stream_uuid,
        "revisit_ticket_number": snapshot.revisit_ticket,
    }
    for column in _FILL_ONCE:
        if getattr(call, column) is None and fresh[column] is not None:
            setattr(call, column, fresh[column])
    if call.operator is None and call.answered_by:
        call.operator = session.scalar(
            select(User.username).where(User.extension == call.answered_by)
        )
    settled = _merge_transfers(call, snapshot.transfers)
    if before is not None and _row_values(call) == before:
        return None
    session.flush()
    return StoredChange(call, settled)


def _row_values(call: Call) -> tuple[Any, ...]:
    return (
        call.caller,
        call.state,
        call.operator,
        *(getattr(call, column) for column in _FILL_ONCE),
        [dict(transfer) for transfer in call.transfers],
    )


def _merge_transfers(call: Call, transfers: tuple[TransferSnapshot, ...]) -> list[dict[str, Any]]:
    """Stored transfers are kept (a restarted bridge no longer knows them); the tracker's are
    matched by (target, mode, requested_at) and their result follows the tracker's, except
    that a result once known never goes back to pending. Returns the newly settled ones."""
    merged = [dict(transfer) for transfer in call.transfers]
    settled = []
    for snapshot in transfers:
        seen = {
            "target": snapshot.target,
            "mode": snapshot.mode,
            "result": snapshot.result,
            "requested_at": jsonable(local_time(snapshot.requested_at)),
        }
        key = (seen["target"], seen["mode"], seen["requested_at"])
        stored = next(
            (t for t in merged if (t["target"], t["mode"], t["requested_at"]) == key), None
        )
        if stored is None:
            merged.append(seen)
            stored = seen
        elif seen["result"] == "pending" or seen["result"] == stored["result"]:
            continue
        else:
            stored["result"] = seen["result"]
        if stored["result"] in SETTLED_TRANSFER_RESULTS:
            settled.append(stored)
    if merged != call.transfers:
        call.transfers = merged  # a new list, so that SQLAlchemy sees the JSON change
    return settled


def record_transfers_on_tickets(
    session: Session, call: Call, transfers: list[dict[str, Any]], now: datetime
) -> None:
    """A ``transfer`` history row on each ticket of the call (no change of workflow state)."""
    if not transfers:
        return
    for ticket in session.scalars(select(Ticket).where(Ticket.call_id == call.id)):
        for transfer in transfers:
            _transfer_history(session, ticket, call, transfer, now)


def _transfer_history(
    session: Session, ticket: Ticket, call: Call, transfer: dict[str, Any], now: datetime
) -> None:
    session.add(
        TicketAction(
            ticket_id=ticket.id,
            action="transfer",
            actor=call.operator or "system",
            role="operator" if call.operator else "system",
            at=now,
            from_status=ticket.status,
            to_status=ticket.status,
            data={
                "call_id": call.id,
                "target": transfer["target"],
                "mode": transfer["mode"],
                "result": transfer["result"],
                "result_label": TRANSFER_RESULT_LABELS[transfer["result"]],
                "requested_at": transfer["requested_at"],
            },
        )
    )


def requested_call(session: Session, body: dict[str, Any]) -> Call | None:
    """The call a creation request names by ``call_id``; also its ``ticket_intake_checks``
    check, so a request naming no such call is refused before it takes a number."""
    call_id = body.get("call_id")
    if call_id is None:
        return None
    call = session.get(Call, call_id)
    if call is None:
        raise InvalidInput(f"来电记录 {call_id} 不存在", field="call_id")
    return call


def link_ticket_to_call(session: Session, ticket: Ticket, body: dict[str, Any]) -> None:
    """Ticket-created hook: ``call_id`` in the request links the ticket to its call, and the
    call's transfers already settled go into the ticket's history."""
    call = requested_call(session, body)
    if call is None:
        return
    ticket.call_id = call.id
    for transfer in call.transfers:
        if transfer["result"] in SETTLED_TRANSFER_RESULTS:
            _transfer_history(session, ticket, call, transfer, ticket.created_at)


# ---------------------------------------------------------------- reading


def call_dict(call: Call, ticket_ids: list[int], *, show_phone: bool) -> dict[str, Any]:
    return jsonable(
        {
            "id": call.id,
            "linkedid": call.linkedid,
            "caller": call.caller if show_phone else mask_phone(call.caller),
            "state": call.state,
            "queue": call.queue,
            "answered_by": call.answered_by,
            "operator": call.operator,
            "wait_seconds": call.wait_seconds,
            "started_at": call.started_at,
            "queue_entered_at": call.queue_entered_at,
            "answered_at": call.answered_at,
            "ended_at": call.ended_at,
            "hangup_cause": call.hangup_cause,
            "stream_uuid": call.stream_uuid,
            "priority": call.priority,
            "revisit_ticket": _revisit_ticket(call),
            "transfers": [
                {
                    "target": t["target"],
                    "mode": t["mode"],
                    "result": t["result"],
                    "requested_at": t["requested_at"],
                }
                for t in call.transfers
            ],
            "tickets": ticket_ids,
        }
    )


def _revisit_ticket(call: Call) -> dict[str, Any] | None:
    """The ticket a revisit call transferred on 0 is about (its id when the number is known)."""
    if call.revisit_ticket_number is None:
        return None
    ticket = call.revisit_ticket
    return {"number": call.revisit_ticket_number, "id": ticket.id if ticket else None}


def read_callers(
    session: Session,
    actor: Actor,
    calls: list[Call],
    now: datetime,
    *,
    shown: bool,
    phone: str | None = None,
) -> None:
    """Audits, in one row, the callers' numbers a request shows unmasked and its search by
    ``phone``, if any."""
    ids = [call.id for call in calls] if shown else []
    searched = mask_phone(normalize_phone(phone)) if phone else None
    record_read(session, actor, "call", ids, now, fields=["phone"], searched_phone=searched)


def tickets_of_calls(session: Session, call_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {call_id: [] for call_id in call_ids}
    if call_ids:
        rows = session.execute(
            select(Ticket.call_id, Ticket.id)
            .where(Ticket.call_id.in_(call_ids))
            .order_by(Ticket.id)
        )
        for call_id, ticket_id in rows:
            found[call_id].append(ticket_id)
    return found


def get_call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound(f"来电记录 {call_id} 不存在")
    return call


class NotYourCall(Forbidden):
    code = "not_your_call"


def read_caller(
    session: Session, actor: Actor, extension: str | None, call_id: int, now: datetime
) -> str:
    """The full caller number of a call, for the operator whose softphone answered it (an
    administrator too); an audited read of personal data. Everyone else sees it masked."""
    call = get_call(session, call_id)
    answered_here = extension is not None and call.answered_by == extension
    if actor.role != Role.ADMIN and not (answered_here or call.operator == actor.username):
        raise NotYourCall("这通电话不是您接听的，不能查看完整来电号码")
    audit(session, actor, "read_personal_data", "call", call.id, now, fields=["caller"])
    return call.caller


@dataclass(frozen=True)
class CallFilter:
    states: tuple[str, ...] = ()
    operator: str | None = None
    start: date | None = None
    end: date | None = None
    phone: str | None = None

    @classmethod
    def parse(
        cls,
        state: str | None,
        operator: str | None,
        start: date | None,
        end: date | None,
        phone: str | None,
    ) -> CallFilter:
        states = tuple(s.strip() for s in (state or "").split(",") if s.strip())
        unknown = [s for s in states if s not in CALL_STATES]
        if unknown:
            raise InvalidInput(
                f"未知的通话状态：{'、'.join(unknown)}（可选：{'、'.join(CALL_STATES)}）",
                field="state",
            )
        check_period(start, end)
        return cls(states, operator or None, start, end, phone or None)


def list_calls(
    session: Session, where: CallFilter, page: int, page_size: int
) -> tuple[list[Call], int]:
    """Newest first."""
    query = select(Call)
    if where.states:
        query = query.where(Call.state.in_(where.states))
    if where.operator:
        query = query.where(Call.operator == where.operator)
    if where.start:
        query = query.where(Call.started_at >= period_bounds(where.start, where.start)[0])
    if where.end:
        query = query.where(Call.started_at < period_bounds(where.end, where.end)[1])
    if where.phone:
        query = query.where(Call.caller == normalize_phone(where.phone, field="phone"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    calls = session.scalars(
        query.order_by(Call.started_at.desc(), Call.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list(calls), total


@dataclass(frozen=True)
class CallerHistory:
    phone: str
    calls: list[Call]
    tickets: list[Ticket]
    repeat_caller: bool


def caller_history(session: Session, actor: Actor, raw_phone: str, now: datetime) -> CallerHistory:
    """The caller's calls and tickets of the last 30 days, for the screen pop. The newest call
    is taken as the one in progress: a repeat caller is one with any OTHER call, or a ticket
    not filed from that call, in the window."""
    phone = normalize_phone(raw_phone, field="phone")
    since = now - timedelta(days=HISTORY_DAYS)
    calls = list(
        session.scalars(
            select(Call)
            .where(Call.caller == phone, Call.started_at >= since)
            .order_by(Call.started_at.desc(), Call.id.desc())
        )
    )
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.citizen_phone == phone, Ticket.created_at >= since)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        )
    )
    current = calls[0].id if calls else None
    earlier_tickets = [t for t in tickets if current is None or t.call_id != current]
    audit(session, actor, "read_personal_data", "caller", mask_phone(phone), now, fields=["phone"])
    return CallerHistory(phone, calls, tickets, bool(calls[1:] or earlier_tickets))


# ---------------------------------------------------------------- one-key transfer


class UnknownTransferTarget(NotFound):
    code = "unknown_transfer_target"


class CallFinished(Conflict):
    code = "call_finished"


class NoOperatorOnCall(Conflict):
    code = "no_operator_on_call"


@dataclass(frozen=True)
class TransferPlan:
    call_id: int
    linkedid: str
    code: str
    number: str  # what the transfer context dials


def plan_transfer(
    session: Session, actor: Actor, call_id: int, code: str, mode: str, now: datetime
) -> TransferPlan:
    """Check the request against the database and audit it; the bridge then sends it."""
    target = session.get(TransferTarget, code.strip().upper())
    if target is None:
        raise UnknownTransferTarget(f"转接目标 {code} 不存在")
    call = get_call(session, call_id)
    if call.state in FINISHED_STATES:
        raise CallFinished("该通话已结束，无法转接", state=call.state)
    # Only an answered call is transferred: before an answer Asterisk can only Redirect the
    # caller, and the tracker would then take the target's answer for the operator's.
    if call.answered_at is None:
        raise NoOperatorOnCall("接线员尚未接起该通话，无法转接", state=call.state)
    audit(session, actor, "call.transfer", "call", call.id, now, target=target.code, mode=mode)
    return TransferPlan(call.id, call.linkedid, target.code, target.number or target.code)


# ---------------------------------------------------------------- operators


def operators_with_extension(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.extension.is_not(None), User.active.is_(True))
            .where(or_(User.role == "operator", User.role == "admin"))
            .order_by(User.extension)
        )
    )
