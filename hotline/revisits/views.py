"""The operators' revisit queue: tickets a machine could not or should not revisit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from hotline.deps import Principal, require, services
from hotline.errors import STAFF_ERRORS
from hotline.revisits import service
from hotline.services import Services
from hotline.workflow import Role

router = APIRouter(prefix="/api/revisits", tags=["revisits"], responses=STAFF_ERRORS)


@router.get("/queue")
def revisit_queue(
    who: Principal = Depends(require(Role.OPERATOR, Role.DISPATCHER)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """转人工回访: each ticket with why it is here and every automated attempt made."""
    with svc.unit() as (session, _):
        items = service.operator_queue(session)
    return {"items": items, "total": len(items)}
