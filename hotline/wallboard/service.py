"""The wallboard's figures, composed from the services that own them, and its kiosk tokens."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from hotline.audit.service import record
from hotline.auth.service import digest_secret
from hotline.calls.figures import call_figures
from hotline.calls.models import Call
from hotline.calls.runner import CallBridge, agent_board
from hotline.directory.models import Department, Division, TransferTarget
from hotline.errors import NotFound, Unauthorized
from hotline.kb.hotspots import alert_payload
from hotline.kb.models import HotspotAlert
from hotline.stats.service import period_bounds
from hotline.tickets.models import Ticket
from hotline.tickets.service import overdue
from hotline.wallboard.models import KioskToken
from hotline.workflow import Actor, Status
from hotline.workflow.states import CHANNELS, STATUS_LABELS

# Thresholds that colour the figures (the page reads them from the summary, so they live here).
THRESHOLDS = {
    "waiting_warn": 3,  # calls waiting: amber from 3, red from 8
    "waiting_alarm": 8,
    "longest_wait_warn": 15,  # seconds: the 15-second answer of GB/T 33358
    "longest_wait_alarm": 60,
    "abandonment_warn": 0.05,
    "abandonment_alarm": 0.10,
}
CHANNEL_LABELS = {
    "phone": "电话",
    "web": "网站",
    "app": "移动端",
    "api": "开放接口",
    "letter": "信件",
    "onsite": "现场",
}
HOT_TOPICS_SHOWN = 5
WORST_DEPARTMENTS_SHOWN = 5
HOT_TOPIC_WINDOW = timedelta(hours=24)
QUEUE_LOOKBACK = timedelta(hours=2)
RUNNING = (Status.DISPATCHED.value, Status.ACCEPTED.value)
KIOSK_TOKEN_BYTES = 32


# ---------------------------------------------------------------- the summary


def summary(session: Session, bridge: CallBridge | None, now: datetime) -> dict[str, Any]:
    """Everything the wall shows, for the centre's day that `now` (the centre's clock) is in."""
    today = now.date()
    calls = call_figures(session, today, today)
    return {
        "now": now,
        "day": today,
        "queue": queue_now(session, now),
        "agents": agents_by_state(agent_board(bridge, session)),
        "calls": {
            **calls["totals"],
            "standard": calls["standard"],
            "answer_within_seconds": calls["answer_within_seconds"],
        },
        "tickets": tickets_today(session, now),
        "deadlines": deadlines(session, now),
        "emergencies": emergencies_today(session, now),
        "hot_topics": hot_topics(session, now),
        "thresholds": THRESHOLDS,
    }


def queue_now(session: Session, now: datetime) -> dict[str, Any]:
    """Calls in the queue now (the calls table, written by whichever process runs the bridge)."""
    # A row left "queued" by a bridge that went away is not a caller waiting hours later.
    waiting = and_(Call.state == "queued", Call.started_at >= now - QUEUE_LOOKBACK)
    count, oldest = session.execute(
        select(func.count(Call.id), func.min(Call.queue_entered_at)).where(waiting)
    ).one()
    longest = None if oldest is None else max(0, round((now - oldest).total_seconds()))
    return {"waiting": int(count), "longest_wait_seconds": longest}


def agent_state(agent: dict[str, Any]) -> str:
    if not agent["logged_in"]:
        return "offline"
    if agent["on_call"]:
        return "on_call"
    return "paused" if agent["paused"] else "idle"


def agents_by_state(board: dict[str, Any]) -> dict[str, Any]:
    """示闲 / 通话 / 示忙 (with its reason) / 离线, counted, and each operator's state."""
    people = [
        {
            "display_name": agent["display_name"] or agent["username"],
            "state": agent_state(agent),
            "reason": (agent["pause_reason"] or "") if agent["paused"] else "",
        }
        for agent in board["agents"]
    ]
    counts = Counter(person["state"] for person in people)
    return {
        "telephony": board["telephony"],
        "connected": board["connected"],
        **{state: counts[state] for state in ("idle", "on_call", "paused", "offline")},
        "pause_reasons": dict(
            Counter(p["reason"] or "未说明" for p in people if p["state"] == "paused")
        ),
        "people": people,
    }


def tickets_today(session: Session, now: datetime) -> dict[str, Any]:
    low, high = period_bounds(now.date(), now.date())
    today = and_(Ticket.created_at >= low, Ticket.created_at < high)
    by_channel = dict(
        session.execute(
            select(Ticket.channel, func.count()).where(today).group_by(Ticket.channel)
        ).all()
    )
    by_status = dict(
        session.execute(
            select(Ticket.status, func.count()).where(today).group_by(Ticket.status)
        ).all()
    )
    by_division = dict(
        session.execute(
            select(Ticket.division_code, func.count())
            .where(today, Ticket.division_code.is_not(None))
            .group_by(Ticket.division_code)
        ).all()
    )
    divisions = session.execute(select(Division.code, Division.name).order_by(Division.code))
    return {
        "total": sum(by_channel.values()),
        "by_channel": [
            {
                "channel": channel,
                "label": CHANNEL_LABELS[channel],
                "count": by_channel.get(channel, 0),
            }
            for channel in CHANNELS
        ],
        "by_status": [
            {
                "status": status.value,
                "label": STATUS_LABELS[status],
                "count": by_status[status.value],
            }
            for status in Status
            if by_status.get(status.value)
        ],
        "by_division": [
            {"code": code, "name": name, "count": by_division.get(code, 0)}
            for code, name in divisions
        ],
    }


