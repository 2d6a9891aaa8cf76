"""JSON API: knowledge base, duplicate candidates, repeat callers, hot-topic alerts, figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.audit.service import record_read
from hotline.deps import Principal, require, services
from hotline.errors import STAFF_ERRORS, NotFound
from hotline.inputs import Day, RowId, Version
from hotline.kb import entries, figures
from hotline.kb.entries import EntryContent
from hotline.kb.hotspots import alert_payload
from hotline.kb.intake import LOOKBACK, OPEN_VALUES
from hotline.kb.models import DuplicateCandidate, HotspotAlert, HotspotTicket, KbEntry, RepeatCall
from hotline.kb.search import DEFAULT_LIMIT, index_of
from hotline.phones import mask_phone, normalize_phone
from hotline.services import Services, jsonable
from hotline.stats.views import period
from hotline.tickets import service as tickets
from hotline.tickets.models import Ticket
from hotline.workflow import Role

router = APIRouter(tags=["knowledge base and intake"], responses=STAFF_ERRORS)
STAFF = require(Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.DEPARTMENT)
MAINTAINERS = require(Role.DEPARTMENT, Role.DISPATCHER)
REVIEWERS = require(Role.DISPATCHER)
CENTRE_DESK = require(Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR)
SUPERVISORS = require(Role.SUPERVISOR, Role.DISPATCHER)
# Who may look up a caller by number: the roles that see numbers in full anyway.
PHONE_LOOKUP = require(Role.OPERATOR, Role.DISPATCHER)
REPEAT_HISTORY = timedelta(days=365)


class EntryIn(BaseModel):
    department: str = Field("", description="部门代码；部门工作人员可省略（默认本部门）")
    title: str
    questions: list[str]
    answer: str
    matter_category: str = ""
    conditions: list[str] = []
    materials: list[str] = []
    location: str = ""
    fees: str = ""
    time_limit: str = ""
    valid_from: Day | None = None
    valid_to: Day | None = None
    owner: str = ""
    review_due: Day | None = None

    def content(self) -> EntryContent:
        return EntryContent(**self.model_dump(exclude={"version"}))


class EntryEdit(EntryIn):
    version: Version = Field(description="编辑所依据的版本号；他人已改动时返回 409")


class VersionIn(BaseModel):
    version: Version


# ---------------------------------------------------------------- knowledge base


class SearchIn(BaseModel):
    q: str
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=50)


def _search(svc: Services, q: str, limit: int) -> dict[str, Any]:
    with svc.sessions() as session:
        today = svc.clock().date()
        hits = index_of(svc).search(session, q, today, limit)
        rows = session.scalars(select(KbEntry).where(KbEntry.id.in_([h.entry_id for h in hits])))
        found = {entry.id: entry for entry in rows}
        items = [
            {
                **entries.entry_dict(found[hit.entry_id], today),
                "score": hit.score,
                "matched": list(hit.matched),
                "coverage": hit.coverage,
                "match": "strong" if hit.strong else "weak",
            }
            for hit in hits
            # An entry may have changed since the index snapshot was taken.
            if hit.entry_id in found and entries.offered(found[hit.entry_id], today)
        ]
    # Without a strong hit the knowledge base has no answer: weak hits only share some words.
    return {"items": items, "answer_found": any(item["match"] == "strong" for item in items)}


@router.get("/api/kb/search")
def search(
    q: str = "",
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=50),
    _: Principal = Depends(STAFF),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Published, currently valid entries for what the operator types.

    An empty or blank query answers an empty list (pages call this on every keystroke).
    """
    return _search(svc, q, limit)


