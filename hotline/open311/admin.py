"""``/api/open311/keys``: admins issue, list and revoke the Open311 clients' keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from hotline.deps import Principal, require, services
from hotline.errors import STAFF_ERRORS
from hotline.open311 import service as open311
from hotline.services import Services, jsonable

router = APIRouter(prefix="/api/open311/keys", tags=["open311"], responses=STAFF_ERRORS)


class KeyIn(BaseModel):
    name: str


@router.get("")
def list_keys(
    _: Principal = Depends(require()), svc: Services = Depends(services)
) -> list[dict[str, Any]]:
    with svc.sessions() as session:
        return [
            jsonable({"name": key.name, "issued_at": key.issued_at, "revoked_at": key.revoked_at})
            for key in open311.keys(session)
        ]


@router.post("", status_code=201)
def issue(
    body: KeyIn, who: Principal = Depends(require()), svc: Services = Depends(services)
) -> dict[str, str]:
    """The key is in this answer only: just its hash is kept."""
    with svc.unit() as (session, _):
        api_key = open311.issue_key(session, who.actor, body.name, svc.clock())
    return {"name": body.name.strip(), "api_key": api_key}


@router.delete("/{name}")
def revoke(
    name: str, who: Principal = Depends(require()), svc: Services = Depends(services)
) -> dict[str, str]:
    with svc.unit() as (session, _):
        open311.revoke_key(session, who.actor, name, svc.clock())
    return {"name": name, "status": "revoked"}
