"""Reference data over the API: read by everyone signed in, edited by admins."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select

from hotline.audit.service import record
from hotline.deps import Principal, principal, require, services
from hotline.directory import service
from hotline.directory.models import Department, Division, RoutingRule, TransferTarget
from hotline.errors import STAFF_ERRORS
from hotline.services import Services

router = APIRouter(prefix="/api", tags=["directory"], responses=STAFF_ERRORS)


def _department(d: Department) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "kind": d.kind,
        "scope": d.scope,
        "parent": d.parent_code,
        "division": d.division_code,
        "active": d.active,
    }


@router.get("/departments")
def departments(
    _: Principal = Depends(principal), svc: Services = Depends(services)
) -> list[dict[str, Any]]:
    with svc.sessions() as session:
        return [
            _department(d) for d in session.scalars(select(Department).order_by(Department.code))
        ]


class DepartmentIn(BaseModel):
    code: str
    name: str = Field(max_length=100)
    kind: Literal["department", "utility", "unit"] = "department"
    scope: str = ""
    parent_code: str | None = None
    division_code: str | None = None
    active: bool = True


@router.put("/departments/{code}")
def put_department(
    code: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^\S+$")],
    body: DepartmentIn,
    who: Principal = Depends(require()),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    with svc.unit() as (session, _):
        row = service.upsert_department(session, {**body.model_dump(), "code": code})
        record(session, who.actor, "department.upsert", "department", code, svc.clock())
        return _department(row)


@router.get("/divisions")
def divisions(
    _: Principal = Depends(principal), svc: Services = Depends(services)
) -> list[dict[str, Any]]:
    with svc.sessions() as session:
        return [
            {"code": d.code, "name": d.name, "aliases": d.aliases, "kind": d.kind}
            for d in session.scalars(select(Division).order_by(Division.code))
        ]


@router.get("/transfer-targets")
def transfer_targets(
    _: Principal = Depends(principal), svc: Services = Depends(services)
) -> list[dict[str, Any]]:
    with svc.sessions() as session:
        return [
            {"code": t.code, "number": t.number, "name": t.name, "kind": t.kind, "when": t.when}
            for t in session.scalars(
                select(TransferTarget).order_by(TransferTarget.kind, TransferTarget.code)
            )
        ]


class RoutingRuleIn(BaseModel):
    unit: str


@router.get("/routing-rules")
def routing_rules(
    _: Principal = Depends(principal), svc: Services = Depends(services)
) -> list[dict[str, str]]:
    with svc.sessions() as session:
        return [
            {"department": r.department_code, "division": r.division_code, "unit": r.unit_code}
            for r in session.scalars(select(RoutingRule).order_by(RoutingRule.id))
        ]


@router.put("/routing-rules/{department}/{division}")
def put_routing_rule(
    department: str,
    division: str,
    body: RoutingRuleIn,
    who: Principal = Depends(require()),
    svc: Services = Depends(services),
) -> dict[str, str]:
    with svc.unit() as (session, _):
        service.set_routing_rule(session, department, division, body.unit)
        record(
            session,
            who.actor,
            "routing_rule.set",
            "routing_rule",
            f"{department}/{division}",
            svc.clock(),
            unit=body.unit,
        )
    return {"department": department, "division": division, "unit": body.unit}
