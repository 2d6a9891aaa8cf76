"""GET /metrics: the series move as tickets and calls do, the token guards them, no personal
data reaches them, and several processes report one set."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from hotline.app import create_app, run_deadline_scan
from hotline.calls.runner import CallRecorder
from hotline.events import EventBusError
from hotline.events.core import SHANGHAI
from hotline.metrics.series import job_pass, ticket_acted
from hotline.metrics.workers import MULTIPROCESS_DIR, prepare_multiprocess_dir
from hotline.services import Services
from telephony.calls import CallEvent
from tests.app_fixtures import Api, Clock
from tests.calls.test_calls_store import scenario_events, tracked
from tests.metrics.scraping import TOKEN, scrape, with_metrics_token

REPOSITORY = Path(__file__).resolve().parents[2]
CITIZEN_PHONE = "13912345678"
CITIZEN_NAME = "王小明"
CONTENT = "幸福小区3号楼电梯困人无人处理"


@pytest.fixture
def metered(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=with_metrics_token(services))) as client:
        yield client


def feed_call(services: Services, clock: Clock, scenario: str) -> None:
    """One call from a switchboard scenario through the calls sink, started a minute ago."""
    start = (clock.now - timedelta(minutes=1)).replace(tzinfo=SHANGHAI).timestamp()
    events = scenario_events(scenario, call_id=f"{time.time_ns()}.1", start=start)
    recorder = CallRecorder(services)
    for event in tracked(events):
        if isinstance(event, CallEvent):
            recorder.store(event)
    recorder.close()


def test_without_a_token_there_is_no_metrics_endpoint(client: TestClient) -> None:
    reply = client.get("/metrics")
    assert reply.status_code == 404 and reply.json()["code"] == "not_found"


def test_the_token_is_required(metered: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        reply = metered.get("/metrics", headers=headers)
        assert reply.status_code == 401, headers
        assert reply.json()["code"] == "unauthorized" and "令牌" in reply.json()["message"]
        assert reply.headers["www-authenticate"] == "Bearer"
    assert scrape(metered)("hotline_metrics_database_up") == 1


def test_ticket_series_move_and_carry_no_personal_data(
    metered: TestClient, services: Services, clock: Clock
) -> None:
    api = Api(metered)
    before = scrape(metered)
    ticket = api.create(citizen_phone=CITIZEN_PHONE, citizen_name=CITIZEN_NAME, content=CONTENT)
    api.act("disp", ticket["id"], "dispatch", {"department": "ZJ"})
    api.get("op", f"/api/tickets/{ticket['id']}")
    assert metered.get("/api/no-such-thing").status_code == 404
    clock.now += timedelta(days=30)  # every deadline passed
    after = scrape(metered)

    assert after.grew(before, "hotline_tickets_created_total", channel="phone") == 1
    assert after.grew(before, "hotline_ticket_transitions_total", action="dispatch") == 1
    assert after.grew(before, "hotline_tickets_overdue") == 1

    # Requests by route template and status; a path no route serves is "unmatched".
    def requests(route: str, status: str, method: str = "GET") -> float:
        labels = {"method": method, "route": route, "status": status}
        return after.grew(before, "hotline_http_requests_total", **labels)

    assert requests("/api/tickets", "201", "POST") == 1
    assert requests("/api/tickets/{ticket_id}", "200") == 1
    assert requests("unmatched", "404") == 1
    latency = "hotline_http_request_duration_seconds_count"
    assert after.grew(before, latency, method="POST", route="/api/tickets") == 1
    routes = {labels["route"] for labels in after.labels("hotline_http_requests_total")}
    assert f"/api/tickets/{ticket['id']}" not in routes

    for personal in (CITIZEN_PHONE, CITIZEN_NAME, CONTENT, ticket["number"], "幸福小区"):
        assert personal not in after.text


def test_a_change_rolled_back_counts_nothing(metered: TestClient, services: Services) -> None:
    """Tickets and transitions are counted when their transaction commits, not before."""
    before = scrape(metered)
    with pytest.raises(RuntimeError), services.unit() as (session, _):
        ticket_acted(session, None, "dispatch")
        raise RuntimeError("the action failed after its hooks ran")
    assert scrape(metered).grew(before, "hotline_ticket_transitions_total", action="dispatch") == 0
    with services.unit() as (session, _):
        ticket_acted(session, None, "dispatch")
    assert scrape(metered).grew(before, "hotline_ticket_transitions_total", action="dispatch") == 1


def test_call_series_move_as_calls_go_through_the_sink(
    metered: TestClient, services: Services, clock: Clock
) -> None:
    before = scrape(metered)
    feed_call(services, clock, "queue_call")
    feed_call(services, clock, "abandoned_call")
    after = scrape(metered)

    assert after.grew(before, "hotline_calls_today", outcome="offered") == 2
    assert after.grew(before, "hotline_calls_today", outcome="answered") == 1
    assert after.grew(before, "hotline_calls_today", outcome="abandoned") == 1
    assert after.grew(before, "hotline_call_queue_wait_seconds_count") == 2
    assert after.grew(before, "hotline_call_queue_wait_seconds_sum") > 0
    within = after("hotline_calls_today", outcome="answered_within_15s")
    offered = after("hotline_calls_today", outcome="offered")
    assert after("hotline_call_service_level_today") == pytest.approx(within / offered, abs=1e-4)
    assert after("hotline_call_service_level_target") == 0.95
    # The histogram's buckets are cumulative and end with every offered call.
    buckets = sorted(
        (float(labels["le"]), after("hotline_call_queue_wait_seconds_bucket", **labels))
        for labels in after.labels("hotline_call_queue_wait_seconds_bucket")
    )
    counts = [count for _, count in buckets]
    assert counts == sorted(counts) and counts[-1] == after("hotline_call_queue_wait_seconds_count")
    assert "13900000010" not in after.text  # the scenario's caller


def test_bus_failures_and_the_outbox_backlog(metered: TestClient, services: Services) -> None:
    api = Api(metered)
    before = scrape(metered)
    assert before("hotline_outbox_backlog") == 0

    def refuse(_event: object) -> None:
        raise EventBusError("the bus is down")

    bus_publish, services.bus.publish = services.bus.publish, refuse  # type: ignore[method-assign]
    try:
        api.create()
        during = scrape(metered)
    finally:
        services.bus.publish = bus_publish  # type: ignore[method-assign]
    assert during("hotline_outbox_backlog") >= 1
    assert during("hotline_outbox_oldest_age_seconds") >= 0
    assert during.grew(before, "hotline_bus_publish_failures_total") == 1
    services.relay.relay()
    assert scrape(metered)("hotline_outbox_backlog") == 0


def test_classifier_latency_and_uncertain_share(metered: TestClient) -> None:
    api = Api(metered)
    before = scrape(metered)
    reply = api.post("op", "/api/classify", {"text": "晚上十点以后工地还在打桩，吵得睡不着"})
    if reply.status_code != 200:
        pytest.skip(f"no routing model in this checkout: {reply.json()['code']}")
    uncertain = "true" if reply.json()["uncertain"] else "false"
    after = scrape(metered)
    assert after.grew(before, "hotline_classifier_duration_seconds_count") == 1
    assert after.grew(before, "hotline_classifier_suggestions_total", uncertain=uncertain) == 1


def test_scheduled_job_runs_and_failures(metered: TestClient, services: Services) -> None:
    before = scrape(metered)
    job_pass("deadline scan", lambda: run_deadline_scan(services))
    job_pass("deadline scan", lambda: None)  # skipped: another worker's turn

    def broken() -> None:
        raise RuntimeError("a bad pass")

    with pytest.raises(RuntimeError):
        job_pass("deadline scan", broken)
    after = scrape(metered)
    assert after.grew(before, "hotline_job_runs_total", task="deadline scan") == 2
    assert after.grew(before, "hotline_job_failures_total", task="deadline scan") == 1


def test_speech_series_while_a_speech_server_runs(metered: TestClient) -> None:
    assert "hotline_speech_streams_active" not in scrape(metered).names()  # none in this process
    stats = {
        "streams_active": 2,
        "audio_seconds_backlog": 1.5,
        "partials_dropped": 7,
        "audio_seconds_dropped": 0.25,
    }
    metered.app.state.speech_service = SimpleNamespace(stats=lambda: stats)  # type: ignore[attr-defined]
    samples = scrape(metered)
    assert samples("hotline_speech_streams_active") == 2
    assert samples("hotline_speech_lag_seconds") == 1.5
    assert samples("hotline_speech_partials_dropped_total") == 7
    assert samples("hotline_speech_audio_dropped_seconds_total") == 0.25


WORKER = """
import sys
from hotline.metrics import series
series.TICKETS_CREATED.labels(channel="web").inc(int(sys.argv[1]))
series.HTTP_LATENCY.labels(method="GET", route="/api/health").observe(0.01)
"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_several_worker_processes_report_one_set(
    metered: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes write their series to one PROMETHEUS_MULTIPROC_DIR (as the workers of
    ``hotline serve --workers 2`` do); a scrape answered by either reports their sum, once."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for created in (2, 3):
        subprocess.run(
            [sys.executable, "-c", WORKER, str(created)], env=env, cwd=REPOSITORY, check=True
        )
    assert len(list(tmp_path.glob("*.db"))) >= 2  # one file set per process
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(metered)
    assert samples("hotline_tickets_created_total", channel="web") == 5
    latency = "hotline_http_request_duration_seconds_count"
    assert samples(latency, method="GET", route="/api/health") == 2
    assert samples("hotline_metrics_database_up") == 1  # the scrape-time gauges too


def test_serve_prepares_one_directory_for_its_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An earlier run's files would be added to this run's counts: they go; nothing else does."""
    stale, unrelated = tmp_path / "counter_4242.db", tmp_path / "notes.txt"
    stale.write_bytes(b"old counts")
    unrelated.write_text("kept")
    monkeypatch.setenv(MULTIPROCESS_DIR, str(tmp_path))
    assert prepare_multiprocess_dir() == tmp_path
    assert not stale.exists() and unrelated.exists()

    monkeypatch.delenv(MULTIPROCESS_DIR)
    made = prepare_multiprocess_dir()  # none configured: a fresh one, named for the workers
    assert made.is_dir() and os.environ[MULTIPROCESS_DIR] == str(made)
    made.rmdir()
