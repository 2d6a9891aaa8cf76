"""The wallboard: its page (/wallboard), its one summary (GET /api/wallboard), a live stream
that says only that something changed, and the kiosk tokens an admin issues for wall displays.

Who may look: supervisors and admins signed in, or a wall display holding a live kiosk token
(in the ``hotline_kiosk`` cookie, set once from ``/wallboard?kiosk=…``). The kiosk cookie is
read here and nowhere else, so it opens the wallboard and nothing more: read-only by design."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hotline.audit.service import record
from hotline.deps import Principal, load_principal, require, services
from hotline.errors import STAFF_ERRORS, Forbidden, Unauthorized
from hotline.events import Event
from hotline.inputs import RowId
from hotline.services import Services, jsonable
from hotline.wallboard import service
from hotline.web.views import HOME_BY_ROLE, TOKEN_COOKIE, render_page
from hotline.workflow import Actor, Role

# Viewers are 401/403 (no login, another role, a dead kiosk token); a revoke may be a 404.
router = APIRouter(tags=["wallboard"], responses=STAFF_ERRORS)
KIOSK_COOKIE = "hotline_kiosk"
ADMINS = require()  # admin only: require() always lets an admin in
VIEWER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


class KioskTokenIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64, description="大屏名称，如 二楼大厅大屏")


def _kiosk_actor(name: str) -> Actor:
    """The audit trail's name for a wall display."""
    return Actor(username=f"kiosk:{name}"[:64], role=Role.MONITOR)


def _staff_token_present(request: Request) -> bool:
    return bool(request.headers.get("authorization") or request.cookies.get(TOKEN_COOKIE))


@dataclass(frozen=True)
class Viewer:
    name: str  # a supervisor's or admin's username, or the wall display's name
    kiosk: bool


def _viewer_sync(request: Request) -> Viewer:
    """Who is looking; 401 without a login or a live kiosk token, 403 for other roles."""
    if _staff_token_present(request):
        who = load_principal(request)
        if who.actor.role not in VIEWER_ROLES:
            raise Forbidden("当前角色无权查看大屏")
        return Viewer(who.actor.username, kiosk=False)
    token = request.cookies.get(KIOSK_COOKIE)
    if not token:
        raise Unauthorized("请先登录，或使用管理员发放的大屏令牌")
    svc: Services = request.app.state.services
    with svc.sessions() as session:
        return Viewer(service.check_kiosk_token(session, token).name, kiosk=True)


async def viewer(request: Request) -> Viewer:
    return await run_in_threadpool(_viewer_sync, request)


# ---------------------------------------------------------------- the page


@router.get("/wallboard", include_in_schema=False)
def wallboard_page(request: Request, kiosk: str | None = None) -> Response:
    svc: Services = request.app.state.services
    if kiosk:
        # The token leaves the address bar at once: it lives on in an HttpOnly cookie.
        with svc.unit() as (session, _):
            found = service.check_kiosk_token(session, kiosk)
            record(
                session,
                _kiosk_actor(found.name),
                "kiosk_token.opened",
                "kiosk_token",
                found.id,
                svc.clock(),
            )
        response = RedirectResponse("/wallboard", status_code=303)
        response.set_cookie(KIOSK_COOKIE, kiosk, httponly=True, samesite="strict", path="/")
        return response
    try:
        _viewer_sync(request)
    except Unauthorized:
        return RedirectResponse("/login?next=/wallboard", status_code=303)
    except Forbidden:
        role = load_principal(request).actor.role.value
        return RedirectResponse(HOME_BY_ROLE.get(role, "/public"), status_code=303)
    return render_page(request, "wallboard.html", title="12345 热线运行大屏")


# ---------------------------------------------------------------- the figures, live


@router.get("/api/wallboard")
def wallboard(
    request: Request, _: Viewer = Depends(viewer), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Everything the wall shows, for the centre's day (its clock and zone). Figures only: no
    citizen's name, phone or words."""
    with svc.sessions() as session:
        return jsonable(service.summary(session, request.app.state.call_bridge, svc.clock()))


@router.get(
    "/api/wallboard/stream",
    response_class=StreamingResponse,
    responses={200: {"description": "服务器推送事件流", "content": {"text/event-stream": {}}}},
)
async def wallboard_stream(
    request: Request, who: Viewer = Depends(viewer), svc: Services = Depends(services)
) -> StreamingResponse:
    """Server-sent events naming only the type of each change (``event: changed``), so the wall
    asks for the summary again; a revoked kiosk token ends the stream (``event: revoked``)."""
    from hotline.app import until_set  # the app imports this module: resolved when serving

    def still_allowed() -> bool:
        try:
            _viewer_sync(request)
        except (Unauthorized, Forbidden):
            return False
        return True

    async def events() -> AsyncIterator[str]:
        yield ": connected\n\n"
        async for event in until_set(request.app.state.closing, svc.bus.listen()):
            if await request.is_disconnected():
                break
            if who.kiosk and not await run_in_threadpool(still_allowed):
                yield "event: revoked\ndata: {}\n\n"
                break
            yield f"event: changed\ndata: {json.dumps({'type': event.type})}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


# ---------------------------------------------------------------- kiosk tokens (admin)


@router.post("/api/wallboard/kiosk-tokens", status_code=201)
def issue_kiosk_token(
    body: KioskTokenIn, who: Principal = Depends(ADMINS), svc: Services = Depends(services)
) -> dict[str, Any]:
    """A read-only token for one wall display; the token is shown in this answer only."""
    with svc.unit() as (session, _):
        kiosk, token = service.issue_kiosk_token(session, who.actor, body.name, svc.clock())
        return jsonable(
            {**service.kiosk_dict(kiosk), "token": token, "url": f"/wallboard?kiosk={token}"}
        )


@router.get("/api/wallboard/kiosk-tokens")
def list_kiosk_tokens(
    _: Principal = Depends(ADMINS), svc: Services = Depends(services)
) -> dict[str, Any]:
    with svc.sessions() as session:
        return {"items": [jsonable(service.kiosk_dict(k)) for k in service.kiosk_tokens(session)]}


@router.delete("/api/wallboard/kiosk-tokens/{token_id}")
def revoke_kiosk_token(
    token_id: RowId, who: Principal = Depends(ADMINS), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Revoke at once: the display's next request is refused, its live stream ends."""
    with svc.unit() as (session, outbox):
        kiosk = jsonable(
            service.kiosk_dict(
                service.revoke_kiosk_token(session, who.actor, token_id, svc.clock())
            )
        )
        # Every wallboard stream hears it and checks its token: the wall stops at once.
        outbox.events.append(Event(type="kiosk_token.revoked", payload={"id": kiosk["id"]}))
        return kiosk
