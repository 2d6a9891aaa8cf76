"""Hot topics: story 7 (nine calls, one 小区, no heating → one alert), baselines, the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from typer.testing import CliRunner

from hotline.cli import app as cli
from hotline.events import Event
from hotline.kb.hotspots import run_hot_topics
from hotline.services import Services
from tests.app_fixtures import Api, Clock

NO_HEATING = (
    "牧野区金桂园小区暖气不热，家里冰凉",
    "金桂园小区到现在还没有暖气",
    "我家在金桂园小区，暖气一点都不热",
    "金桂园小区整栋楼暖气不热，老人孩子受不了",
    "牧野区金桂园小区供暖有问题，暖气不热",
    "金桂园小区暖气片是凉的，没有暖气",
    "金桂园小区今天中午开始暖气不热了",
    "反映金桂园小区暖气不热的问题",
    "金桂园小区没暖气，什么时候能修好",
)


def calls(
    api: Api, clock: Clock, texts: tuple[str, ...], *, every: timedelta, **fields: object
) -> list[int]:
    ids = []
    for n, text in enumerate(texts):
        ticket = api.create(content=text, citizen_phone=f"1380000{n:04d}", **fields)
        ids.append(ticket["id"])
        clock.now += every
    return ids


def alerts(events: list[Event]) -> list[Event]:
    return [e for e in events if e.type == "hotspot.alert"]


def test_nine_calls_from_one_estate_raise_one_alert(
    api: Api, clock: Clock, services: Services, events: list[Event]
) -> None:
    clock.now = datetime(2026, 11, 23, 12, 5)
    # Ordinary calls of the week elsewhere do not make a topic.
    calls(
        api, clock, ("胜利路路灯不亮", "人民公园厕所太脏", "出租车拒载"), every=timedelta(minutes=3)
    )
    nine = calls(
        api,
        clock,
        NO_HEATING,
        every=timedelta(minutes=20),
        division="MY",
        address="牧野区金桂园小区",
    )
    clock.now = datetime(2026, 11, 23, 15, 30)

    results = run_hot_topics(services)
    assert [(a.ticket_count, raised) for a, raised in results] == [(9, True)]
    [event] = alerts(events)
    assert event.payload["division"] == "MY" and "金桂园小区" in event.payload["place"]
    assert event.payload["ticket_count"] == 9 and event.payload["baseline_weekly"] == 0
    assert "暖气不热" in event.payload["keywords"] or "暖气" in event.payload["keywords"]

    shown = api.get("sup", "/api/hotspots").json()["items"]
    assert len(shown) == 1 and [t["id"] for t in shown[0]["tickets"]] == nine

    # The dispatcher merges them under a lead ticket; the next run updates, never re-raises.
    for ticket_id in nine[1:]:
        api.act("disp", ticket_id, "merge", {"into": nine[0]})
    clock.now += timedelta(hours=1)
    again = run_hot_topics(services)
    assert [(a.id, a.ticket_count, raised) for a, raised in again] == [
        (shown[0]["alert_id"], 9, False)
    ]
    assert len(alerts(events)) == 1
    detail = api.get("sup", f"/api/hotspots/{shown[0]['alert_id']}").json()
    assert {t["merged_into"] for t in detail["tickets"][1:]} == {nine[0]}


def test_a_topic_at_its_usual_level_raises_nothing(
    api: Api, clock: Clock, services: Services, events: list[Event]
) -> None:
    # Two no-heating calls a week from the estate for four weeks: 2 a week is its baseline.
    clock.now = datetime(2026, 10, 20, 9, 0)
    for _ in range(4):
        calls(
            api,
            clock,
            NO_HEATING[:2],
            every=timedelta(hours=1),
            division="MY",
            address="金桂园小区",
        )
        clock.now += timedelta(days=7) - timedelta(hours=2)
    clock.now = datetime(2026, 11, 23, 9, 0)
    calls(api, clock, NO_HEATING[:5], every=timedelta(hours=1), division="MY", address="金桂园小区")
    assert run_hot_topics(services) == []  # 5 < 3 × 2
    calls(
        api, clock, NO_HEATING[5:6], every=timedelta(hours=1), division="MY", address="金桂园小区"
    )
    [(alert, raised)] = run_hot_topics(services)  # 6 ≥ 3 × 2
    assert raised and alert.ticket_count == 6 and alert.baseline_weekly == 2
    assert len(alerts(events)) == 1


def test_four_calls_are_not_yet_a_topic(api: Api, clock: Clock, services: Services) -> None:
    calls(
        api, clock, NO_HEATING[:4], every=timedelta(minutes=10), division="MY", address="金桂园小区"
    )
    assert run_hot_topics(services) == []
    assert api.get("sup", "/api/hotspots").json()["items"] == []


def test_hotspots_are_for_supervisors_and_dispatchers(api: Api) -> None:
    assert api.get("op", "/api/hotspots").status_code == 403
    assert api.get("zj", "/api/hotspots").status_code == 403
    missing = api.get("sup", "/api/hotspots/999999")
    assert missing.status_code == 404 and missing.json()["message"] == "热点告警不存在"


def test_the_commands_seed_the_kb_once_and_run_the_job(database_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    runner = CliRunner()
    first = runner.invoke(cli, ["kb", "seed"])
    assert first.exit_code == 0, first.output
    assert "新增 70 条" in first.output
    assert "新增 0 条" in runner.invoke(cli, ["kb", "seed"]).output
    job = runner.invoke(cli, ["hot-topics"])
    assert job.exit_code == 0, job.output
    assert "未发现新的热点" in job.output