@router.post("/api/kb/search")
def search_transcript(
    body: SearchIn, _: Principal = Depends(STAFF), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The same search for a streaming transcript, too long for a URL; only its latest part counts."""
    return _search(svc, body.q, body.limit)


@router.get("/api/kb/entries")
def list_entries(
    status: str | None = None,
    department: str | None = None,
    q: str | None = Query(None, max_length=100),
    who: Principal = Depends(STAFF),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    with svc.sessions() as session:
        today = svc.clock().date()
        rows = entries.list_entries(
            session, who.actor, status=status, department=department, text=q
        )
        return {"items": [entries.entry_dict(e, today) for e in rows], "total": len(rows)}


@router.post("/api/kb/entries", status_code=201)
def create_entry(
    body: EntryIn, who: Principal = Depends(MAINTAINERS), svc: Services = Depends(services)
) -> dict[str, Any]:
    with svc.unit() as (session, _):
        now = svc.clock()
        entry = entries.create_entry(session, who.actor, body.content(), now)
        return entries.entry_dict(entry, now.date())


@router.get("/api/kb/entries/{entry_id}")
def get_entry(
    entry_id: RowId, who: Principal = Depends(STAFF), svc: Services = Depends(services)
) -> dict[str, Any]:
    with svc.sessions() as session:
        return entries.entry_dict(entries.load(session, who.actor, entry_id), svc.clock().date())


@router.put("/api/kb/entries/{entry_id}")
def update_entry(
    entry_id: RowId,
    body: EntryEdit,
    who: Principal = Depends(MAINTAINERS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    with svc.unit() as (session, _):
        now = svc.clock()
        entry = entries.update_entry(
            session, who.actor, entry_id, body.content(), body.version, now
        )
        return entries.entry_dict(entry, now.date())


def _set_status(
    svc: Services, who: Principal, entry_id: int, status: str, version: int
) -> dict[str, Any]:
    with svc.unit() as (session, _):
        now = svc.clock()
        entry = entries.set_status(session, who.actor, entry_id, status, version, now)
        return entries.entry_dict(entry, now.date())


@router.post("/api/kb/entries/{entry_id}/publish")
def publish_entry(
    entry_id: RowId,
    body: VersionIn,
    who: Principal = Depends(REVIEWERS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    return _set_status(svc, who, entry_id, entries.PUBLISHED, body.version)


@router.post("/api/kb/entries/{entry_id}/withdraw")
def withdraw_entry(
    entry_id: RowId,
    body: VersionIn,
    who: Principal = Depends(MAINTAINERS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    return _set_status(svc, who, entry_id, entries.WITHDRAWN, body.version)


@router.get("/api/kb/entries/{entry_id}/versions")
def entry_versions(
    entry_id: RowId, who: Principal = Depends(STAFF), svc: Services = Depends(services)
) -> dict[str, Any]:
    with svc.sessions() as session:
        rows = entries.versions(session, who.actor, entry_id)
        return {
            "items": [
                jsonable(
                    {
                        "version": v.version,
                        "change": v.change,
                        "changed_at": v.changed_at,
                        "changed_by": v.changed_by,
                        "entry": v.snapshot,
                    }
                )
                for v in rows
            ]
        }


@router.get("/api/kb/flags")
def flagged_entries(
    who: Principal = Depends(require(Role.DEPARTMENT, Role.DISPATCHER, Role.SUPERVISOR)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Entries whose validity has ended or whose review date has passed."""
    with svc.sessions() as session:
        today = svc.clock().date()
        rows = entries.flagged(session, who.actor, today)
        return {"items": [entries.entry_dict(e, today) for e in rows], "total": len(rows)}


@router.get("/api/kb/stats")
def kb_stats(
    start: Day | None = None,
    end: Day | None = None,
    _: Principal = Depends(SUPERVISORS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    start, end = period(start, end, svc.clock().date())
    with svc.sessions() as session:
        return figures.kb_figures(session, start, end)


# ---------------------------------------------------------------- duplicates and repeat calls


def _ticket_brief(ticket: Ticket) -> dict[str, Any]:
    return jsonable(
        {
            "id": ticket.id,
            "number": ticket.number,
            "status": ticket.status,
            "type": ticket.type,
            "content": ticket.content,
            "address": ticket.address,
            "division": ticket.division_code,
            "department": ticket.department_code,
            "matter_category": ticket.matter_category,
            "merged_into": ticket.merged_into_id,
            "created_at": ticket.created_at,
        }
    )


def _repeat_dict(session: Session, repeat: RepeatCall) -> dict[str, Any]:
    previous = session.get(Ticket, repeat.previous_ticket_id)
    return jsonable(
        {
            "ticket_id": repeat.ticket_id,
            "previous_ticket": _ticket_brief(previous) if previous else None,
            "same_category": repeat.same_category,
            "text_similarity": repeat.text_similarity,
            "found_at": repeat.found_at,
        }
    )


@router.get("/api/tickets/{ticket_id}/duplicates")
def duplicates(
    ticket_id: RowId, who: Principal = Depends(CENTRE_DESK), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Open tickets that look like the same matter (either direction), and the repeat-call flag.

    ``mergeable`` says whether the dispatcher can merge the two now (both still open).
    """
    with svc.sessions() as session:
        ticket = tickets.load(session, who.actor, ticket_id)
        rows = session.scalars(
            select(DuplicateCandidate)
            .where(
                or_(
                    DuplicateCandidate.ticket_id == ticket.id,
                    DuplicateCandidate.candidate_id == ticket.id,
                )
            )
            .order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id)
        ).all()
        candidates = []
        for row in rows:
            other = session.get(
                Ticket, row.candidate_id if row.ticket_id == ticket.id else row.ticket_id
            )
            if other is None:
                continue
            candidates.append(
                {
                    **_ticket_brief(other),
                    "text_similarity": row.text_similarity,
                    "same_place": row.same_place,
                    "score": row.score,
                    "mergeable": ticket.status in OPEN_VALUES and other.status in OPEN_VALUES,
                }
            )
        repeat = session.scalar(select(RepeatCall).where(RepeatCall.ticket_id == ticket.id))
        return {
            "ticket_id": ticket.id,
            "candidates": candidates,
            "repeat_call": _repeat_dict(session, repeat) if repeat else None,
        }


@router.get("/api/intake/repeat")
def repeat_caller(
    phone: str, who: Principal = Depends(PHONE_LOOKUP), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The caller's tickets of the past year and their 重复来电 flags, for the screen pop."""
    number = normalize_phone(phone, field="phone")
    with svc.unit() as (session, _):
        now = svc.clock()
        rows = session.scalars(
            select(Ticket)
            .where(Ticket.citizen_phone == number, Ticket.created_at >= now - REPEAT_HISTORY)
            .order_by(Ticket.id.desc())
        ).all()
        record_read(
            session,
            who.actor,
            "ticket",
            [t.id for t in rows],
            now,
            fields=["tickets_by_phone"],
            searched_phone=mask_phone(number),
        )
        flags = {
            r.ticket_id: r
            for r in session.scalars(
                select(RepeatCall).where(RepeatCall.ticket_id.in_([t.id for t in rows]))
            )
        }
        items = [
            {
                **_ticket_brief(t),
                "repeat_of": flags[t.id].previous_ticket_id if t.id in flags else None,
            }
            for t in rows
        ]
        recent = [r for r in flags.values() if r.found_at >= now - LOOKBACK]
        return {"phone": number, "tickets": items, "repeat_calls_30_days": len(recent)}


@router.get("/api/stats/repeat-calls")
def repeat_call_stats(
    start: Day | None = None,
    end: Day | None = None,
    _: Principal = Depends(SUPERVISORS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    start, end = period(start, end, svc.clock().date())
    with svc.sessions() as session:
        return figures.repeat_call_figures(session, start, end)


# ---------------------------------------------------------------- hot topics


def _alert_dict(session: Session, alert: HotspotAlert) -> dict[str, Any]:
    rows = session.scalars(
        select(Ticket)
        .join(HotspotTicket, HotspotTicket.ticket_id == Ticket.id)
        .where(HotspotTicket.alert_id == alert.id)
        .order_by(Ticket.created_at, Ticket.id)
    ).all()
    return {
        **alert_payload(alert),
        "updated_at": alert.updated_at.isoformat(),
        "tickets": [_ticket_brief(t) for t in rows],
    }


@router.get("/api/hotspots")
def hotspots(
    since: Day | None = None,
    _: Principal = Depends(SUPERVISORS),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Hot-topic alerts, newest first, each with the tickets behind it (default: the last 7 days)."""
    with svc.sessions() as session:
        today = svc.clock().date()
        since = since or date.fromordinal(today.toordinal() - 7)
        alerts = session.scalars(
            select(HotspotAlert)
            .where(HotspotAlert.window_end >= datetime.combine(since, datetime.min.time()))
            .order_by(HotspotAlert.raised_at.desc(), HotspotAlert.id.desc())
        ).all()
        return {"items": [_alert_dict(session, a) for a in alerts]}


@router.get("/api/hotspots/{alert_id}")
def hotspot(
    alert_id: RowId, _: Principal = Depends(SUPERVISORS), svc: Services = Depends(services)
) -> dict[str, Any]:
    with svc.sessions() as session:
        alert = session.get(HotspotAlert, alert_id)
        if alert is None:
            raise NotFound("热点告警不存在")
        return _alert_dict(session, alert)
