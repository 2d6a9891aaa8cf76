"""The scheduled jobs run in every API worker: one pass at a time (a worker that finds a pass
running skips its own instead of failing on the tickets it changes), and in the periodic loop
about once per interval however many workers there are."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from hotline.app import run_deadline_scan
from hotline.cli import app as cli
from hotline.config import Settings
from hotline.events import Event, InProcessBus
from hotline.jobs import claim_job
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
        # another worker's pass, not yet committed
        assert claim_job(session, "deadline scan", clock.now)
        assert run_deadline_scan(services) is None
        assert run_hot_topics(services) == []  # another job: not held, so it runs
        assert claim_job(session, "hot topics", clock.now)
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
    services: Services, clock: Clock, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    runner = CliRunner()
    with services.unit() as (session, _):
        assert claim_job(session, "deadline scan", clock.now)
        assert claim_job(session, "hot topics", clock.now)
        scan = runner.invoke(cli, ["scan"])
        assert scan.exit_code == 0 and "另一个进程正在扫描时限，本次跳过" in scan.output
        topics = runner.invoke(cli, ["hot-topics"])
        assert topics.exit_code == 0 and "另一个进程正在检测热点，本次跳过" in topics.output
    scan = runner.invoke(cli, ["scan"])
    assert scan.exit_code == 0 and "时限扫描完成：0 个事件" in scan.output


def test_the_loop_leaves_a_job_that_ran_recently_to_the_worker_that_ran_it(
    api: Api, services: Services, clock: Clock, events: list[Event]
) -> None:
    recent = timedelta(seconds=54)  # 90 % of a 60-second interval
    [tid] = overdue_tickets(api, clock)
    assert run_deadline_scan(services, unless_ran_within=recent) == 2
    clock.now += timedelta(seconds=20)  # another worker wakes in between
    assert run_deadline_scan(services, unless_ran_within=recent) is None
    assert run_hot_topics(services, unless_ran_within=recent) == []  # its own schedule
    clock.now += timedelta(seconds=40)  # an interval after the pass
    assert run_deadline_scan(services, unless_ran_within=recent) == 0
    assert run_deadline_scan(services) == 0  # by hand: whenever no pass is running
    reminded = [e for e in events if e.type == "ticket.reminded"]
    assert [e.payload["ticket_id"] for e in reminded] == [tid]
