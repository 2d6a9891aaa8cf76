"""补正 in the browser: ZJ asks, once, for everything it still needs; the dispatch desk sees
the ticket waiting; the citizen answers on the public page from a phone; ZJ sees the answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import PHONE, Session, screenshot
from tests.web.test_story import _submit_action

pytestmark = pytest.mark.browser


def _signed_by_zj(
    call_api: Callable[..., httpx.Response], content: str, phone: str, kind: str
) -> str:
    """A ticket filed, dispatched to ZJ and signed there, arranged over the API: its number."""
    body = {"content": f"{content}（{uuid.uuid4().hex[:6]}）", "citizen_phone": phone, "type": kind}
    created = call_api("op", "POST", "/api/tickets", body)
    assert created.status_code == 201, created.text
    ticket = created.json()
    for user, action, params in (
        ("disp", "dispatch", {"department": "ZJ", "level": "exact"}),
        ("zj", "accept", None),
    ):
        reply = call_api(user, "POST", f"/api/tickets/{ticket['id']}/actions/{action}", params)
        assert reply.status_code == 200, reply.text
    return str(ticket["number"])


def _citizen_looks_up(people: Session, number: str, phone: str) -> Page:
    """The citizen, on a phone, looks the ticket up by number + phone on the public page."""
    citizen = people.page(PHONE)
    citizen.goto("/public")
    citizen.fill("#lookup-number", number)
    citizen.fill("#lookup-phone", phone)
    citizen.click("#lookup-form button[type=submit]")
    return citizen


def test_a_department_asks_once_and_the_citizen_answers_online(
    people: Session, call_api: Callable[..., httpx.Response]
) -> None:
    phone = "13900003333"
    number = _signed_by_zj(call_api, "红旗区某工地夜间施工扰民，具体位置说不清", phone, "投诉")

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

    citizen = _citizen_looks_up(people, number, phone)
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


def test_a_tolerated_application_keeps_its_countdown_and_needs_the_commitment(
    people: Session, call_api: Callable[..., httpx.Response]
) -> None:
    phone = "13900004444"
    number = _signed_by_zj(call_api, "咨询不动产登记，房产证原件暂时不在手边", phone, "求助")

    department = people.signed_in("zj")
    department.locator(f'#inbox [data-ticket="{number}"]').click()
    department.click('#detail [data-action="request-supplement"]')
    form = department.locator('form[data-form="request-supplement"]')
    form.locator('[name="tolerated"]').select_option("true")
    form.locator('[name="items"]').fill("房屋所有权证原件")
    form.locator("button[type=submit]").click()
    # No written commitment: refused with the reason, the form and what was typed kept.
    expect(department.locator("#toast")).to_contain_text("书面承诺")
    expect(form.locator('[name="items"]')).to_have_value("房屋所有权证原件")
    form.locator('[name="commitment"]').fill("申请人已签署承诺书（编号 2026-118）")
    form.locator("button[type=submit]").click()
    expect(department.locator("#detail .tag.waiting")).to_have_text("容缺受理")
    expect(department.locator("#detail .supplements")).to_contain_text("承诺书（编号 2026-118）")
    # The clock runs on: the inbox line keeps its countdown.
    inbox_item = department.locator(f'#inbox [data-ticket="{number}"]')
    expect(inbox_item).to_contain_text("容缺受理，待补齐材料")
    expect(inbox_item.locator(".countdown")).to_contain_text("剩")

    citizen = _citizen_looks_up(people, number, phone)
    expect(citizen.locator("#supplement-form h3")).to_have_text(
        "您的申请已容缺受理，请补齐以下材料"
    )
    expect(citizen.locator("#supplement-form")).to_contain_text("视为撤回申请")