def deadlines(session: Session, now: datetime) -> dict[str, Any]:
    """Overdue now and due soon (the scan's yellow flag, not yet overdue), worst departments first."""
    late = overdue(now)
    due_soon = and_(Ticket.status.in_(RUNNING), Ticket.sla_flag == "yellow", ~late)
    counts: dict[str | None, Counter[str]] = {}
    for kind, condition in (("overdue", late), ("due_soon", due_soon)):
        rows = session.execute(
            select(Ticket.department_code, func.count())
            .where(condition)
            .group_by(Ticket.department_code)
        )
        for code, count in rows:
            counts.setdefault(code, Counter())[kind] = count
    names = dict(session.execute(select(Department.code, Department.name)).all())
    worst = sorted(
        counts.items(), key=lambda item: (-item[1]["overdue"], -item[1]["due_soon"], item[0] or "")
    )
    return {
        "overdue": sum(c["overdue"] for c in counts.values()),
        "due_soon": sum(c["due_soon"] for c in counts.values()),
        "worst_departments": [
            {
                "code": code,
                "name": names.get(code, code) if code else "待派单",
                "overdue": count["overdue"],
                "due_soon": count["due_soon"],
            }
            for code, count in worst[:WORST_DEPARTMENTS_SHOWN]
        ],
    }


def emergencies_today(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Calls put through to each emergency line today (110, 119, 120, 122): transfers that
    succeeded, on calls started today."""
    low, high = period_bounds(now.date(), now.date())
    lines = session.execute(
        select(TransferTarget.code, TransferTarget.name)
        .where(TransferTarget.kind == "emergency")
        .order_by(TransferTarget.code)
    ).all()
    transferred: Counter[str] = Counter()
    for transfers in session.scalars(
        select(Call.transfers).where(Call.started_at >= low, Call.started_at < high)
    ):
        transferred.update(t["target"] for t in transfers or () if t.get("result") == "success")
    return [{"code": code, "name": name, "count": transferred[code]} for code, name in lines]


def hot_topics(session: Session, now: datetime) -> list[dict[str, Any]]:
    """The hourly detection's alerts whose window reached into the last day, biggest first."""
    alerts = session.scalars(
        select(HotspotAlert)
        .where(HotspotAlert.window_end >= now - HOT_TOPIC_WINDOW)
        .order_by(HotspotAlert.ticket_count.desc(), HotspotAlert.id.desc())
        .limit(HOT_TOPICS_SHOWN)
    )
    return [alert_payload(alert) for alert in alerts]


# ---------------------------------------------------------------- kiosk tokens


def issue_kiosk_token(
    session: Session, actor: Actor, name: str, now: datetime
) -> tuple[KioskToken, str]:
    """A new token; only its digest is stored, so the token is shown once, now."""
    token = secrets.token_urlsafe(KIOSK_TOKEN_BYTES)
    kiosk = KioskToken(
        name=name, token_hash=digest_secret(token), created_by=actor.username, created_at=now
    )
    session.add(kiosk)
    session.flush()
    record(session, actor, "kiosk_token.issued", "kiosk_token", kiosk.id, now, name=name)
    return kiosk, token


def revoke_kiosk_token(session: Session, actor: Actor, token_id: int, now: datetime) -> KioskToken:
    kiosk = session.get(KioskToken, token_id)
    if kiosk is None:
        raise NotFound("大屏令牌不存在")
    if kiosk.revoked_at is None:
        kiosk.revoked_at, kiosk.revoked_by = now, actor.username
        record(session, actor, "kiosk_token.revoked", "kiosk_token", kiosk.id, now, name=kiosk.name)
    return kiosk


def kiosk_tokens(session: Session) -> list[KioskToken]:
    return list(session.scalars(select(KioskToken).order_by(KioskToken.id.desc())))


def check_kiosk_token(session: Session, token: str) -> KioskToken:
    """The live token with this value, or 401 (unknown and revoked tokens alike)."""
    kiosk = session.scalar(select(KioskToken).where(KioskToken.token_hash == digest_secret(token)))
    if kiosk is None or kiosk.revoked_at is not None:
        raise Unauthorized("大屏令牌无效或已停用，请联系管理员")
    return kiosk


def kiosk_dict(kiosk: KioskToken) -> dict[str, Any]:
    return {
        "id": kiosk.id,
        "name": kiosk.name,
        "created_by": kiosk.created_by,
        "created_at": kiosk.created_at,
        "revoked_at": kiosk.revoked_at,
        "revoked_by": kiosk.revoked_by,
    }
