"""The application's wiring: database, event bus, calendar and the unit of work."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hotline.calendar import WorkCalendar, load_calendar
from hotline.config import Settings
from hotline.db import make_engine, make_session_factory, transaction
from hotline.events import Event, EventBus, make_bus
from hotline.events.outbox import OutboxRelay, store_events
from hotline.workflow import Context, SlaPolicy, WorkflowEvent

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
CALENDAR_RELOAD_SECONDS = 300


def local_now(zone: ZoneInfo = LOCAL_TIME) -> datetime:
    """Naive local time (Asia/Shanghai unless the centre is set elsewhere): deadlines are
    wall-clock times at the centre."""
    return datetime.now(zone).replace(tzinfo=None, microsecond=0)


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


@dataclass
class Outbox:
    """Events of one unit of work: stored in its transaction, published once it committed."""

    events: list[Event] = field(default_factory=list)

    def add(self, event: WorkflowEvent, **subject: Any) -> None:
        self.events.append(Event(type=event.type, payload=jsonable({**subject, **event.data})))


class Services:
    def __init__(self, settings: Settings, *, bus: EventBus | None = None) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.sessions = make_session_factory(self.engine)
        self.bus = bus or make_bus(settings.redis_url)
        # A lambda: tests replace self.clock after construction.
        self.relay = OutboxRelay(self.sessions, self.bus, lambda: self.clock())
        self.policy = SlaPolicy()
        self._calendar: WorkCalendar | None = None
        self._calendar_loaded = 0.0
        self._calendar_lock = threading.Lock()
        self.time_zone = ZoneInfo(settings.time_zone)
        self.clock: Callable[[], datetime] = partial(local_now, self.time_zone)
        # Integration points for the parts that react to tickets (calls, routing labels, KB).
        self.ticket_created_hooks: list[Callable[[Session, Any, dict[str, Any]], None]] = []
        self.ticket_action_hooks: list[Callable[..., None]] = []
        # Checks of a creation request that need the database, run before its number is taken.
        self.ticket_intake_checks: list[Callable[[Session, dict[str, Any]], object]] = []

    @contextmanager
    def unit(self) -> Iterator[tuple[Session, Outbox]]:
        """One transaction. Its events are written in it (the outbox), so they exist exactly
        when the change does, and are published right after the commit, or later by the relay's
        loop when the bus is down: a change never fails for want of the bus."""
        outbox = Outbox()
        with transaction(self.sessions) as session:
            yield session, outbox
            store_events(session, outbox.events)
        if outbox.events:
            self.relay.after_commit()

    @property
    def router(self) -> Any:
        """The routing model wrapper (``.suggest(text) -> dict``), loaded once per process on
        first use; ``None`` (with a logged warning) when the model directory is missing."""
        from hotline.routing.router import load_router

        return load_router(self.settings.classifier_model)

    def calendar(self, session: Session) -> WorkCalendar:
        with self._calendar_lock:
            stale = time.monotonic() - self._calendar_loaded > CALENDAR_RELOAD_SECONDS
            if self._calendar is None or stale:
                self._calendar = load_calendar(session)
                self._calendar_loaded = time.monotonic()
            return self._calendar

    def forget_calendar(self) -> None:
        with self._calendar_lock:
            self._calendar = None

    def context(self, session: Session) -> Context:
        return Context(now=self.clock(), calendar=self.calendar(session), policy=self.policy)

    def close(self) -> None:
        self.bus.close()
        self.engine.dispose()
