"""Administration beyond reference data: the statutory calendar and its alerts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from hotline.audit.service import record
from hotline.calendar import CalendarError, DayOverride, calendar_alerts, enter_official_year
from hotline.deps import Principal, principal, require, services
from hotline.errors import STAFF_ERRORS, InvalidInput
from hotline.inputs import Day, Year
from hotline.services import Services

router = APIRouter(prefix="/api/calendar", tags=["calendar"], responses=STAFF_ERRORS)


class DayIn(BaseModel):
    day: Day
    is_workday: bool
    name: str


class YearIn(BaseModel):
    days: list[DayIn]


@router.get("/alerts")
def alerts(_: Principal = Depends(principal), svc: Services = Depends(services)) -> list[str]:
    with svc.sessions() as session:
        return calendar_alerts(session, svc.clock().date())


@router.put("/{year}")
def enter_year(
    year: Year, body: YearIn, who: Principal = Depends(require()), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Enter the State Council's official schedule for a year (holidays and adjusted workdays)."""
    days = [DayOverride(d.day, d.is_workday, d.name, "official") for d in body.days]
    with svc.unit() as (session, _):
        try:
            enter_official_year(session, year, days, entered_by=who.actor.username)
        except CalendarError as exc:
            raise InvalidInput(str(exc), field="days") from None
        record(
            session, who.actor, "calendar.enter_year", "calendar", year, svc.clock(), days=len(days)
        )
    svc.forget_calendar()
    return {"year": year, "days": len(days)}
