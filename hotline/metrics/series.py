"""The series the code moves as things happen. Defined once per process at import; in
multiprocess mode prometheus-client writes them to ``PROMETHEUS_MULTIPROC_DIR``, which must be
set before this module is first imported (``hotline serve --workers N`` sets it)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

HTTP_REQUESTS = Counter(
    "hotline_http_requests",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "hotline_http_request_duration_seconds",
    "Time to the response's first byte, by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TICKETS_CREATED = Counter("hotline_tickets_created", "Tickets created, by channel", ["channel"])
TICKET_TRANSITIONS = Counter(
    "hotline_ticket_transitions", "Workflow actions performed on tickets", ["action"]
)
BUS_PUBLISH_FAILURES = Counter(
    "hotline_bus_publish_failures",
    "Outbox relay passes that could not publish to the bus (the events stay stored)",
)
CLASSIFIER_LATENCY = Histogram(
    "hotline_classifier_duration_seconds",
    "Time the routing model takes for one suggestion",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)
CLASSIFIER_SUGGESTIONS = Counter(
    "hotline_classifier_suggestions",
    "Routing suggestions made; uncertain ones name no department",
    ["uncertain"],
)
for _uncertain in ("true", "false"):  # both at 0 from the start: the share is defined
    CLASSIFIER_SUGGESTIONS.labels(uncertain=_uncertain)
# "task", not "job": Prometheus gives every series a "job" label of its own (the scrape job).
JOB_RUNS = Counter("hotline_job_runs", "Scheduled job passes that ran (not skipped)", ["task"])
JOB_FAILURES = Counter("hotline_job_failures", "Scheduled job passes that failed", ["task"])

_PENDING = "metrics_after_commit"


def after_commit(session: Session, count: Callable[[], None]) -> None:
    """Count once the session's transaction commits: a rolled-back change counts nothing."""
    session.info.setdefault(_PENDING, []).append(count)


def count_on_commit(sessions: sessionmaker[Session]) -> None:
    """Run (or forget, on rollback) what :func:`after_commit` put aside; once per factory."""
    if event.contains(sessions, "after_commit", _run_pending):
        return
    event.listen(sessions, "after_commit", _run_pending)
    event.listen(sessions, "after_rollback", _forget_pending)


def _run_pending(session: Session) -> None:
    for count in session.info.pop(_PENDING, ()):
        count()


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def ticket_created(session: Session, ticket: Any, _request: dict[str, Any]) -> None:
    """A ``ticket_created_hooks`` hook."""
    after_commit(session, TICKETS_CREATED.labels(channel=ticket.channel).inc)


def ticket_acted(session: Session, _ticket: Any, action: str, *_: Any) -> None:
    """A ``ticket_action_hooks`` hook."""
    after_commit(session, TICKET_TRANSITIONS.labels(action=action).inc)


def classified(suggest: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Time one suggestion and count whether it was uncertain."""
    started = time.perf_counter()
    suggestion = suggest()
    CLASSIFIER_LATENCY.observe(time.perf_counter() - started)
    uncertain = "true" if suggestion.get("uncertain") else "false"
    CLASSIFIER_SUGGESTIONS.labels(uncertain=uncertain).inc()
    return suggestion


def declare_jobs(jobs: Iterable[str]) -> None:
    """Show the jobs' counters at 0 from the start, so the first failure is an increase."""
    for job in jobs:
        JOB_RUNS.labels(task=job)
        JOB_FAILURES.labels(task=job)


def job_pass(job: str, run: Callable[[], object]) -> object:
    """Run one pass of a scheduled job, counting it unless it was skipped (``None``: another
    worker's turn) and counting its failure when it raises."""
    try:
        result = run()
    except Exception:
        JOB_RUNS.labels(task=job).inc()
        JOB_FAILURES.labels(task=job).inc()
        raise
    if result is not None:
        JOB_RUNS.labels(task=job).inc()
    return result
