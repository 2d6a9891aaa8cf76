"""Open311 GeoReport v2 over the centre's data: the catalogue of services, clients' keys, and
requests as the standard shows them. No HTTP here (views.py); no personal data leaves here."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.audit.service import record
from hotline.auth.service import digest_secret
from hotline.directory.models import Department, Division
from hotline.directory.service import department_name
from hotline.errors import Conflict, HotlineError, InvalidInput, NotFound
from hotline.inputs import FIRST_DAY, LAST_DAY
from hotline.open311.models import Open311Key, Open311Request
from hotline.tickets.models import Ticket, TicketAction
from hotline.workflow import Actor, Status
from hotline.workflow.states import OPEN_STATUSES, STATUS_LABELS, TICKET_TYPES

# What the spec allows one look-up to span and return.
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
CENTRE_NAME = "12345政务服务便民热线"
# Actions whose text is the answer the citizen gets (the department's reply, or the centre's
# answer on the call).
ANSWERS = ("reply", "close-direct")
DEFAULT_TYPE = "求助"  # as on the public web form


class Open311Error(HotlineError):
    """Said in the spec's error format; ``status`` is also the error's ``code``."""

    code = "open311"

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    department_code: str
    department_name: str

    def listed(self) -> dict[str, Any]:
        return {
            "service_code": self.code,
            "service_name": self.name,
            "description": f"{self.name}（{self.department_name}）",
            "metadata": True,
            "type": "realtime",
            "keywords": self.name,
            "group": self.department_name,
        }


def catalogue(session: Session) -> list[Service]:
    """The matter categories, grouped by department: each active department's (and public
    utility's) 职责范围, one service per matter, coded by department and position (GA-01)."""
    departments = session.scalars(
        select(Department)
        .where(Department.active, Department.kind.in_(("department", "utility")))
        .order_by(Department.code)
    )
    return [
        Service(f"{dept.code}-{position:02d}", matter, dept.code, dept.name)
        for dept in departments
        for position, matter in enumerate(dept.scope.split(), start=1)
    ]


def find_service(session: Session, code: str) -> Service:
    found = next((service for service in catalogue(session) if service.code == code), None)
    if found is None:
        raise Open311Error(404, f"未知的服务代码：{code}")
    return found


def definition(session: Session, service: Service) -> dict[str, Any]:
    """The service's attributes: what our intake asks beyond the standard's fields."""
    divisions = session.scalars(select(Division).order_by(Division.code))
    return {
        "service_code": service.code,
        "attributes": [
            _attribute(
                "type",
                1,
                f"诉求类型，默认{DEFAULT_TYPE}",
                [(kind, kind) for kind in TICKET_TYPES],
            ),
            _attribute(
                "division",
                2,
                "所在区县（选填），用于分级派单",
                [(division.code, division.name) for division in divisions],
            ),
        ],
    }


