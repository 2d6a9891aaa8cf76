"""Departments, divisions, transfer targets and the 权责清单: loaded from CSV, edited by admins."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.directory.models import Department, Division, RoutingRule, TransferTarget
from hotline.errors import InvalidInput, NotFound

DATA = resources.files("hotline") / "data"


def _rows(name: str, folder: Path | None = None) -> list[dict[str, str]]:
    source = (folder / name) if folder else DATA / name
    with source.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_reference_data(session: Session, folder: Path | None = None) -> dict[str, int]:
    """Insert or update every row of the reference CSVs; idempotent."""
    counts: dict[str, int] = {}
    for row in _rows("divisions.csv", folder):
        session.merge(Division(**row))
    counts["divisions"] = len(_rows("divisions.csv", folder))
    session.flush()
    departments = _rows("departments.csv", folder)
    for row in departments:
        session.merge(Department(**row))
    units = _rows("units.csv", folder)
    session.flush()
    for row in units:
        session.merge(
            Department(
                code=row["code"],
                name=row["name"],
                kind="unit",
                parent_code=row["parent"],
                division_code=row["division"],
            )
        )
    counts["departments"] = len(departments) + len(units)
    session.flush()
    for row in _rows("transfer_targets.csv", folder):
        session.merge(TransferTarget(**row))
    counts["transfer_targets"] = len(_rows("transfer_targets.csv", folder))
    for row in _rows("routing_rules.csv", folder):
        set_routing_rule(session, row["department"], row["division"], row["unit"])
    counts["routing_rules"] = len(_rows("routing_rules.csv", folder))
    session.flush()
    return counts


def department(session: Session, code: str) -> Department:
    found = session.get(Department, code)
    if found is None or not found.active:
        raise InvalidInput(f"未知部门：{code}", field="department")
    return found


def department_name(session: Session, code: str | None) -> str | None:
    """What people read for a department: its name; the code itself if it is not known."""
    found = session.get(Department, code) if code else None
    return found.name if found else code


def division(session: Session, code: str) -> Division:
    found = session.get(Division, code)
    if found is None:
        raise InvalidInput(f"未知区划：{code}", field="division")
    return found


def transfer_target(session: Session, code: str) -> TransferTarget:
    found = session.get(TransferTarget, code)
    if found is None:
        raise NotFound(f"未知转接目标：{code}")
    return found


def responsible_unit(session: Session, department_code: str, division_code: str | None) -> str:
    """分级负责: the unit that handles this department's matters in the ticket's division."""
    if division_code is None:
        return department_code
    rule = session.scalar(
        select(RoutingRule).where(
            RoutingRule.department_code == department_code,
            RoutingRule.division_code == division_code,
        )
    )
    return rule.unit_code if rule else department_code


def set_routing_rule(session: Session, department_code: str, division_code: str, unit: str) -> None:
    department(session, department_code)
    division(session, division_code)
    department(session, unit)
    rule = session.scalar(
        select(RoutingRule).where(
            RoutingRule.department_code == department_code,
            RoutingRule.division_code == division_code,
        )
    )
    if rule is None:
        session.add(
            RoutingRule(
                department_code=department_code, division_code=division_code, unit_code=unit
            )
        )
    else:
        rule.unit_code = unit
    session.flush()


def upsert_department(session: Session, data: dict[str, Any]) -> Department:
    code = str(data.get("code") or "").strip()
    name = str(data.get("name") or "").strip()
    if not code or not name:
        raise InvalidInput("部门须有代码和名称")
    # "" names no parent or division, and must not reach the foreign key as a code.
    data = {
        **data,
        **{key: data[key] or None for key in ("parent_code", "division_code") if key in data},
    }
    if data.get("parent_code"):
        department(session, data["parent_code"])
    if data.get("division_code"):
        division(session, data["division_code"])
    row = session.get(Department, code) or Department(code=code)
    for key in ("name", "kind", "scope", "parent_code", "division_code", "active"):
        if key in data:
            setattr(row, key, data[key])
    row.name = name
    session.add(row)
    session.flush()
    return row
