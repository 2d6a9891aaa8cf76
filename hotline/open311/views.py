"""``/open311/v2/``: GeoReport v2 in JSON and XML, errors in the spec's format
(``[{"code", "description"}]`` / ``<errors><error>``), whatever goes wrong in a request."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Literal
from xml.etree import ElementTree

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from limits import parse
from pydantic import BaseModel, Field, RootModel
from sqlalchemy.orm import Session

from hotline.deps import services
from hotline.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, HotlineError
from hotline.open311 import admin
from hotline.open311 import service as open311
from hotline.open311.models import Open311Key, Open311Request
from hotline.open311.service import Open311Error
from hotline.services import Services
from hotline.throttle import Limit, Throttle, client_of
from hotline.tickets import service as tickets
from hotline.tickets.views import file_ticket, publish_all, take_number
from hotline.workflow import Actor, Role

PREFIX = "/open311/v2"
# The ticket's columns.
MAX_ADDRESS = 300
MAX_NAME = 64
FORMATS = {"json": "application/json", "xml": "text/xml"}
# The path's ".json"/".xml": any other suffix is the spec's 404, as an unknown resource is.
Format = Literal["json", "xml"]
UNKNOWN_FORMAT = "只支持 .json 和 .xml 两种格式"
# The element of each item of a list, in XML.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _format_of(request: Request) -> str:
    suffix = request.url.path.rpartition(".")[2]
    return suffix if suffix in FORMATS else "json"


def render(fmt: str, root: str, body: Any, status: int = 200, **kwargs: Any) -> Response:
    """``body`` as JSON, or as XML under ``<root>`` (a list's items under their ITEM_TAGS)."""
    if fmt == "json":
        return JSONResponse(body, status_code=status, **kwargs)
    element = _element(root, body)
    xml = ElementTree.tostring(element, encoding="unicode", xml_declaration=True)
    return Response(xml, status_code=status, media_type=FORMATS["xml"], **kwargs)


def _element(tag: str, value: Any) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    if isinstance(value, dict):
        element.extend(_element(key, item) for key, item in value.items())
    elif isinstance(value, list):
        element.extend(_element(ITEM_TAGS[tag], item) for item in value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def error(
    fmt: str, status: int, description: str, headers: dict[str, str] | None = None
) -> Response:
    return render(
        fmt, "errors", [{"code": status, "description": description}], status, headers=headers
    )


class Open311ErrorOut(BaseModel):
    code: int = Field(ge=400, le=599, description="HTTP 状态码")
    description: str = Field(description="中文说明")


class Open311ErrorsOut(RootModel[list[Open311ErrorOut]]):
    """The spec's error body: a list of ``{code, description}`` (``<errors><error>`` in XML)."""


_XML_TEXT = {FORMATS["xml"]: {"schema": {"type": "string"}}}
# "4XX" says every refusal is in the spec's body; it also keeps FastAPI from documenting its own
# 422 body, which these routes never send (a refused parameter is the spec's 400).
_SPEC_ERROR_MEANINGS: dict[int | str, str] = {
    "4XX": "请求有误（GeoReport v2 错误格式）",
    400: "缺少或不符合规范的参数（GeoReport v2 的 400）",
    403: "api_key 无效或已被吊销",
    404: "服务、服务请求或格式不存在",
    429: "请求过于频繁：`Retry-After` 秒后再试",
    503: "数据库暂不可用，稍后再试（Retry-After）",
}
# Every refusal of this router, in the spec's format and the path's (JSON or XML).
SPEC_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Open311ErrorsOut, "description": meaning, "content": _XML_TEXT}
    for status, meaning in _SPEC_ERROR_MEANINGS.items()
}
# A success answers in the path's format as well.
XML_TOO: dict[int | str, dict[str, Any]] = {200: {"content": _XML_TEXT}}


class Open311Route(APIRoute):
    """Every refusal of this router in the spec's error format and the request's format:
    ours (HotlineError: a 422 is the spec's 400), and the parameters FastAPI refuses."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except HotlineError as exc:
                status = 400 if exc.status == 422 else exc.status
                return error(_format_of(request), status, exc.message, exc.headers)
            except RequestValidationError as exc:
                if any(tuple(problem["loc"]) == ("path", "fmt") for problem in exc.errors()):
                    return error(_format_of(request), 404, UNKNOWN_FORMAT)
                return error(_format_of(request), 400, "请求参数有误，请对照 GeoReport v2 规范")
            except DATABASE_UNAVAILABLE:
                retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
                return error(_format_of(request), 503, "数据库暂时无法访问，请稍后重试", retry)

        return handler


georeport = APIRouter(
    prefix=PREFIX, tags=["open311"], route_class=Open311Route, responses=SPEC_ERRORS
)


def _by_address(request: Request) -> None:
    throttle: Throttle = request.app.state.throttle
    throttle.take(throttle.public_requests_per_client, client_of(request))


def _client(request: Request, session: Session, api_key: str) -> Open311Key:
    """The client's live key, counted against its own rate. A wrong one is counted by address,
    as the public API counts its callers."""
    try:
        key = open311.key_for(session, api_key)
    except Open311Error:
        _by_address(request)
        raise
    rate = request.app.state.services.settings.open311_rate
    limit = Limit("open311-key", parse(rate), "该 api_key 请求过于频繁，请 {minutes} 分钟后再试")
    request.app.state.throttle.take(limit, str(key.id))
    return key


def _reader(request: Request, session: Session, api_key: str) -> Open311Key | None:
    """A reader's key where one may be left out; without one, counted by address."""
    if not api_key:
        _by_address(request)
        return None
    return _client(request, session, api_key)


