"""热点诉求: the daily job that finds clusters of similar tickets at one place, rising fast.

A topic is a cluster of this week's tickets (the 7 days before the run) in one division, naming
the same street or 小区 (or, for tickets naming none, the division alone), with similar words and
no conflicting matter category. It raises an alert when it has at least ``MIN_TICKETS`` tickets
and at least ``RISE_FACTOR`` times its baseline: the mean weekly number of matching tickets over
the ``BASELINE_WEEKS`` weeks before. A topic already alerted on (sharing a ticket with an alert of
the past week) updates that alert instead of raising a second one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.jobs import claim_job
from hotline.kb.models import HotspotAlert, HotspotTicket
from hotline.kb.profiles import TicketProfile, cosine
from hotline.services import Services, jsonable
from hotline.tickets.models import Ticket
from hotline.workflow import WorkflowEvent
from hotline.workflow.states import Status

WEEK = timedelta(days=7)
BASELINE_WEEKS = 4
MIN_TICKETS = 5
RISE_FACTOR = 3.0
# A ticket joins a topic when its words are this close to the topic's words so far.
TOPIC_TEXT = 0.25
KEYWORDS = 5


@dataclass
class Topic:
    division: str | None
    places: set[str]
    matter: str
    members: list[TicketProfile] = field(default_factory=list)
    terms: Counter[str] = field(default_factory=Counter)

    def accepts(self, profile: TicketProfile) -> bool:
        ticket = profile.ticket
        if ticket.division_code != self.division:
            return False
        if ticket.matter_category and self.matter and ticket.matter_category != self.matter:
            return False
        same_place = bool(profile.places & self.places) or not (profile.places or self.places)
        return same_place and cosine(profile.terms, self.terms) >= TOPIC_TEXT

    def add(self, profile: TicketProfile) -> None:
        self.members.append(profile)
        self.places |= profile.places
        self.terms.update(profile.terms)
        self.matter = self.matter or profile.ticket.matter_category

    def keywords(self) -> list[str]:
        words = [t for t, _ in self.terms.most_common() if t not in self.places]
        return words[:KEYWORDS]

    def department(self) -> str | None:
        codes = Counter(
            p.ticket.department_code or p.ticket.suggested_department
            for p in self.members
            if p.ticket.department_code or p.ticket.suggested_department
        )
        return codes.most_common(1)[0][0] if codes else None


def _tickets(session: Session, start: datetime, end: datetime) -> list[Ticket]:
    return list(
        session.scalars(
            select(Ticket)
            .where(
                Ticket.created_at >= start,
                Ticket.created_at < end,
                Ticket.status != Status.WITHDRAWN.value,
            )
            .order_by(Ticket.created_at, Ticket.id)
        )
    )


def cluster(tickets: list[Ticket]) -> list[Topic]:
    topics: list[Topic] = []
    for ticket in tickets:
        profile = TicketProfile(ticket)
        home = next((t for t in topics if t.accepts(profile)), None)
        if home is None:
            home = Topic(ticket.division_code, set(), ticket.matter_category)
            topics.append(home)
        home.add(profile)
    return topics


def _baseline(topic: Topic, earlier: list[TicketProfile]) -> float:
    matching = sum(1 for profile in earlier if topic.accepts(profile))
    return matching / BASELINE_WEEKS


def _existing_alert(session: Session, topic: Topic, now: datetime) -> HotspotAlert | None:
    ids = [p.ticket.id for p in topic.members]
    return session.scalar(
        select(HotspotAlert)
        .join(HotspotTicket, HotspotTicket.alert_id == HotspotAlert.id)
        .where(HotspotTicket.ticket_id.in_(ids), HotspotAlert.window_end >= now - WEEK)
        .order_by(HotspotAlert.id.desc())
        .limit(1)
    )


def detect_hotspots(session: Session, now: datetime) -> list[tuple[HotspotAlert, bool]]:
    """Raise or update alerts for this week's rising topics; (alert, newly raised) each."""
    week_start = now - WEEK
    topics = [
        t for t in cluster(_tickets(session, week_start, now)) if len(t.members) >= MIN_TICKETS
    ]
    if not topics:
        return []
    earlier = [
        TicketProfile(t)
        for t in _tickets(session, week_start - BASELINE_WEEKS * WEEK, week_start)
        if t.division_code in {topic.division for topic in topics}
    ]
    results = []
    for topic in topics:
        baseline = _baseline(topic, earlier)
        if len(topic.members) < RISE_FACTOR * baseline:
            continue
        alert = _existing_alert(session, topic, now)
        raised = alert is None
        if alert is None:
            alert = HotspotAlert(raised_at=now, window_start=week_start)
            session.add(alert)
        alert.division_code = topic.division
        alert.place = " ".join(sorted(topic.places))
        alert.keywords = topic.keywords()
        alert.department_code = topic.department()
        alert.window_end = now
        alert.ticket_count = len(topic.members)
        alert.baseline_weekly = baseline
        alert.updated_at = now
        session.flush()
        linked = set(
            session.scalars(
                select(HotspotTicket.ticket_id).where(HotspotTicket.alert_id == alert.id)
            )
        )
        session.add_all(
            HotspotTicket(alert_id=alert.id, ticket_id=p.ticket.id)
            for p in topic.members
            if p.ticket.id not in linked
        )
        session.flush()
        results.append((alert, raised))
    return results


def alert_payload(alert: HotspotAlert) -> dict[str, Any]:
    return jsonable(
        {
            "alert_id": alert.id,
            "division": alert.division_code,
            "place": alert.place,
            "keywords": alert.keywords,
            "department": alert.department_code,
            "ticket_count": alert.ticket_count,
            "baseline_weekly": alert.baseline_weekly,
            "window_start": alert.window_start,
            "window_end": alert.window_end,
            "raised_at": alert.raised_at,
        }
    )


def run_hot_topics(
    svc: Services, *, unless_ran_within: timedelta | None = None
) -> list[tuple[HotspotAlert, bool]] | None:
    """The job: one transaction; new alerts go out on the bus as ``hotspot.alert``. None when
    it was skipped (another worker's pass is running, or one started within
    ``unless_ran_within``)."""
    with svc.unit() as (session, outbox):
        if not claim_job(session, "hot topics", svc.clock(), unless_ran_within=unless_ran_within):
            return None
        results = detect_hotspots(session, svc.clock())
        for alert, raised in results:
            if raised:
                outbox.add(WorkflowEvent("hotspot.alert", alert_payload(alert)))
    return results