def _attribute(
    code: str, order: int, description: str, values: list[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "variable": True,
        "code": code,
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": None,
        "order": order,
        "description": description,
        "values": [{"key": key, "name": name} for key, name in values],
    }


def issue_key(session: Session, actor: Actor, name: str, now: datetime) -> str:
    """A new client's key, returned once; only its hash is stored."""
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput("客户端名称不能为空，且不超过 64 字", field="name")
    if session.scalar(select(Open311Key).where(Open311Key.name == name)) is not None:
        raise Conflict(f"客户端名称已存在：{name}")
    api_key = secrets.token_urlsafe(32)
    session.add(Open311Key(name=name, key_hash=digest_secret(api_key), issued_at=now))
    record(session, actor, "open311.key_issued", "open311_key", name, now)
    return api_key


def revoke_key(session: Session, actor: Actor, name: str, now: datetime) -> None:
    key = session.scalar(select(Open311Key).where(Open311Key.name == name))
    if key is None:
        raise NotFound(f"没有名为 {name} 的客户端")
    if key.revoked_at is None:
        key.revoked_at = now
        record(session, actor, "open311.key_revoked", "open311_key", name, now)


def keys(session: Session) -> list[Open311Key]:
    return list(session.scalars(select(Open311Key).order_by(Open311Key.name)))


def key_for(session: Session, api_key: str) -> Open311Key:
    """The live key presented; a missing one is 400, an unknown or revoked one 403."""
    if not api_key:
        raise Open311Error(400, "缺少 api_key")
    key = session.scalar(select(Open311Key).where(Open311Key.key_hash == digest_secret(api_key)))
    if key is None or key.revoked_at is not None:
        raise Open311Error(403, "api_key 无效或已被吊销")
    return key


def coordinates(lat: str, long: str, address: str) -> tuple[float | None, float | None]:
    """The place: ``lat`` with ``long``, or ``address_string``, as the spec requires."""
    if not lat and not long:
        if not address.strip():
            raise Open311Error(400, "请提供位置：lat 和 long，或 address_string")
        return None, None
    try:
        latitude, longitude = float(lat), float(long)
    except ValueError:
        raise Open311Error(400, "lat 和 long 必须同时提供，且为数字") from None
    if not (math.isfinite(latitude) and math.isfinite(longitude)) or not (
        -90 <= latitude <= 90 and -180 <= longitude <= 180
    ):
        raise Open311Error(400, "lat 须在 -90 到 90 之间，long 须在 -180 到 180 之间")
    return latitude, longitude


@dataclass
class RequestFilter:
    ids: list[str]
    service_codes: list[str]
    start: datetime | None
    end: datetime | None
    statuses: list[str]


def parse_filter(
    zone: ZoneInfo,
    now: datetime,
    *,
    service_request_id: str,
    service_code: str,
    start_date: str,
    end_date: str,
    status: str,
) -> RequestFilter:
    """The spec's filters. Ids override the rest; the dates default to the last 90 days and
    may not span more; statuses are open and closed."""
    ids = _listed(service_request_id)
    statuses = _listed(status)
    unknown = set(statuses) - {"open", "closed"}
    if unknown:
        raise Open311Error(400, "status 只能是 open 或 closed")
    start, end = _moment(start_date, "start_date", zone), _moment(end_date, "end_date", zone)
    if start is None and end is None:
        start = now - MAX_SPAN
    elif start is None:
        start = end - MAX_SPAN  # type: ignore[operator]
    elif end is None:
        end = start + MAX_SPAN
    if end is not None and end < start:
        raise Open311Error(400, "end_date 不能早于 start_date")
    if end is not None and end - start > MAX_SPAN:
        raise Open311Error(400, "start_date 与 end_date 相距不能超过 90 天")
    return RequestFilter(ids, _listed(service_code), start, end, statuses)


def _listed(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _moment(raw: str, field: str, zone: ZoneInfo) -> datetime | None:
    """A W3C datetime as the centre's naive local time (how tickets store theirs), within the
    platform's dates: 9999-12-31 plus the 90 days, or 0001-01-01 moved to our zone, overflows."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Open311Error(
            400, f"{field} 须为 W3C 日期时间，如 2026-11-23T09:00:00+08:00"
        ) from None
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise Open311Error(400, f"{field} 须在 {FIRST_DAY} 至 {LAST_DAY} 之间")
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment


def find_requests(session: Session, wanted: RequestFilter) -> list[tuple[Ticket, Open311Request]]:
    """Tickets filed through Open311 only: the other channels' stay with the centre."""
    query = select(Ticket, Open311Request).join(
        Open311Request, Open311Request.ticket_id == Ticket.id
    )
    if wanted.ids:
        query = query.where(Ticket.number.in_(wanted.ids))
    else:
        if wanted.service_codes:
            query = query.where(Open311Request.service_code.in_(wanted.service_codes))
        if wanted.start is not None:
            query = query.where(Ticket.created_at >= wanted.start)
        if wanted.end is not None:
            query = query.where(Ticket.created_at <= wanted.end)
        if wanted.statuses == ["open"]:
            query = query.where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        elif wanted.statuses == ["closed"]:
            query = query.where(Ticket.status.not_in([s.value for s in OPEN_STATUSES]))
    rows = session.execute(query.order_by(Ticket.id.desc()).limit(MAX_RESULTS)).all()
    return [(ticket, filed) for ticket, filed in rows]


def request_view(
    session: Session,
    ticket: Ticket,
    filed: Open311Request,
    reader: Open311Key | None,
    zone: ZoneInfo,
) -> dict[str, Any]:
    """A request as the spec shows it. Never the citizen's phone or name. What the citizen
    wrote, where, and the answer are shown only to the client that filed it (as the public
    look-up shows them only with the phone); anyone else reads the progress."""
    shown = ticket
    if ticket.merged_into_id:
        # Merged tickets share one handling: the lead ticket's progress is this one's.
        shown = session.get(Ticket, ticket.merged_into_id) or ticket
    service_name = ticket.matter_category or filed.service_code
    own = reader is not None and reader.id == filed.key_id
    label = STATUS_LABELS[Status(shown.status)]
    answer = _answer(session, shown) if own else None
    return {
        "service_request_id": ticket.number,
        "status": "open" if Status(shown.status) in OPEN_STATUSES else "closed",
        "status_notes": answer or label,
        "service_name": service_name,
        "service_code": filed.service_code,
        "description": ticket.content if own else None,
        "agency_responsible": department_name(session, shown.department_code) or CENTRE_NAME,
        "service_notice": None,
        "requested_datetime": _w3c(ticket.created_at, zone),
        "updated_datetime": _w3c(shown.updated_at, zone),
        "expected_datetime": _w3c(shown.reply_due, zone),
        "address": ticket.address if own else None,
        "address_id": None,
        "zipcode": None,
        "lat": filed.lat if own else None,
        "long": filed.long if own else None,
        "media_url": None,
    }


def _answer(session: Session, ticket: Ticket) -> str | None:
    latest = session.scalars(
        select(TicketAction)
        .where(TicketAction.ticket_id == ticket.id, TicketAction.action.in_(ANSWERS))
        .order_by(TicketAction.id.desc())
    ).first()
    if latest is None:
        return None
    return latest.data.get("content") or latest.data.get("answer")


def _w3c(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.replace(tzinfo=zone).isoformat(timespec="seconds") if moment else None
