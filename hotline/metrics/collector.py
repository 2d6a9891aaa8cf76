"""What is read at scrape time: from the database (a few aggregate queries on indexed
columns) and from the bridges running in this process. One scrape, one short transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, select
from sqlalchemy.exc import SQLAlchemyError

from hotline.calls.figures import SERVICE_LEVEL_STANDARD, call_totals, offered_call, started_in
from hotline.calls.models import Call
from hotline.events.models import OutboxEvent
from hotline.services import Services
from hotline.stats.service import _count
from hotline.tickets.models import Ticket
from hotline.tickets.service import overdue

log = logging.getLogger(__name__)
QUEUE_WAIT_BUCKETS = (5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0)
CALL_OUTCOMES = ("offered", "answered", "answered_within_15s", "abandoned")


class StateCollector(Collector):
    """Gauges of the moment. ``app_state`` is the FastAPI app's ``state`` (or a stand-in):
    its ``call_bridge`` and ``speech_service`` are this process's, when configured. Without
    ``database`` (the bridge's and speech server's own listener) the database's gauges are
    left to the API, so that no figure is reported twice."""

    def __init__(self, services: Services, app_state: Any, *, database: bool = True) -> None:
        self.services = services
        self.app_state = app_state
        self.database = database

    def collect(self) -> Iterator[Metric]:
        if self.database:
            yield from self._database()
        yield from self._ami()
        yield from self._speech()

    def _database(self) -> Iterator[Metric]:
        try:
            yield from self._from_database()
            up = 1.0
        except SQLAlchemyError:
            log.warning("metrics: the database does not answer", exc_info=True)
            up = 0.0
        yield GaugeMetricFamily(
            "hotline_metrics_database_up", "Whether this scrape could read the database", up
        )

    def _from_database(self) -> list[Metric]:
        svc = self.services
        now = svc.clock()
        today = now.date()
        with svc.sessions() as session:
            overdue_now = session.scalar(select(func.count(Ticket.id)).where(overdue(now)))
            waiting = OutboxEvent.published_at.is_(None)
            backlog = session.scalar(select(func.count(OutboxEvent.id)).where(waiting))
            oldest = session.scalar(
                select(OutboxEvent.occurred_at).where(waiting).order_by(OutboxEvent.id).limit(1)
            )
            calls = call_totals(session, today, today)
            waits = session.execute(
                select(
                    *(_count(Call.wait_seconds <= bound) for bound in QUEUE_WAIT_BUCKETS),
                    func.count(Call.id),
                    func.sum(Call.wait_seconds),
                ).where(and_(started_in(today, today), offered_call()))
            ).one()
        metrics: list[Metric] = [
            GaugeMetricFamily(
                "hotline_tickets_overdue", "Tickets past their deadline now", overdue_now or 0
            ),
            GaugeMetricFamily(
                "hotline_outbox_backlog", "Stored events not yet published", backlog or 0
            ),
            GaugeMetricFamily(
                "hotline_outbox_oldest_age_seconds",
                "Age of the oldest unpublished event (0 when none waits)",
                _age_seconds(oldest),
            ),
        ]
        today_calls = GaugeMetricFamily(
            "hotline_calls_today",
            "Calls since midnight at the centre, by outcome (docs/kpis.md)",
            labels=["outcome"],
        )
        for outcome in CALL_OUTCOMES:
            today_calls.add_metric([outcome], calls[outcome])
        metrics.append(today_calls)
        metrics.append(
            GaugeMetricFamily(
                "hotline_call_service_level_target",
                "Share of offered calls to answer within 15 s (GB/T 33358)",
                SERVICE_LEVEL_STANDARD,
            )
        )
        if calls["service_level_15s"] is not None:  # no call offered yet: no figure
            metrics.append(
                GaugeMetricFamily(
                    "hotline_call_service_level_today",
                    "Share of today's offered calls answered within 15 s",
                    calls["service_level_15s"],
                )
            )
        *within, offered, wait_sum = waits
        buckets = [
            (str(bound), int(n or 0)) for bound, n in zip(QUEUE_WAIT_BUCKETS, within, strict=True)
        ]
        buckets.append(("+Inf", int(offered or 0)))
        metrics.append(
            HistogramMetricFamily(
                "hotline_call_queue_wait_seconds",
                "Queue wait of today's offered calls (starts again at midnight)",
                buckets=buckets,
                sum_value=float(wait_sum or 0),
            )
        )
        return metrics

    def _ami(self) -> Iterator[Metric]:
        bridge = getattr(self.app_state, "call_bridge", None)
        if bridge is None:  # no AMI in this process: no series, so no false alert
            return
        yield GaugeMetricFamily(
            "hotline_ami_connected", "Whether the AMI connection is logged in", bridge.connected
        )
        logins = bridge.ami.client.connections
        yield CounterMetricFamily(
            "hotline_ami_reconnects",
            "AMI logins after the first one (each a reconnect)",
            max(logins - 1, 0),
        )

    def _speech(self) -> Iterator[Metric]:
        speech = getattr(self.app_state, "speech_service", None)
        if speech is None:
            return
        stats = speech.stats()
        yield GaugeMetricFamily(
            "hotline_speech_streams_active", "AudioSocket streams open now", stats["streams_active"]
        )
        yield GaugeMetricFamily(
            "hotline_speech_lag_seconds",
            "Audio received but not yet recognised (the real-time lag)",
            stats["audio_seconds_backlog"],
        )
        yield CounterMetricFamily(
            "hotline_speech_partials_dropped",
            "Partial transcripts skipped to catch up",
            stats["partials_dropped"],
        )
        yield CounterMetricFamily(
            "hotline_speech_audio_dropped_seconds",
            "Audio dropped unrecognised (the recognisers could not keep up)",
            stats["audio_seconds_dropped"],
        )


def _age_seconds(occurred_at: str | None) -> float:
    """Seconds since an event's ``occurred_at`` (ISO with its offset: the real clock's)."""
    if occurred_at is None:
        return 0.0
    age = datetime.now(UTC) - datetime.fromisoformat(occurred_at)
    return max(age.total_seconds(), 0.0)
