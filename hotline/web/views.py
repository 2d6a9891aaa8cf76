"""Page routes: each page is a server-rendered shell whose data comes from the JSON API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hotline.deps import Principal, load_principal, principal
from hotline.directory.service import department_name
from hotline.errors import Conflict, HotlineError, NotFound, Unauthorized
from hotline.revisits.links import LinkExpired, find_link
from hotline.services import Services
from hotline.workflow import Role

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)

TOKEN_COOKIE = "hotline_token"
FAVICON_URL = "/static/img/favicon.svg"
ROLE_LABELS = {
    "operator": "接线员",
    "dispatcher": "派单员",
    "department": "承办单位",
    "supervisor": "督办考核",
    "admin": "管理员",
    "monitor": "社会监督员",
}


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    roles: frozenset[str]
    # Keyboard shortcuts shown on the page: (keys, what they do).
    shortcuts: tuple[tuple[str, str], ...] = ()


COMMON_SHORTCUTS = (("Alt+L", "大字版 开/关"),)
PAGES = {
    page.path: page
    for page in (
        Page(
            "/console",
            "接线台",
            frozenset({"operator"}),
            (
                ("Alt+1…4", "一键转接 110 / 119 / 120 / 122"),
                ("Alt+5…9", "转接公用事业热线"),
                ("Alt+T", "三方通话 开/关"),
                ("Alt+B", "示忙 / 示闲"),
                ("Alt+N", "填写诉求内容"),
                ("Alt+A", "智能分析"),
                ("Alt+K", "查知识库"),
                ("Ctrl+Enter", "登记工单"),
            ),
        ),
        Page(
            "/dispatch",
            "派单台",
            frozenset({"dispatcher"}),
            (("J / K", "下一条 / 上一条工单"), ("Alt+D", "派单")),
        ),
        Page(
            "/department",
            "承办单位工作台",
            frozenset({"department"}),
            (("J / K", "下一条 / 上一条工单"), ("Alt+S", "签收")),
        ),
        Page(
            "/supervisor",
            "督办考核",
            frozenset({"supervisor"}),
            (("Alt+R", "刷新统计"),),
        ),
        Page("/oversight", "社会监督", frozenset({"monitor"}), (("Alt+R", "刷新统计"),)),
    )
}
HOME_BY_ROLE = {
    "operator": "/console",
    "dispatcher": "/dispatch",
    "department": "/department",
    "supervisor": "/supervisor",
    "admin": "/supervisor",
    "monitor": "/oversight",
}


def _signed_in(request: Request) -> Principal | None:
    try:
        return load_principal(request)
    except Unauthorized:
        return None


def render_page(request: Request, template: str, **context: Any) -> Response:
    svc: Services = request.app.state.services
    context.setdefault("common_shortcuts", COMMON_SHORTCUTS)
    # The pages count "today", periods and countdowns by the centre's clock and zone, not by
    # the browser's (ui.js): a browser elsewhere, or with a wrong clock, still sees the centre's.
    context["time_zone"] = svc.settings.time_zone
    context["centre_now"] = svc.clock().replace(tzinfo=svc.time_zone).isoformat()
    return templates.TemplateResponse(request, template, context)


@router.get("/")
def home(request: Request) -> Response:
    who = _signed_in(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME_BY_ROLE.get(who.actor.role.value, "/public"), status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    return render_page(request, "login.html", title="登录")


@router.post("/session", status_code=204)
def start_session(request: Request, _: Principal = Depends(principal)) -> Response:
    """Turn a freshly issued bearer token into an HttpOnly cookie, so page script never holds it."""
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    response = Response(status_code=204)
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


@router.post("/logout", status_code=204)
def end_session() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


@router.get("/public")
def public_page(request: Request) -> Response:
    return render_page(request, "public.html", title="12345 市民服务")


@router.get("/public/revisit/{token}")
def revisit_page(token: str, request: Request) -> Response:
    """The text-message link's page. A link that cannot rate says why at once, with its
    status (404 unknown, 409 used, 410 expired), rather than a form that would fail."""
    svc: Services = request.app.state.services
    refusal: HotlineError | None = None
    with svc.sessions() as session:
        try:
            find_link(session, token, svc.clock())
        except (NotFound, Conflict, LinkExpired) as error:
            refusal = error
    response = render_page(
        request,
        "revisit.html",
        title="回访评价",
        refusal=refusal and refusal.message,
    )
    if refusal is not None:
        response.status_code = refusal.status
    return response


def _staff_page(path: str) -> Any:
    page = PAGES[path]

    def show(request: Request) -> Response:
        who = _signed_in(request)
        if who is None:
            return RedirectResponse(f"/login?next={path}", status_code=303)
        role = who.actor.role.value
        if role not in page.roles and role != Role.ADMIN.value:
            return RedirectResponse(HOME_BY_ROLE.get(role, "/public"), status_code=303)
        nav = [p for p in PAGES.values() if role in p.roles or role == Role.ADMIN.value]
        with request.app.state.services.sessions() as session:
            department = department_name(session, who.actor.department)
        return render_page(
            request,
            f"{path.strip('/')}.html",
            title=page.title,
            page=page,
            nav=nav,
            user={
                "name": who.display_name or who.actor.username,
                "role": ROLE_LABELS.get(role, role),
                "department": department,
            },
        )

    return show


for _path in PAGES:
    router.add_api_route(_path, _staff_page(_path), methods=["GET"])


@router.get("/redoc")
def redoc() -> Response:
    """ReDoc is not served (it fetches its logo from a CDN whatever it is told): its address
    leads to the same reference in Swagger UI, served offline."""
    return RedirectResponse("/docs", status_code=308)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """For browsers and tools that ask for it on a page without an icon link (the JSON API)."""
    return FileResponse(STATIC / "img" / "favicon.ico", media_type="image/x-icon")


@router.get("/static/{asset:path}")
def static_asset(asset: str) -> FileResponse:
    path = (STATIC / asset).resolve()
    if not path.is_file() or not path.is_relative_to(STATIC):
        raise NotFound("文件不存在")
    return FileResponse(path, headers={"Cache-Control": "no-cache"})