@georeport.get("/discovery.{fmt}", responses=XML_TOO)
def discovery(fmt: Format, request: Request) -> Response:
    _by_address(request)
    endpoint = str(request.base_url).rstrip("/") + PREFIX
    body = {
        "changeset": "2026-12-07T00:00:00+08:00",
        "contact": "12345政务服务便民热线，拨打 12345",
        "key_service": "api_key 由热线中心管理员签发（hotline open311 keys add 客户端名称）",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": endpoint,
                "changeset": "2026-12-07T00:00:00+08:00",
                "type": "production",
                "formats": list(FORMATS.values()),
            }
        ],
    }
    return render(fmt, "discovery", body)


@georeport.get("/services.{fmt}", responses=XML_TOO)
def list_services(
    fmt: Format, request: Request, api_key: str = "", svc: Services = Depends(services)
) -> Response:
    with svc.sessions() as session:
        _reader(request, session, api_key)
        listed = [service.listed() for service in open311.catalogue(session)]
    return render(fmt, "services", listed)


@georeport.get("/services/{service_code}.{fmt}", responses=XML_TOO)
def service_definition(
    service_code: str,
    fmt: Format,
    request: Request,
    api_key: str = "",
    svc: Services = Depends(services),
) -> Response:
    with svc.sessions() as session:
        _reader(request, session, api_key)
        body = open311.definition(session, open311.find_service(session, service_code))
    return render(fmt, "service_definition", body)


@georeport.post("/requests.{fmt}", status_code=201, responses={201: {"content": _XML_TEXT}})
def create_request(
    fmt: Format,
    request: Request,
    api_key: str = Form(""),
    service_code: str = Form(""),
    lat: str = Form(""),
    long: str = Form(""),
    address_string: str = Form(""),
    description: str = Form(""),
    phone: str = Form(""),
    first_name: str = Form(""),
    last_name: str = Form(""),
    kind: str = Form(open311.DEFAULT_TYPE, alias="attribute[type]"),
    division: str = Form("", alias="attribute[division]"),
    svc: Services = Depends(services),
) -> Response:
    """File a request, form-encoded as the spec says, through the one intake path."""
    with svc.sessions() as session:
        key = _client(request, session, api_key)
        if not service_code:
            raise Open311Error(400, "缺少 service_code")
        chosen = open311.find_service(session, service_code)
    name = (last_name + first_name).strip()  # 姓 then 名
    if len(name) > MAX_NAME:
        raise Open311Error(400, f"first_name 与 last_name 合计不能超过 {MAX_NAME} 字")
    if not phone.strip():
        # Our intake calls every citizen back: no number, no ticket.
        raise Open311Error(400, "缺少 phone：受理需要诉求人的联系电话")
    latitude, longitude = open311.coordinates(lat, long, address_string)
    if len(address_string) > MAX_ADDRESS:
        raise Open311Error(400, f"address_string 不能超过 {MAX_ADDRESS} 字")
    data = tickets.NewTicket(
        content=description,
        citizen_phone=phone,
        type=kind or open311.DEFAULT_TYPE,
        citizen_name=name,
        division=division or None,
        channel="api",
        address=address_string.strip(),
        matter_category=chosen.name,
    )
    intake = {"channel": "api", "department": None}
    number = take_number(svc, data, intake)
    client = Actor(username=f"open311:{key.name}"[:64], role=Role.CITIZEN)
    with svc.unit() as (session, outbox):
        ticket, events = file_ticket(svc, session, client, data, intake, number)
        session.add(
            Open311Request(
                ticket_id=ticket.id,
                key_id=key.id,
                service_code=chosen.code,
                lat=latitude,
                long=longitude,
            )
        )
        publish_all(outbox, ticket, events)
    notice = f"已受理，工单号 {number}，承办部门将在办理时限内答复"
    created = [{"service_request_id": number, "service_notice": notice, "account_id": None}]
    return render(fmt, "service_requests", created, status=201)


@georeport.get("/requests.{fmt}", responses=XML_TOO)
def list_requests(
    fmt: Format,
    request: Request,
    api_key: str = "",
    service_request_id: str = "",
    service_code: str = "",
    start_date: str = "",
    end_date: str = "",
    status: str = "",
    svc: Services = Depends(services),
) -> Response:
    wanted = open311.parse_filter(
        svc.time_zone,
        svc.clock(),
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
    )
    with svc.sessions() as session:
        reader = _reader(request, session, api_key)
        found = [
            open311.request_view(session, ticket, filed, reader, svc.time_zone)
            for ticket, filed in open311.find_requests(session, wanted)
        ]
    return render(fmt, "service_requests", found)


@georeport.get("/requests/{service_request_id}.{fmt}", responses=XML_TOO)
def get_request(
    service_request_id: str,
    fmt: Format,
    request: Request,
    api_key: str = "",
    svc: Services = Depends(services),
) -> Response:
    wanted = open311.RequestFilter([service_request_id], [], None, None, [])
    with svc.sessions() as session:
        reader = _reader(request, session, api_key)
        found = open311.find_requests(session, wanted)
        if not found:
            raise Open311Error(404, f"未找到服务请求：{service_request_id}")
        ticket, filed = found[0]
        body = [open311.request_view(session, ticket, filed, reader, svc.time_zone)]
    return render(fmt, "service_requests", body)


@georeport.api_route(
    "/{anything:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
def unknown(anything: str) -> Response:
    """Anything else under the prefix: the spec's 404, not the API's."""
    raise Open311Error(404, "请求的资源不存在")


# What hotline/app.py registers: the standard's routes and the admins' keys.
router = APIRouter()
router.include_router(georeport)
router.include_router(admin.router)
