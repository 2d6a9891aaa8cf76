"""补正 in the browser: ZJ asks, once, for everything it still needs; the dispatch desk sees
the ticket waiting; the citizen answers on the public page from a phone; ZJ sees the answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import PHONE, Session, screenshot
from tests.web.test_story import _submit_action

pytestmark = pytest.mark.browser


def test_a_department_asks_once_and_the_citizen_answers_online(
    people: Session, call_api: Callable[..., httpx.Response]
) -> None:
    phone = "13900003333"
    content = f"红旗区某工地夜间施工扰民，具体位置说不清（{uuid.uuid4().hex[:6]}）"
    created = call_api(
        "op", "POST", "/api/tickets", {"content": content, "citizen_phone": phone, "type": "投诉"}
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert call_api("disp", "POST", f"/api/tickets/{ticket['id']}/actions/dispatch",
                    {"department": "ZJ", "level": "exact"}).status_code == 200  # fmt: skip
    assert call_api("zj", "POST", f"/api/tickets/{ticket['id']}/actions/accept").status_code == 200
    number = ticket["number"]

    dispatcher = people.signed_in("disp")
    department = people.signed_in("zj")
    department.locator(f'#inbox [data-ticket="{number}"]').click()
    expect(department.locator("#detail .status")).to_have_text("办理中")
    _submit_action(
        department,
        "request-supplement",
        items="工地的具体位置（门牌号或路口）\n夜间施工的时间段\n\n现场照片或视频（如有）",
        days="3",
    )
    expect(department.locator("#detail .tag.waiting")).to_have_text("待补正")
    expect(department.locator("#detail .supplements li li")).to_have_count(3)
    expect(department.locator(f'#inbox [data-ticket="{number}"]')).to_contain_text("待群众补正")
    # Asked once: the button is gone.
    expect(department.locator('#detail [data-action="request-supplement"]')).to_have_count(0)
    screenshot(department, "department-supplement")

    # The dispatch desk sees it waiting without a reload (server-sent events).
    expect(dispatcher.locator(f'#supplement-queue [data-ticket="{number}"]')).to_be_visible()

    citizen = people.page(PHONE)
    citizen.goto("/public")
    citizen.fill("#lookup-number", number)
    citizen.fill("#lookup-phone", phone)
    citizen.click("#lookup-form button[type=submit]")
    expect(citizen.locator("#supplement-items li")).to_have_text(
        ["工地的具体位置（门牌号或路口）", "夜间施工的时间段", "现场照片或视频（如有）"]
    )
    screenshot(citizen, "public-supplement")
    citizen.fill(
        "#supplement-form textarea[name=content]", "红旗路 88 号北侧工地，每晚 22 点到凌晨 2 点"
    )
    citizen.click("#supplement-form button[type=submit]")
    expect(citizen.locator("#supplement-form")).to_have_count(0)
    expect(citizen.locator("#toast")).to_contain_text("已提交")

    expect(dispatcher.locator(f'#supplement-queue [data-ticket="{number}"]')).to_have_count(0)
    department.locator(f'#inbox [data-ticket="{number}"]').click()
    expect(department.locator("#detail .supplements")).to_contain_text(
        "已补正：红旗路 88 号北侧工地"
    )
    expect(department.locator("#detail .tag.waiting")).to_have_count(0)
    _submit_action(department, "reply", content="已核实红旗路 88 号工地，责令停止夜间施工。")
