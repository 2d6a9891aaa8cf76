"""The supervisor's 智能回访 section shows GET /api/stats/revisits as it is, by names."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest
from playwright.sync_api import expect

from hotline.revisits.runner import RevisitWorker
from hotline.revisits.service import policy_of
from hotline.services import Services
from tests.app_fixtures import Clock
from tests.revisits.test_figures import ScriptedDialer
from tests.web.conftest import Session, screenshot

pytestmark = pytest.mark.browser

# Long before the other browser tests' tickets, so the worker here calls only its own.
THURSDAY = datetime(2025, 6, 12, 9, 0)
FRIDAY = datetime(2025, 6, 13, 9, 0)


def _one_pass(worker: RevisitWorker) -> None:
    """In a thread of its own: Playwright's loop runs in this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(worker.run_once())).result()


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def test_the_supervisors_revisit_figures_are_the_apis(
    people: Session,
    centre_clock: Clock,
    web_services: Services,
    call_api: Callable[..., httpx.Response],
) -> None:
    centre_clock.now = THURSDAY
    script = {"13700000001": ["no_answer", "rated"], "13700000002": ["operator"]}
    real_name = {"13700000001": True, "13700000002": True, "13700000003": False}
    for phone, named in real_name.items():
        body = {"content": "路灯不亮", "citizen_phone": phone, "type": "求助", "real_name": named}
        ticket = call_api("op", "POST", "/api/tickets", {**body, "citizen_name": "李明"})
        ticket_id = ticket.json()["id"]
        call_api("disp", "POST", f"/api/tickets/{ticket_id}/actions/dispatch", {"department": "ZJ"})
        call_api("zj", "POST", f"/api/tickets/{ticket_id}/actions/accept", {})
        reply = call_api(
            "zj", "POST", f"/api/tickets/{ticket_id}/actions/reply", {"content": "已修"}
        )
        assert reply.status_code == 200, reply.text
    worker = RevisitWorker(
        web_services, ScriptedDialer(script), policy_of(web_services.settings.revisit), name="web"
    )
    _one_pass(worker)
    centre_clock.now = FRIDAY
    _one_pass(worker)
    centre_clock.now = FRIDAY.replace(hour=12)

    supervisor = people.signed_in("sup")
    expect(supervisor.locator("#end")).to_have_value("2025-06-13")
    reply = call_api("sup", "GET", "/api/stats/revisits?start=2025-06-07&end=2025-06-13")
    figures = reply.json()
    assert (figures["plans"], figures["completed"], figures["handed_to_operators"]) == (3, 1, 2)
    section = supervisor.get_by_role("region", name="智能回访")
    expected = {
        "#rv-plans": str(figures["plans"]),
        "#rv-completed": str(figures["completed"]),
        "#rv-completion-rate": _percent(figures["completion_rate"]),
        "#rv-automated-share": _percent(figures["automated_share"]),
        "#rv-opt-outs": str(figures["opt_outs"]),
        "#rv-handed": str(figures["handed_to_operators"]),
    }
    for selector, text in expected.items():
        expect(section.locator(f"{selector} strong")).to_have_text(text)
    expect(section.locator("#rv-completion-rate")).to_contain_text("5 个工作日内完成率")

    call = section.locator('tr[data-channel="call"]')
    expect(call.locator("th")).to_have_text("自动语音回访")
    by_channel = next(row for row in figures["by_channel"] if row["channel"] == "call")
    attempts = next(row for row in figures["attempts"] if row["channel"] == "call")
    expect(call.locator('[data-key="plans"]')).to_have_text(str(by_channel["plans"]))
    expect(call.locator('[data-key="attempts"]')).to_have_text(str(attempts["attempts"]))
    expect(call.locator('[data-key="per_completed"]')).to_have_text(
        f"{attempts['per_completed']:.2f}"
    )
    for reason in figures["handover_reasons"]:
        line = section.locator(f'[data-reason="{reason["reason"]}"]')
        expect(line).to_have_text(f"{reason['label']}：{reason['plans']} 件")
    for outcome in figures["outcomes"]:
        line = section.locator(f'[data-outcome="call-{outcome["outcome"]}"]')
        expect(line).to_have_text(f"自动语音回访 · {outcome['label']}：{outcome['attempts']} 次")
    section.scroll_into_view_if_needed()
    screenshot(supervisor, "supervisor-revisits")
