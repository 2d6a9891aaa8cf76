"""The text-message revisit (短信链接回访): a one-time, expiring link per text, the sender that
texts the plans due inside the sending hours (throttled), and the link's use by the public page.

A link is a random token shown once, in the text; the database keeps its SHA-256
(auth.service.digest_secret), bound to the attempt, its plan and ticket. A link is used once:
marking it used is a conditional UPDATE, so two clicks at once rate once."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from limits import parse
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.auth.service import digest_secret
from hotline.config import SmsSettings
from hotline.errors import Conflict, HotlineError, NotFound
from hotline.revisits import service
from hotline.revisits.models import RevisitAttempt, RevisitLink, RevisitPlan
from hotline.revisits.policy import RevisitPolicy
from hotline.revisits.sms import SmsGateway
from hotline.services import Services
from hotline.throttle import Limit, Throttle, TooManyRequests
from hotline.tickets.models import Ticket
from hotline.tickets.views import perform
from hotline.workflow import Actor, Role, Status, WorkflowEvent
from hotline.workflow.states import RATING_LEVELS

log = logging.getLogger(__name__)
# The citizen who opened the link their text carried; the history names the channel.
SMS_CITIZEN = Actor("citizen:sms", Role.CITIZEN)
# secrets.token_urlsafe(32): 43 characters of the URL-safe alphabet.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
LINK_UNKNOWN = "该评价链接不存在，请核对短信中的链接"
LINK_USED = "该评价链接已使用"
LINK_EXPIRED = "该评价链接已过期"
ALREADY_REVISITED = "该工单已完成回访，无需再评价"
SUPERSEDED = "该评价链接已失效，请以最新的短信为准"
MATTER_CHARS = 12


class LinkExpired(HotlineError):
    status = 410
    code = "link_expired"


def link_path(token: str) -> str:
    return f"/public/revisit/{token}"


def matter_of(ticket: Ticket) -> str:
    """How the text names the matter: its category, else the start of the request."""
    if ticket.matter_category:
        return ticket.matter_category
    content = " ".join(ticket.content.split())
    return content if len(content) <= MATTER_CHARS else content[:MATTER_CHARS] + "…"


def text_of(ticket: Ticket, url: str, days: float) -> str:
    return (
        f"【12345热线】您反映的“{matter_of(ticket)}”问题承办单位已答复，"
        f"请点击链接评价：{url}（{days:g} 天内有效）"
    )


# ---------------------------------------------------------------- the link's use


def find_link(session: Session, token: str, now: datetime) -> tuple[RevisitLink, Ticket]:
    """The link usable now, or NotFound / LinkExpired / Conflict with the citizen's reason."""
    if not TOKEN_PATTERN.fullmatch(token):
        raise NotFound(LINK_UNKNOWN)
    link = session.scalar(
        select(RevisitLink).where(RevisitLink.token_digest == digest_secret(token))
    )
    if link is None:
        raise NotFound(LINK_UNKNOWN)
    if link.used_at is not None:
        raise Conflict(LINK_USED)
    if link.expires_at <= now:
        raise LinkExpired(LINK_EXPIRED)
    ticket = session.get_one(Ticket, link.ticket_id)
    if ticket.status != Status.REPLIED.value:
        raise Conflict(ALREADY_REVISITED)
    if session.get_one(RevisitPlan, link.plan_id).status != "sent":
        raise Conflict(SUPERSEDED)  # its plan was cancelled by a new reply, say
    return link, ticket


