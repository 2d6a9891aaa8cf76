"""智能回访 end to end: the plan made on reply, the worker's calls over a real TCP AMI
conversation with the simulator's citizens, the outcome on the ticket."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from hotline.app import create_app
from hotline.audit.models import AuditRecord
from hotline.cli import app as hotline_cli
from hotline.config import RevisitSettings
from hotline.events import Event
from hotline.revisits.runner import RevisitWorker
from hotline.revisits.service import Claim, claim_due, policy_of
from hotline.services import Services
from telephony.ami import AMIConfig
from telephony.revisit import RevisitDialer, RevisitOutcome
from telephony.revisit import RevisitSettings as DialSettings
from tests.app_fixtures import Api, Clock
from tests.calls.conftest import AMI_SECRET, AMI_USER, Switchboard, call_of, eventually

PHONE = "13812345678"
# Short limits: an outcome that never comes fails a test in seconds.
QUICK = DialSettings(ring_seconds=2, max_call_seconds=5, outcome_grace_seconds=1)
MONDAY_LUNCH = datetime(2026, 11, 23, 12, 30)


def replied_ticket(api: Api, phone: str = PHONE, **fields: Any) -> dict[str, Any]:
    ticket = api.create(citizen_phone=phone, real_name=True, citizen_name="张丽", **fields)
    api.act("disp", ticket["id"], "dispatch", {"department": "ZJ"})
    api.act("zj", ticket["id"], "accept")
    return api.act("zj", ticket["id"], "reply", {"content": "已责令工地停止夜间施工"})


def originated_numbers(switchboard: Switchboard) -> list[str]:
    """Every Originate the simulator received, by the number it dials."""
    seen: list[str] = []
    original = switchboard.sim._originate

    def counting(session: Any, action: Any, action_id: str) -> None:
        seen.append(action.get("Channel", ""))
        original(session, action, action_id)

    switchboard.sim._originate = counting  # type: ignore[method-assign]
    return seen


def run_workers(
    services: Services, switchboard: Switchboard, count: int = 1
) -> list[list[tuple[Claim, RevisitOutcome]]]:
    """``count`` workers, each with its own AMI connection, making one pass at once."""
    config = AMIConfig("127.0.0.1", switchboard.port, AMI_USER, AMI_SECRET)
    policy = policy_of(services.settings.revisit)

    async def passes() -> list[list[tuple[Claim, RevisitOutcome]]]:
        dialers = [RevisitDialer(config, QUICK, backoff_initial=0.05) for _ in range(count)]
        tasks = [asyncio.create_task(dialer.run()) for dialer in dialers]
        try:
            for dialer in dialers:
                await dialer.client.wait_connected(5)
            workers = [
                RevisitWorker(services, dialer, policy, name=f"worker-{n}")
                for n, dialer in enumerate(dialers)
            ]
            return list(await asyncio.gather(*(worker.run_once() for worker in workers)))
        finally:
            for dialer in dialers:
                await dialer.close()
            for task in tasks:
                task.cancel()

    return asyncio.run(passes())


@pytest.fixture
def quick_switchboard(switchboard: Switchboard) -> Switchboard:
    switchboard.sim.revisit_ring_seconds, switchboard.sim.revisit_key_seconds = 0.5, 0.3
    return switchboard


def test_a_reply_makes_a_plan_shown_on_the_ticket(api: Api) -> None:
    called = replied_ticket(api)["revisit_plan"]
    assert (called["channel"], called["status"], called["attempts_left"]) == (
        "call",
        "scheduled",
        3,
    )
    assert called["next_at"] == "2026-11-23T09:00:00"  # Monday 09:00: now, inside the hours
    assert called["latest"] == "2026-11-30T23:59:59"  # 5 working days
    assert "工作日 09:00–12:00、14:00–20:00" in called["reasons"][-1]["text"]

    anonymous = api.create(citizen_phone="13912345678")
    api.act("disp", anonymous["id"], "dispatch", {"department": "ZJ"})
    api.act("zj", anonymous["id"], "accept")
    plan = api.act("zj", anonymous["id"], "reply", {"content": "已处理"})["revisit_plan"]
    assert (plan["channel"], plan["status"]) == ("operator", "operator")
    assert plan["reasons"][0]["text"] == "非实名（匿名）工单，由中心人工回访"

    about_us = replied_ticket(api, "13612345678", matter_category="热线服务")
    assert about_us["revisit_plan"]["reasons"][0]["text"] == "投诉热线中心本身，须人工回访"
    api.act("op", about_us["id"], "revisit", {"rating": "满意", "solved": True})
    opted_out = replied_ticket(api, "13712345678", no_automated_revisit=True)
    assert opted_out["no_automated_revisit"] is True
    assert opted_out["revisit_plan"]["reasons"][0]["text"] == "市民要求不接受机器回访"
    queue = api.get("op", "/api/revisits/queue").json()
    assert [item["number"] for item in queue["items"]] == [anonymous["number"], opted_out["number"]]
    assert queue["items"][0]["citizen_phone"] == "139****5678"
    assert api.get("zj", "/api/revisits/queue").status_code == 403

    # An operator's revisit ends the plan; the queue forgets the ticket.
    api.act("op", anonymous["id"], "revisit", {"rating": "满意", "solved": True})
    assert [i["number"] for i in api.get("op", "/api/revisits/queue").json()["items"]] == [
        opted_out["number"]
    ]
    ended = api.get("op", f"/api/tickets/{anonymous['id']}").json()["revisit_plan"]
    assert ended["status"] == "done" and ended["reasons"][-1]["text"] == "op 已人工回访，计划结束"


def test_calls_only_in_calling_hours_and_the_keys_become_the_rating(
    api: Api, services: Services, clock: Clock, quick_switchboard: Switchboard
) -> None:
    quick_switchboard.sim.citizens[PHONE] = "dissatisfied"  # 4 不满意, not solved
    ticket = replied_ticket(api)
    dialled = originated_numbers(quick_switchboard)

    clock.now = MONDAY_LUNCH
    assert run_workers(services, quick_switchboard) == [[]]
    clock.now = datetime(2026, 11, 23, 20, 0)  # the evening window has just closed
    assert run_workers(services, quick_switchboard) == [[]]
    assert dialled == []

    clock.now = datetime(2026, 11, 24, 9, 5)
    [[(_, outcome)]] = run_workers(services, quick_switchboard)
    assert outcome.kind == "rated" and dialled == [f"PJSIP/{PHONE}@trunk"]
    with services.sessions() as session:  # the system read the full number to dial it
        reads = session.scalars(
            select(AuditRecord).where(
                AuditRecord.actor == "智能回访", AuditRecord.action == "read_personal_data"
            )
        ).all()
    assert [(r.role, r.entity_id, r.detail["fields"]) for r in reads] == [
        ("system", str(ticket["id"]), ["phone"])
    ]
    detail = api.get("op", f"/api/tickets/{ticket['id']}").json()
    assert (detail["status"], detail["rating"], detail["solved"]) == ("revisited", "不满意", False)
    assert detail["ratings"] == [
        {"level": "不满意", "solved": False, "channel": "call", "rated_at": "2026-11-24T09:05:00"}
    ]
    revisit = detail["history"][-1]
    assert (revisit["action"], revisit["actor"], revisit["role"]) == (
        "revisit",
        "智能回访",
        "system",
    )
    assert "智能回访自动外呼第 1 次" in revisit["data"]["note"]
    assert detail["rectification_open"] is True  # a bad real-name rating, as from a person
    plan = detail["revisit_plan"]
    assert plan["status"] == "done"
    assert [(a["number"], a["outcome"], a["satisfaction"]) for a in plan["attempts"]] == [
        (1, "rated", 4)
    ]

    # Reopened and replied again while the rectification is open: a person revisits it.
    api.act("op", ticket["id"], "reopen", {"reason": "市民不满意"})
    api.act("zj", ticket["id"], "accept")
    again = api.act("zj", ticket["id"], "reply", {"content": "已再次核实整改"})["revisit_plan"]
    assert (again["channel"], again["status"]) == ("operator", "operator")
    assert again["reasons"][-1]["text"] == "实名差评整改中，须人工回访"


def test_no_answer_is_retried_at_the_next_slot_and_exhausted_attempts_go_to_operators(
    api: Api, services: Services, clock: Clock, quick_switchboard: Switchboard
) -> None:
    quick_switchboard.sim.citizens[PHONE] = "no_answer"
    ticket = replied_ticket(api)
    clock.now = datetime(2026, 11, 23, 11, 0)
    [[(_, first)]] = run_workers(services, quick_switchboard)
    assert first.kind == "no_answer"
    plan = api.get("op", f"/api/tickets/{ticket['id']}").json()["revisit_plan"]
    # Two hours later is lunch: the next slot is 14:00.
    assert (plan["status"], plan["next_at"], plan["attempts_left"]) == (
        "scheduled",
        "2026-11-23T14:00:00",
        2,
    )
    assert run_workers(services, quick_switchboard) == [[]]  # not due yet
    for at in (datetime(2026, 11, 23, 14, 0), datetime(2026, 11, 23, 16, 0)):
        clock.now = at
        [[(_, again)]] = run_workers(services, quick_switchboard)
        assert again.kind == "no_answer"
    plan = api.get("op", f"/api/tickets/{ticket['id']}").json()["revisit_plan"]
    assert (plan["status"], plan["attempts_left"]) == ("operator", 0)
    assert [a["outcome_label"] for a in plan["attempts"]] == ["无人接听"] * 3
    queued = api.get("op", "/api/revisits/queue").json()["items"]
    assert [item["number"] for item in queued] == [ticket["number"]]
    assert len(queued[0]["attempts"]) == 3
    assert "自动回访 3 次均未完成" in queued[0]["reasons"][-1]["text"]


def test_zero_puts_the_ticket_in_the_operators_queue(
    api: Api, services: Services, quick_switchboard: Switchboard
) -> None:
    quick_switchboard.sim.citizens[PHONE] = "operator"
    ticket = replied_ticket(api)
    [[(_, outcome)]] = run_workers(services, quick_switchboard)
    assert outcome.kind == "operator"
    detail = api.get("op", f"/api/tickets/{ticket['id']}").json()
    assert detail["status"] == "replied" and detail["rating"] is None
    assert detail["revisit_plan"]["status"] == "operator"
    assert detail["revisit_plan"]["reasons"][-1]["text"] == "第 1 次外呼：市民按 0 要求人工回访"
    queued = api.get("op", "/api/revisits/queue").json()["items"]
    assert [item["ticket_id"] for item in queued] == [ticket["id"]]


def test_two_workers_never_call_one_citizen_twice_for_one_attempt(
    api: Api, services: Services, quick_switchboard: Switchboard
) -> None:
    phones = [f"1381234{n:04d}" for n in range(4)]
    for phone in phones:
        quick_switchboard.sim.citizens[phone] = "satisfied"
        replied_ticket(api, phone)
    dialled = originated_numbers(quick_switchboard)
    passes = run_workers(services, quick_switchboard, count=3)
    claimed = [claim.attempt_id for one_pass in passes for claim, _ in one_pass]
    assert len(claimed) == len(set(claimed)) == 4
    assert sorted(dialled) == sorted(f"PJSIP/{phone}@trunk" for phone in phones)
    tickets = api.get("op", "/api/tickets", status="revisited").json()
    assert tickets["total"] == 4


@pytest.fixture
def revisiting_app(
    services: Services, quick_switchboard: Switchboard, operator_extension: str
) -> Iterator[TestClient]:
    """The app as ``hotline serve`` runs it with an AMI URL: bridge and revisit worker."""
    settings = replace(
        services.settings,
        ami_url=quick_switchboard.ami_url,
        revisit=RevisitSettings(interval_seconds=0.2),
    )
    app = create_app(settings, services=services)
    with TestClient(app) as client:
        eventually(lambda: app.state.call_bridge is not None and app.state.call_bridge.connected)
        yield client


def test_the_app_revisits_a_replied_ticket_by_itself(
    revisiting_app: TestClient, quick_switchboard: Switchboard
) -> None:
    api = Api(revisiting_app)
    quick_switchboard.sim.citizens[PHONE] = "satisfied"
    ticket = replied_ticket(api)

    def rated() -> dict[str, Any] | None:
        detail = api.get("op", f"/api/tickets/{ticket['id']}").json()
        return detail if detail["rating"] else None

    detail = eventually(rated, timeout=15)
    assert (detail["rating"], detail["solved"], detail["status"]) == ("非常满意", True, "revisited")
    assert api.get("op", "/api/calls").json()["items"] == []


def test_run_once_by_hand(services: Services, quick_switchboard: Switchboard) -> None:
    env = {"HOTLINE_DATABASE_URL": services.settings.database_url, "HOTLINE_AMI_URL": ""}
    refused = CliRunner().invoke(hotline_cli, ["revisits", "run-once"], env=env)
    assert refused.exit_code == 2 and "请设置 HOTLINE_AMI_URL" in refused.output
    env["HOTLINE_AMI_URL"] = quick_switchboard.ami_url
    nothing = CliRunner().invoke(hotline_cli, ["revisits", "run-once"], env=env)
    assert nothing.exit_code == 0, nothing.output
    assert "没有到期的自动回访（外呼时段：工作日 09:00–12:00、14:00–20:00）" in nothing.output


def test_an_attempt_lost_with_its_worker_is_settled_unknown_and_retried(
    api: Api, services: Services, clock: Clock, quick_switchboard: Switchboard
) -> None:
    quick_switchboard.sim.citizens[PHONE] = "satisfied"
    ticket = replied_ticket(api)
    with services.unit() as (session, _):  # a worker claims, then stops before any outcome
        [lost] = claim_due(
            session,
            clock(),
            "gone",
            policy_of(services.settings.revisit),
            services.calendar(session),
        )
    clock.now += timedelta(minutes=10)
    assert run_workers(services, quick_switchboard) == [[]]  # still within its lease
    clock.now = datetime(2026, 11, 23, 11, 30)
    assert run_workers(services, quick_switchboard) == [[]]  # settled; the retry is not due
    plan = api.get("op", f"/api/tickets/{ticket['id']}").json()["revisit_plan"]
    assert (plan["status"], plan["next_at"], plan["attempts_left"]) == (
        "scheduled",
        "2026-11-23T14:00:00",
        2,
    )
    assert [(a["number"], a["outcome"]) for a in plan["attempts"]] == [(lost.number, "unknown")]
    clock.now = datetime(2026, 11, 23, 14, 0)
    [[(claim, outcome)]] = run_workers(services, quick_switchboard)
    assert (claim.number, outcome.kind) == (2, "rated")


def test_zero_puts_the_call_on_the_answering_operators_screen_with_its_ticket(
    revisiting_app: TestClient,
    quick_switchboard: Switchboard,
    operator_extension: str,
    events: list[Event],
) -> None:
    api = Api(revisiting_app)
    quick_switchboard.sim.citizens[PHONE] = "operator"
    quick_switchboard.sim.add_member("12345", f"PJSIP/{operator_extension}", operator_extension)
    ticket = replied_ticket(api)

    call = eventually(lambda: call_of(api, PHONE, "answered"), timeout=15)
    assert (call["answered_by"], call["operator"], call["queue"]) == (
        operator_extension,
        "op",
        "12345",
    )
    assert call["linkedid"].startswith("revisit-")
    assert call["revisit_ticket"] == {"number": ticket["number"], "id": ticket["id"]}
    answered = next(
        e for e in events if e.type == "call.answered" and e.payload["call_id"] == call["id"]
    )
    assert answered.payload["revisit_ticket"] == {"number": ticket["number"], "id": ticket["id"]}
    # The revisit itself went to the operators' queue, as before.
    queued = api.get("op", "/api/revisits/queue").json()["items"]
    assert [item["ticket_id"] for item in queued] == [ticket["id"]]

    ended = eventually(lambda: call_of(api, PHONE, "ended"), timeout=15)
    assert ended["id"] == call["id"] and ended["revisit_ticket"]["id"] == ticket["id"]
