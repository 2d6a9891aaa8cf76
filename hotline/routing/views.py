"""Routing API: classify a text, and see where dispatchers corrected the suggestions."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from hotline.deps import Principal, require, services
from hotline.errors import STAFF_ERRORS, HotlineError
from hotline.inputs import Day
from hotline.routing import service
from hotline.services import Services
from hotline.stats.service import check_period
from hotline.workflow import Role

router = APIRouter(prefix="/api", tags=["routing"], responses=STAFF_ERRORS)
CENTRE = require(Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR)
SUPERVISORS = require(Role.SUPERVISOR, Role.DISPATCHER)
# The classifier cuts longer texts itself; this bounds the request body.
MAX_REQUEST_CHARS = 20_000


class ClassifierUnavailable(HotlineError):
    status = 503
    code = "classifier_unavailable"


class ClassifyIn(BaseModel):
    text: str = Field(max_length=MAX_REQUEST_CHARS)


class SuggestionOut(BaseModel):
    """``classifier.Suggestion.to_dict()``: the routing suggestion for one text."""

    department: str | None = Field(description="部门代码；把握不大（uncertain）时为空")
    top3: list[list[str | float]] = Field(description="最可能的三个部门：[部门代码, 概率]")
    type: str
    urgency: str
    emergency: str | None = Field(description="主要紧急线路（一键转接），如 110、119、120、122")
    emergency_lines: list[str] = Field(
        default_factory=list, description="需通知的全部紧急线路，主要线路在前；无紧急情况时为空"
    )
    utility: str | None
    division: str | None
    place: str | None
    uncertain: bool
    reason: str | None
    evidence: list[str]
    truncated: bool


@router.post("/classify")
def classify(
    body: ClassifyIn,
    _who: Principal = Depends(CENTRE),
    svc: Services = Depends(services),
) -> SuggestionOut:
    """The routing suggestion for a text (blank text → uncertain with a reason); an emergency
    names its primary line (``emergency``) and every line to alert (``emergency_lines``)."""
    if svc.router is None:
        raise ClassifierUnavailable("分类模型未加载，请联系管理员（HOTLINE_CLASSIFIER_MODEL）")
    return SuggestionOut.model_validate(svc.router.suggest(body.text))


@router.get("/routing/corrections")
def corrections(
    start: Day | None = None,
    end: Day | None = None,
    _who: Principal = Depends(SUPERVISORS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Per department, how often dispatchers corrected the suggestion to it or away from it."""
    check_period(start, end)
    with svc.sessions() as session:
        return service.correction_counts(
            session,
            datetime.combine(start, time()) if start else None,
            datetime.combine(end + timedelta(days=1), time()) if end else None,
        )
