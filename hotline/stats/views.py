"""Supervisors' figures, the overdue list, and the CSV/XLSX exports for third-party evaluation."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from openpyxl import Workbook

from hotline.deps import Principal, require, services
from hotline.errors import STAFF_ERRORS, InvalidInput
from hotline.inputs import Day
from hotline.revisits.figures import load_rows, revisit_figures
from hotline.revisits.policy import REVISIT_WORKING_DAYS
from hotline.services import Services, jsonable
from hotline.stats import service
from hotline.stats.service import check_period
from hotline.workflow import Role

router = APIRouter(prefix="/api/stats", tags=["stats"], responses=STAFF_ERRORS)
SUPERVISORS = require(Role.SUPERVISOR, Role.DISPATCHER)
# The figures, and their export for third-party evaluation, are also for social supervisors.
FIGURE_READERS = require(Role.SUPERVISOR, Role.DISPATCHER, Role.MONITOR)
MAX_PERIOD_DAYS = 3660
# A revisit's deadline in the figures may be asked for up to a month of working days.
MAX_REVISIT_WORKING_DAYS = 22
EXPORT_COLUMNS = (
    ("rank", "排名"),
    ("code", "代码"),
    ("name", "部门"),
    ("dispatched", "派单数"),
    ("sign_on_time_rate", "按期签收率"),
    ("close_on_time_rate", "按期办结率"),
    ("satisfaction_rate", "满意率"),
    ("solved_rate", "解决率"),
    ("return_rate", "退单率"),
    ("improper_returns", "不当退单"),
    ("reopen_rate", "重办率"),
    ("avg_handling_hours", "平均办理时长(小时)"),
    ("overdue_now", "当前超期"),
    ("score", "综合得分"),
)


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    end = end or today
    start = start or end - timedelta(days=6)
    check_period(start, end)
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput("统计区间不能超过十年", field="start")
    return start, end


@router.get("/departments")
def departments(
    start: Day | None = None,
    end: Day | None = None,
    by: str = Query("department", pattern="^(department|division)$"),
    _: Principal = Depends(FIGURE_READERS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    now = svc.clock()
    start, end = period(start, end, now.date())
    with svc.sessions() as session:
        return jsonable(
            {
                "start": start,
                "end": end,
                "by": by,
                "centre": service.centre_figures(session, start, end),
                "departments": service.department_figures(session, start, end, now, by=by),
            }
        )


@router.get("/revisits")
def revisits(
    start: Day | None = None,
    end: Day | None = None,
    within_days: int = Query(
        REVISIT_WORKING_DAYS,
        ge=1,
        le=MAX_REVISIT_WORKING_DAYS,
        description="回访须在答复后多少个工作日内完成",
    ),
    _: Principal = Depends(SUPERVISORS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """智能回访 figures of the plans made by the period's replies (docs/kpis.md)."""
    now = svc.clock()
    start, end = period(start, end, now.date())
    with svc.sessions() as session:
        plans, attempts = load_rows(session, start, end)
        figures = revisit_figures(plans, attempts, svc.calendar(session), now, within_days)
    return jsonable({"start": start, "end": end, **figures})


@router.get("/overdue")
def overdue(
    _: Principal = Depends(SUPERVISORS), svc: Services = Depends(services)
) -> list[dict[str, Any]]:
    with svc.sessions() as session:
        return [
            jsonable(
                {
                    "id": t.id,
                    "number": t.number,
                    "department": t.department_code,
                    "status": t.status,
                    "sign_due": t.sign_due,
                    "reply_due": t.reply_due,
                    "supervised": t.supervised,
                    "content": t.content[:120],
                }
            )
            for t in service.overdue_list(session, svc.clock())
        ]


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/departments/export",
    response_class=Response,
    responses={
        200: {"description": "CSV 或 Excel 文件", "content": {"text/csv": {}, XLSX_TYPE: {}}}
    },
)
def export(
    format: str = Query("csv", pattern="^(csv|xlsx)$"),
    start: Day | None = None,
    end: Day | None = None,
    _: Principal = Depends(FIGURE_READERS),
    svc: Services = Depends(services),
) -> Response:
    now = svc.clock()
    start, end = period(start, end, now.date())
    with svc.sessions() as session:
        rows = service.department_figures(session, start, end, now)
    header = [label for _, label in EXPORT_COLUMNS]
    table = [[row.get(key) for key, _ in EXPORT_COLUMNS] for row in rows]
    filename = f"kpi-{start}-{end}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(table)
        # The BOM lets spreadsheet programs read the Chinese headers as UTF-8.
        return Response(
            "\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=disposition
        )
    book = Workbook()
    sheet = book.active
    sheet.title = "部门考核"
    sheet.append(header)
    for line in table:
        sheet.append(line)
    data = io.BytesIO()
    book.save(data)
    return Response(
        data.getvalue(),
        media_type=XLSX_TYPE,
        headers=disposition,
    )
