"""The calls API: the call list, caller history for the screen pop, one-key transfer, the
operators' softphone queue state (示忙/示闲, 签入/签出) and the call-centre service level."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hotline.calls import service
from hotline.calls.figures import call_figures
from hotline.calls.runner import (
    agent_board,
    bridge_of,
    operator_states,
    queue_state,
    telephony_errors,
)
from hotline.deps import Principal, require, services
from hotline.errors import STAFF_ERRORS, Conflict
from hotline.inputs import Day, PageNumber, PageSize, RowId
from hotline.services import Services, jsonable
from hotline.stats.views import period
from hotline.tickets.views import ticket_summary
from hotline.workflow import Role

router = APIRouter(tags=["calls"], responses=STAFF_ERRORS)
CALL_READERS = require(Role.OPERATOR, Role.SUPERVISOR)
CALLER_READERS = require(Role.OPERATOR)  # and admin: require() always lets an admin in
OPERATORS = require(Role.OPERATOR)
SUPERVISORS = require(Role.SUPERVISOR)
SERVICE_LEVEL_READERS = require(Role.SUPERVISOR, Role.MONITOR)  # 社会监督员 see it too


class TransferIn(BaseModel):
    target: str = Field(min_length=1, max_length=16, description="转接目标代码，如 119、WATER")
    mode: Literal["blind", "attended"] = "blind"


class PauseIn(BaseModel):
    paused: bool
    # AMI values cannot carry line breaks.
    reason: str = Field("", max_length=64, pattern=r"^[^\r\n]*$")


class NoExtension(Conflict):
    code = "no_extension"


@router.get("/api/calls")
def list_calls(
    state: str | None = Query(
        None, description="逗号分隔：ringing,queued,answered,abandoned,ended"
    ),
    operator: str | None = Query(None, description="接线员用户名"),
    start: Day | None = None,
    end: Day | None = None,
    phone: str | None = None,
    page: PageNumber = 1,
    page_size: PageSize = 50,
    who: Principal = Depends(CALL_READERS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Calls, newest first."""
    where = service.CallFilter.parse(state, operator, start, end, phone)
    with svc.unit() as (session, _):
        calls, total = service.list_calls(session, where, page, page_size)
        service.read_callers(session, who.actor, calls, svc.clock(), shown=False, phone=phone)
        tickets = service.tickets_of_calls(session, [call.id for call in calls])
        items = [service.call_dict(c, tickets[c.id], show_phone=False) for c in calls]
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.get("/api/calls/history")
def caller_history(
    phone: str = Query(..., min_length=1, max_length=32),
    who: Principal = Depends(OPERATORS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The caller's calls and tickets in the last 30 days (screen pop)."""
    now = svc.clock()
    with svc.unit() as (session, _):
        history = service.caller_history(session, who.actor, phone, now)
        tickets = service.tickets_of_calls(session, [call.id for call in history.calls])
        return {
            "phone": history.phone,
            "days": service.HISTORY_DAYS,
            "repeat_caller": history.repeat_caller,
            "calls": [service.call_dict(c, tickets[c.id], show_phone=True) for c in history.calls],
            "tickets": [
                ticket_summary(t, who.actor, show_phone=True, now=now) for t in history.tickets
            ],
        }


@router.get("/api/calls/{call_id}")
def get_call(
    call_id: RowId, who: Principal = Depends(CALL_READERS), svc: Services = Depends(services)
) -> dict[str, Any]:
    with svc.unit() as (session, _):
        call = service.get_call(session, call_id)
        tickets = service.tickets_of_calls(session, [call.id])[call.id]
        return service.call_dict(call, tickets, show_phone=False)


@router.get("/api/calls/{call_id}/caller")
def call_caller(
    call_id: RowId, who: Principal = Depends(CALLER_READERS), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The caller's full number, for the screen pop: only the operator whose softphone
    answered the call (or an administrator) reads it, and the read is audited."""
    with svc.unit() as (session, _):
        caller = service.read_caller(session, who.actor, who.extension, call_id, svc.clock())
    return {"call_id": call_id, "caller": caller}


@router.post("/api/calls/{call_id}/transfer", status_code=202)
async def transfer_call(
    call_id: RowId,
    body: TransferIn,
    request: Request,
    who: Principal = Depends(OPERATORS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """One-key transfer; 202: Asterisk took the command, the outcome follows on the call
    (``call.transferred`` events, ``transfers[].result``)."""

    def plan() -> service.TransferPlan:
        with svc.unit() as (session, _):
            return service.plan_transfer(
                session, who.actor, call_id, body.target, body.mode, svc.clock()
            )

    transfer = await run_in_threadpool(plan)
    bridge = bridge_of(request.app)
    with telephony_errors():
        requested = await bridge.ami.transfer(transfer.linkedid, transfer.number, body.mode)
    return {
        "call_id": transfer.call_id,
        "target": transfer.code,
        "dialled": transfer.number,
        "transfer": requested.to_dict(),
    }


# ---------------------------------------------------------------- operators' softphones


def _interface(who: Principal) -> str:
    if not who.extension:
        raise NoExtension("当前账号未绑定软电话分机号，请联系管理员设置")
    return f"PJSIP/{who.extension}"


@router.post("/api/agents/me/status")
async def set_my_status(
    body: PauseIn, request: Request, who: Principal = Depends(OPERATORS)
) -> dict[str, Any]:
    """示忙 (paused) / 示闲 in the queue."""
    bridge = bridge_of(request.app)
    interface = _interface(who)
    with telephony_errors():
        await bridge.ami.queue_pause(interface, body.paused, body.reason)
    return {"interface": interface, "paused": body.paused, "reason": body.reason}


@router.get("/api/agents/me")
def myqueue_state(request: Request, who: Principal = Depends(OPERATORS)) -> dict[str, Any]:
    """The operator's own softphone in the queue, as Asterisk last reported it (``logged_in``
    and ``paused`` are null when no bridge runs in this process, everything is null for an
    account without a softphone: a page asks on every load, so this is not an error)."""
    bridge = request.app.state.call_bridge
    if not who.extension:
        return {"interface": None, **queue_state(None, None)}
    state = operator_states(bridge).get(who.extension)
    return {"interface": f"PJSIP/{who.extension}", **queue_state(bridge, state)}


@router.post("/api/agents/me/login")
async def queue_login(request: Request, who: Principal = Depends(OPERATORS)) -> dict[str, Any]:
    """签入: the operator's softphone joins the queue."""
    bridge = bridge_of(request.app)
    interface = _interface(who)
    with telephony_errors():
        await bridge.ami.queue_login(interface, member_name=who.actor.username)
    return {"interface": interface, "logged_in": True}


@router.post("/api/agents/me/logout")
async def queue_logout(request: Request, who: Principal = Depends(OPERATORS)) -> dict[str, Any]:
    """签出: the operator's softphone leaves the queue."""
    bridge = bridge_of(request.app)
    interface = _interface(who)
    with telephony_errors():
        await bridge.ami.queue_logout(interface)
    return {"interface": interface, "logged_in": False}


@router.get("/api/agents")
def list_agents(
    request: Request, _: Principal = Depends(SUPERVISORS), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Operators with a softphone and their queue state as Asterisk last reported it
    (``logged_in``/``paused`` are null when no bridge runs in this process)."""
    with svc.sessions() as session:
        return agent_board(request.app.state.call_bridge, session)


# ---------------------------------------------------------------- service level


@router.get("/api/stats/calls")
def call_stats(
    start: Day | None = None,
    end: Day | None = None,
    _: Principal = Depends(SERVICE_LEVEL_READERS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """15-second answer rate, abandonment, average wait and handle time (docs/kpis.md)."""
    first, last = period(start, end, svc.clock().date())
    with svc.sessions() as session:
        return jsonable(call_figures(session, first, last))
