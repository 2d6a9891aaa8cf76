"""The relay of the transactional outbox: stored events to the bus, at least once, in id order.

A unit of work stores its events in ``outbox_events`` in its own transaction (``store_events``),
so an event exists exactly when the change it reports was committed. The relay then publishes
the unpublished rows oldest first and marks them: right after the commit (low latency), and from
a background loop that retries what failed (the bus or the database was down).

One pass at a time publishes, so events leave in id order; a later change of the same ticket is
committed after the earlier one and so has the larger id, hence per ticket the bus hears them in
order. Within a process a lock gives that; across processes (every ``hotline serve`` worker, the
bridge) the database: on PostgreSQL a transaction-level advisory lock, on SQLite its write lock;
a pass waits for the one before it rather than sending the same rows twice. A crash
between publishing and marking re-sends those rows: consumers skip an event id they have seen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from hotline.events.core import Event, EventBus, EventBusError
from hotline.events.models import OutboxEvent
from hotline.metrics.series import BUS_PUBLISH_FAILURES

log = logging.getLogger(__name__)

# The advisory lock of "the outbox relay" (any constant unique to this purpose).
RELAY_LOCK_KEY = 0x12345_0B0C
BATCH_SIZE = 500
POLL_SECONDS = 1.0
RELAY_LOCK_TIMEOUT = "2s"
# After a failure, commits leave publishing to the loop for this long (no request pays for
# a bus that is down); the loop itself retries every POLL_SECONDS.
BACKOFF_SECONDS = 2.0
KEEP_PUBLISHED = timedelta(days=1)
PRUNE_EVERY_SECONDS = 600.0


def store_events(session: Session, events: Sequence[Event]) -> None:
    """Write a unit's events into its transaction; their ids become those of the rows."""
    session.add_all(
        OutboxEvent(type=event.type, payload=event.payload, occurred_at=event.occurred_at)
        for event in events
    )


def _event_of(row: OutboxEvent) -> Event:
    return Event(type=row.type, payload=row.payload, id=str(row.id), occurred_at=row.occurred_at)


def _claim_relay(session: Session) -> None:
    """Make this transaction the only relay pass until it ends, across processes; a pass waits
    for the one before it (a few milliseconds), so a commit's events are out when it returns.
    PostgreSQL: an advisory lock, waited for at most RELAY_LOCK_TIMEOUT (then an error, and the
    loop retries). SQLite: an empty write, which takes the database's write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = '{RELAY_LOCK_TIMEOUT}'"))
        session.execute(select(func.pg_advisory_xact_lock(RELAY_LOCK_KEY)))
    else:
        session.execute(update(OutboxEvent).where(OutboxEvent.id < 0).values(published_at=None))


class OutboxRelay:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        bus: EventBus,
        clock: Callable[[], datetime],
        *,
        batch_size: int = BATCH_SIZE,
        backoff_seconds: float = BACKOFF_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._clock = clock
        self._batch_size = batch_size
        self._backoff_seconds = backoff_seconds
        self._pass_lock = threading.Lock()
        self._quiet_until = 0.0  # time.monotonic(); commits do not publish before it

    def after_commit(self) -> None:
        """Publish now what is waiting, unless a pass failed a moment ago (then the loop
        retries). Never raises: the caller's change is committed whatever happens here."""
        self.relay(unless_failing=True)

    def relay(self, *, unless_failing: bool = False) -> bool:
        """Publish everything unpublished, oldest first; False when something is left for later
        (the bus or the database failed). Never raises."""
        with self._pass_lock:  # one pass at a time in this process: id order
            if unless_failing and time.monotonic() < self._quiet_until:
                return False
            try:
                self._publish_all()
            except (EventBusError, SQLAlchemyError) as exc:
                if isinstance(exc, EventBusError):
                    BUS_PUBLISH_FAILURES.inc()
                self._quiet_until = time.monotonic() + self._backoff_seconds
                log.warning("outbox relay: %s; the events stay stored and are retried", exc)
                return False
            except Exception:  # the change is committed: never turn it into an error
                self._quiet_until = time.monotonic() + self._backoff_seconds
                log.exception("outbox relay failed; the events stay stored and are retried")
                return False
            self._quiet_until = 0.0  # the bus is back: commits publish at once again
            return True

    def start(self, poll_seconds: float = POLL_SECONDS) -> Callable[[], None]:
        """Start the background loop of a server process, which retries what is left and
        prunes; returns its stopper."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self._run, args=(stop, poll_seconds), daemon=True, name="outbox-relay"
        )
        thread.start()

        def stopper() -> None:
            stop.set()
            thread.join(timeout=10)

        return stopper

    def _run(self, stop: threading.Event, poll_seconds: float) -> None:
        pruned_at = time.monotonic()
        while not stop.wait(poll_seconds):
            self.relay()
            if time.monotonic() - pruned_at >= PRUNE_EVERY_SECONDS:
                pruned_at = time.monotonic()
                try:
                    self.prune()
                except SQLAlchemyError:
                    log.warning("outbox relay: could not prune published events", exc_info=True)

    def prune(self, keep: timedelta = KEEP_PUBLISHED) -> int:
        """Delete events published longer than `keep` ago (the bus has them)."""
        with transaction(self._sessions) as session:
            result = session.execute(
                delete(OutboxEvent).where(OutboxEvent.published_at < self._clock() - keep)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _publish_all(self) -> None:
        while self._publish_batch() == self._batch_size:
            pass

    def _publish_batch(self) -> int:
        """One transaction: claim, publish in id order, mark what went out. A bus failure
        still marks what was published before it, then raises."""
        failure: EventBusError | None = None
        with transaction(self._sessions) as session:
            _claim_relay(session)
            rows = session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
                .order_by(OutboxEvent.id)
                .limit(self._batch_size)
            ).all()
            published: list[int] = []
            for row in rows:
                try:
                    self._bus.publish(_event_of(row))
                except EventBusError as exc:
                    failure = exc
                    break
                published.append(row.id)
            if published:
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_(published))
                    .values(published_at=self._clock())
                )
        if failure is not None:
            raise failure
        return len(rows)