def rate_by_link(
    svc: Services,
    session: Session,
    token: str,
    satisfaction: int,
    solved: bool,
    policy: RevisitPolicy,
) -> tuple[Ticket, list[WorkflowEvent]]:
    """The workflow's ``revisit`` with channel sms, as the worker performs a call's rating
    (``satisfaction`` 1 非常满意 … 5 非常不满意); the caller's transaction holds it all, so a
    refusal leaves the link unused."""
    now = svc.clock()
    link, _ = find_link(session, token, now)
    taken = session.execute(
        update(RevisitLink)
        .where(RevisitLink.id == link.id, RevisitLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(LINK_USED)  # another click took it a moment ago
    settled = service.settle(
        session,
        link.attempt_id,
        "rated",
        now,
        policy,
        svc.calendar(session),
        satisfaction=satisfaction,
        solved=solved,
        rating=RATING_LEVELS[satisfaction - 1],
        detail="市民通过短信链接评价",
    )
    if settled is None or settled.revisit_params is None:
        raise Conflict(ALREADY_REVISITED)
    return perform(svc, session, SMS_CITIZEN, link.ticket_id, "revisit", settled.revisit_params)


# ---------------------------------------------------------------- sending


@dataclass(frozen=True)
class Text:
    claim: service.Claim
    text: str


class SmsSender:
    """One pass: links past their time go to the operators; the texts due inside the sending
    hours are claimed with their links (committed before sending, so no text carries a link the
    database does not know), throttled, sent, and each outcome recorded on its attempt."""

    def __init__(
        self,
        services: Services,
        gateway: SmsGateway,
        policy: RevisitPolicy,
        settings: SmsSettings,
        throttle: Throttle,
        *,
        name: str | None = None,
        batch: int = 20,
    ) -> None:
        self.services, self.gateway, self.policy = services, gateway, policy
        self.settings, self.throttle = settings, throttle
        self.name = name or "sms"
        self.batch = batch
        self.per_number = Limit("sms-number", parse(settings.per_number), "该号码短信过多")
        self.per_minute = Limit("sms-all", parse(settings.per_minute), "短信发送过于频繁")

    def run_once(self) -> list[tuple[service.Claim, str]]:
        self._expire_links()
        results = []
        for text in self._claim():
            kind, detail, until = self._send(text)
            self._record(text.claim.attempt_id, kind, detail, until)
            results.append((text.claim, kind))
        return results

    async def run(self, interval: float) -> None:
        while True:
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # a bad pass must not stop the sender; the next one retries
                log.exception("sms revisit pass failed")
            await asyncio.sleep(interval)

    def _claim(self) -> list[Text]:
        svc = self.services
        with svc.unit() as (session, _):
            now = svc.clock()
            claims = service.claim_due(
                session,
                now,
                self.name,
                self.policy,
                svc.calendar(session),
                limit=self.batch,
                channel="sms",
            )
            texts = []
            for claim in claims:
                token = secrets.token_urlsafe(32)
                plan_id = session.get_one(RevisitAttempt, claim.attempt_id).plan_id
                session.add(
                    RevisitLink(
                        token_digest=digest_secret(token),
                        attempt_id=claim.attempt_id,
                        plan_id=plan_id,
                        ticket_id=claim.ticket_id,
                        created_at=now,
                        expires_at=now + timedelta(days=self.settings.link_days),
                    )
                )
                url = self.settings.public_url + link_path(token)
                ticket = session.get_one(Ticket, claim.ticket_id)
                texts.append(Text(claim, text_of(ticket, url, self.settings.link_days)))
            return texts

    def _send(self, text: Text) -> tuple[str, str, datetime | None]:
        """(outcome, detail, until): until the link expires, or until a throttled text may go."""
        now = self.services.clock()
        number = text.claim.phone
        try:
            for limit, key in ((self.per_number, number), (self.per_minute, "all")):
                self.throttle.refuse_if_spent(limit, key)
            self.throttle.take(self.per_number, number)
            self.throttle.take(self.per_minute, "all")
        except TooManyRequests as refused:
            wait = int(refused.headers["Retry-After"])
            return "throttled", refused.message, now + timedelta(seconds=wait)
        sent = self.gateway.send(number, text.text)
        if not sent.ok:
            return "send_failed", sent.detail, None
        return "sent", sent.detail, now + timedelta(days=self.settings.link_days)

    def _record(self, attempt_id: int, kind: str, detail: str, until: datetime | None) -> None:
        svc = self.services
        with svc.unit() as (session, _):
            now = svc.clock()
            if kind != "sent":  # the text never went: its link must never rate
                session.execute(
                    update(RevisitLink)
                    .where(RevisitLink.attempt_id == attempt_id)
                    .values(expires_at=now)
                    .execution_options(synchronize_session=False)
                )
            service.settle(
                session,
                attempt_id,
                kind,
                now,
                self.policy,
                svc.calendar(session),
                detail=detail,
                until=until,
            )

    def _expire_links(self) -> None:
        svc = self.services
        with svc.unit() as (session, _):
            now = svc.clock()
            expired = session.scalars(
                select(RevisitAttempt.id)
                .join(RevisitLink, RevisitLink.attempt_id == RevisitAttempt.id)
                .where(
                    RevisitAttempt.outcome == "sent",
                    RevisitLink.used_at.is_(None),
                    RevisitLink.expires_at <= now,
                )
            ).all()
            for attempt_id in expired:
                service.settle(
                    session,
                    attempt_id,
                    "expired",
                    now,
                    self.policy,
                    svc.calendar(session),
                    detail="短信链接到期未使用",
                )
