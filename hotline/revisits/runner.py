"""The revisit worker: claims the attempts due, places the calls through the RevisitDialer,
and feeds each outcome to the plan and, for a rating, to the workflow's ``revisit`` action.

It runs beside the API (``hotline serve`` or ``hotline demo`` with an AMI URL), or once by
hand (``hotline revisits run-once``). Several may run at once: each attempt is claimed in the
database before its call is placed (hotline.revisits.service.claim_due)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from hotline.config import Settings
from hotline.revisits import service
from hotline.revisits.links import SmsSender
from hotline.revisits.policy import RevisitPolicy
from hotline.revisits.sms import HttpGateway, gateway_of
from hotline.services import Services
from hotline.tickets.models import Ticket
from hotline.tickets.views import perform, publish_all
from hotline.workflow import Actor, Role
from telephony.ami import NotConnected, parse_ami_url
from telephony.revisit import RevisitDialer, RevisitOutcome, RevisitRequest

log = logging.getLogger(__name__)
Stopper = Callable[[], Awaitable[None]]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class PlanOnReply:
    """The ``ticket_action_hooks`` hook: a reply makes the ticket's revisit plan; a person's
    revisit ends it."""

    def __init__(self, services: Services, policy: RevisitPolicy) -> None:
        self.services, self.policy = services, policy

    def __call__(
        self, session: Session, ticket: Ticket, action: str, params: Any, actor: Actor
    ) -> None:
        now = self.services.clock()
        if action == "reply":
            calendar = self.services.calendar(session)
            service.make_plan(session, ticket, now, calendar, self.policy)
        elif action == "revisit" and actor.role != Role.SYSTEM:
            service.close_on_action(session, ticket, actor, now)


class RevisitWorker:
    def __init__(
        self,
        services: Services,
        dialer: RevisitDialer,
        policy: RevisitPolicy,
        *,
        name: str | None = None,
        batch: int = 5,
    ) -> None:
        self.services, self.dialer, self.policy = services, dialer, policy
        self.name = name or worker_name()
        self.batch = batch

    async def run_once(self) -> list[tuple[service.Claim, RevisitOutcome]]:
        """One pass: settle lost attempts, claim what is due (committed), call, record."""
        await asyncio.to_thread(self._recover_lost)
        if not self.dialer.client.connected:
            return []  # nothing is claimed that could not be placed
        claims = await asyncio.to_thread(self._claim)
        outcomes = await asyncio.gather(*(self._call(claim) for claim in claims))
        for claim, outcome in zip(claims, outcomes, strict=True):
            await asyncio.to_thread(self._record, claim.attempt_id, outcome)
        return list(zip(claims, outcomes, strict=True))

    async def run(self, interval: float) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # a bad pass must not stop the worker; the next one retries
                log.exception("revisit pass failed")
            await asyncio.sleep(interval)

    def _claim(self) -> list[service.Claim]:
        svc = self.services
        with svc.unit() as (session, _):
            return service.claim_due(
                session,
                svc.clock(),
                self.name,
                self.policy,
                svc.calendar(session),
                limit=self.batch,
            )

    async def _call(self, claim: service.Claim) -> RevisitOutcome:
        try:
            request = RevisitRequest(claim.ticket_no, claim.phone, claim.call_id)
        except ValueError as error:
            return RevisitOutcome(claim.call_id, claim.ticket_no, "failed", detail=str(error))
        try:
            return await self.dialer.call(request)
        except NotConnected as error:  # lost between the claim and the call: nothing was sent
            return RevisitOutcome(claim.call_id, claim.ticket_no, "unknown", detail=str(error))

    def _recover_lost(self) -> None:
        with self.services.unit() as (session, _):
            lost = service.lost_attempts(session, self.services.clock())
        for attempt_id in lost:
            outcome = RevisitOutcome("", "", "unknown", detail="外呼进程中断，未收到结果")
            self._record(attempt_id, outcome)

    def _record(self, attempt_id: int, outcome: RevisitOutcome) -> None:
        svc = self.services
        with svc.unit() as (session, outbox):
            now = svc.clock()
            settled = service.settle(
                session,
                attempt_id,
                outcome.kind,
                now,
                self.policy,
                svc.calendar(session),
                satisfaction=outcome.satisfaction,
                solved=outcome.solved,
                rating=outcome.satisfaction_label,
                detail=outcome.detail,
            )
            if settled is None or settled.revisit_params is None:
                return
            ticket, events = perform(
                svc,
                session,
                service.REVISIT_ACTOR,
                settled.ticket_id,
                "revisit",
                settled.revisit_params,
            )
            publish_all(outbox, ticket, events)


def install(app: FastAPI, settings: Settings, services: Services) -> None:
    """Plans on reply; with sms the channel, the text sender; with an AMI URL, the call
    worker and its own dialer beside the API."""
    policy = service.policy_of(settings.revisit, settings.sms)
    if not any(isinstance(hook, PlanOnReply) for hook in services.ticket_action_hooks):
        services.ticket_action_hooks.append(PlanOnReply(services, policy))
    if settings.revisit.channel == "sms":
        _install_sender(app, settings, services, policy)
    if not settings.ami_url:
        return
    config = parse_ami_url(settings.ami_url)

    async def start_worker(app: FastAPI) -> Stopper:
        dialer = RevisitDialer(config)
        worker = RevisitWorker(services, dialer, policy)
        tasks = [
            asyncio.create_task(dialer.run(), name="revisit-dialer"),
            asyncio.create_task(
                worker.run(settings.revisit.interval_seconds), name="revisit-worker"
            ),
        ]

        async def stop_worker() -> None:
            for task in reversed(tasks):
                task.cancel()
            await dialer.close()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        return stop_worker

    app.state.startups.append(start_worker)


def _install_sender(
    app: FastAPI, settings: Settings, services: Services, policy: RevisitPolicy
) -> None:
    async def start_sender(app: FastAPI) -> Stopper:
        gateway = gateway_of(settings.sms)
        sender = SmsSender(
            services, gateway, policy, settings.sms, app.state.throttle, name=worker_name()
        )
        task = asyncio.create_task(
            sender.run(settings.revisit.interval_seconds), name="revisit-sms-sender"
        )

        async def stop_sender() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if isinstance(gateway, HttpGateway):
                gateway.close()

        return stop_sender

    app.state.startups.append(start_sender)
