"""The scheduled jobs run in every API worker; on PostgreSQL one pass at a time runs, and a
worker that finds a pass running skips its own instead of failing on the tickets it changes."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from typer.testing import CliRunner

from hotline.app import run_deadline_scan
from hotline.cli import app as cli
from hotline.config import Settings
from hotline.db import claim_job
from hotline.events import Event, InProcessBus
from hotline.kb.hotspots import run_hot_topics
from hotline.services import Services
from tests.app_fixtures import Api, Clock

ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
OVERDUE = datetime(2026, 11, 25, 8, 0)  # past the signing deadline of a Monday dispatch


def overdue_tickets(api: Api, clock: Clock, count: int = 1) -> list[int]:
    tids = [api.create(citizen_phone=f"1390000{n:04d}")["id"] for n in range(count)]
    for tid in tids:
        api.act("disp", tid, "dispatch", {"department": "ZJ"})
    clock.now = OVERDUE
    return tids


@ON_POSTGRES
def test_a_pass_running_elsewhere_makes_this_one_skip(
    api: Api, services: Services, clock: Clock, events: list[Event]
) -> None:
    [tid] = overdue_tickets(api, clock)
    with services.unit() as (session, _):
        assert claim_job(session, "deadline scan")  # another worker's pass, not yet committed
        assert run_deadline_scan(services) is None
        assert run_hot_topics(services) == []  # another job: not held, so it runs
        assert claim_job(session, "hot topics")
        assert run_hot_topics(services) is None
    assert not [e for e in events if e.type in {"ticket.overdue", "ticket.reminded"}]
    assert run_deadline_scan(services) == 2  # overdue, and the automatic 催办
    ticket = api.get("disp", f"/api/tickets/{tid}").json()
    assert ticket["sla_flag"] == "red"
    assert [s["kind"] for s in ticket["supervisions"]] == ["remind"]


@ON_POSTGRES
def test_two_workers_scanning_at_once_report_and_remind_once(
    api: Api, services: Services, clock: Clock, database_url: str
) -> None:
    tids = overdue_tickets(api, clock, 20)
    published: list[Event] = []
    bus = InProcessBus()
    bus.subscribe(published.append)
    workers = [
        Services(Settings(database_url=database_url, scan_interval_seconds=3600), bus=bus)
        for _ in range(2)
    ]
    start = threading.Barrier(len(workers))
    outcomes: list[int | BaseException | None] = []

    def scan(worker: Services) -> None:
        worker.clock = clock
        start.wait()
        try:
            outcomes.append(run_deadline_scan(worker))
        except BaseException as error:  # a failed pass is what this test is about
            outcomes.append(error)

    threads = [threading.Thread(target=scan, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.close()
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    overdue = [e.payload["ticket_id"] for e in published if e.type == "ticket.overdue"]
    assert sorted(overdue) == sorted(tids)
    for tid in tids:
        supervisions = api.get("disp", f"/api/tickets/{tid}").json()["supervisions"]
        assert [s["kind"] for s in supervisions] == ["remind"]


@ON_POSTGRES
def test_the_commands_say_when_they_skip(
    services: Services, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    runner = CliRunner()
    with services.unit() as (session, _):
        assert claim_job(session, "deadline scan") and claim_job(session, "hot topics")
        scan = runner.invoke(cli, ["scan"])
        assert scan.exit_code == 0 and "另一个进程正在扫描时限，本次跳过" in scan.output
        topics = runner.invoke(cli, ["hot-topics"])
        assert topics.exit_code == 0 and "另一个进程正在检测热点，本次跳过" in topics.output
    scan = runner.invoke(cli, ["scan"])
    assert scan.exit_code == 0 and "时限扫描完成：0 个事件" in scan.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_serves_one_process_so_a_job_is_always_claimed(services: Services) -> None:
    with services.unit() as (session, _):
        assert claim_job(session, "deadline scan") and claim_job(session, "deadline scan")
