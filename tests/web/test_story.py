"""A day at the centre, walked in the browser by the people who do it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Session, screenshot

pytestmark = pytest.mark.browser


def _submit_action(page: Page, action: str, **fields: str) -> None:
    """Open an action's form in the ticket detail, fill it, confirm, and wait for the result."""
    page.click(f'#detail [data-action="{action}"], #revisit-detail [data-action="{action}"]')
    form = page.locator(f'form[data-form="{action}"]')
    for name, value in fields.items():
        control = form.locator(f'[name="{name}"]')
        if control.evaluate("node => node.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.locator("button[type=submit]").click()
    # On success the ticket is re-rendered without the form; on failure the form and message stay.
    try:
        expect(form).to_have_count(0)
    except AssertionError as failure:
        raise AssertionError(f"{action} failed: {page.locator('#toast').inner_text()}") from failure
    expect(page.locator("#toast")).to_contain_text("成功")


def _dispatched_to(page: Page, code: str) -> int:
    cell = page.locator(f'#kpi-table tr[data-code="{code}"] td[data-key="dispatched"]')
    return int(cell.inner_text()) if cell.count() else 0


def test_a_complaint_goes_round_the_whole_cycle(people: Session) -> None:
    content = f"红旗区小区旁工地夜间打桩施工噪声扰民，影响休息（{uuid.uuid4().hex[:6]}）"
    phone = "13900001111"

    supervisor = people.signed_in("sup")
    expect(supervisor.locator("#fig-received")).to_be_visible()
    zj_before = _dispatched_to(supervisor, "ZJ")
    dispatcher = people.signed_in("disp")
    department = people.signed_in("zj")
    operator = people.signed_in("op")

    # 08:40 the operator files the complaint with the suggested (or, without the classifier,
    # the chosen) department.
    operator.fill("#citizen-phone", phone)
    operator.press("#citizen-phone", "Tab")
    expect(operator.locator("#caller-history")).to_contain_text("首次来电")
    operator.fill("#content", content)
    operator.check("input[name=real_name]")
    operator.select_option("#type", "投诉")
    operator.click("#classify")
    suggestions = operator.locator("#suggestions")
    expect(suggestions).not_to_be_empty()
    if suggestions.locator("[data-unavailable]").count():
        expect(suggestions).to_contain_text("智能分析服务暂未接入")
        operator.select_option("#department", "ZJ")
    else:
        operator.click("#accept-suggestion")
        expect(operator.locator("#department")).not_to_have_value("")
    chosen = operator.locator("#department option:checked").inner_text()  # 名称（代码）
    screenshot(operator, "console")
    operator.click("#file")
    # The first ticket of a fresh server loads the word-segmentation dictionary (about 5 s).
    expect(operator.locator("#filed")).to_contain_text("已登记", timeout=20_000)
    number = re.search(r"\d{8}-\d+", operator.locator("#filed").inner_text()).group(0)  # type: ignore[union-attr]

    # The dispatcher's queue fills without a reload (server-sent events).
    item = dispatcher.locator(f'#new-queue [data-ticket="{number}"]')
    expect(item).to_be_visible()
    expect(item).to_contain_text(f"接线员选 {chosen}")
    item.click()
    expect(dispatcher.locator("#detail .number")).to_have_text(number)
    screenshot(dispatcher, "dispatch")
    _submit_action(dispatcher, "dispatch", department="ZJ")
    expect(dispatcher.locator(f'#new-queue [data-ticket="{number}"]')).to_have_count(0)

    # ZJ's inbox shows it with its signing clock; ZJ signs and replies.
    inbox_item = department.locator(f'#inbox [data-ticket="{number}"]')
    expect(inbox_item).to_be_visible()
    expect(inbox_item.locator(".countdown")).to_contain_text("剩")
    inbox_item.click()
    department.click('#detail [data-action="accept"]')
    expect(department.locator("#detail .status")).to_have_text("办理中")
    screenshot(department, "department")
    _submit_action(department, "reply", content="已责令施工单位停止夜间施工，并安排巡查。")

    # 14:00 the revisit: not satisfied, real name → a rectification task for ZJ.
    revisit_item = operator.locator(f'#revisit-queue [data-ticket="{number}"]')
    expect(revisit_item).to_be_visible()
    revisit_item.click()
    _submit_action(operator, "revisit", rating="不满意", solved="false", note="夜里仍在施工")
    expect(operator.locator("#revisit-detail .tag.bad")).to_have_text("差评整改")
    rectify_item = department.locator(f'#rectify-queue [data-ticket="{number}"]')
    expect(rectify_item).to_contain_text("差评：不满意")
    rectify_item.click()
    _submit_action(
        department,
        "rectify",
        verification="属实，施工单位夜间违规打桩",
        rectification="立案处罚并约谈项目经理",
        feedback="已电话告知市民处理结果",
    )
    expect(department.locator(f'#rectify-queue [data-ticket="{number}"]')).to_have_count(0)

    # The centre sends it back for 重办; ZJ signs and replies again.
    _submit_action(operator, "reopen", reason="市民反映夜间仍在施工")
    department.locator(f'#inbox [data-ticket="{number}"]').click()
    department.click('#detail [data-action="accept"]')
    expect(department.locator("#detail .status")).to_have_text("办理中")
    _submit_action(department, "reply", content="施工单位已停工整改，夜间不再施工。")

    # 17:00 the supervisor's figures have moved; he issues a 督办.
    supervisor.reload()
    expect(supervisor.locator('#kpi-table tr[data-code="ZJ"]')).to_be_visible()
    # Dispatched twice: once by the dispatcher, once more by the 重办.
    assert _dispatched_to(supervisor, "ZJ") == zj_before + 2
    supervisor.fill("#search-q", number)
    supervisor.click("#search-form button[type=submit]")
    supervisor.locator(f'#search-results [data-ticket="{number}"]').click()
    _submit_action(supervisor, "supervise", reason="群众反复反映，请从严处理", days="3")
    expect(supervisor.locator("#detail .tag.supervised")).to_have_text("督办")
    expect(supervisor.locator("#charts-score svg rect")).not_to_have_count(0)
    supervisor.evaluate("window.scrollTo(0, 0)")
    screenshot(supervisor, "supervisor")

    # Any time, the public: look the ticket up by number + phone and rate it.
    citizen = people.page()
    citizen.goto("/public")
    citizen.fill("#lookup-number", number)
    citizen.fill("#lookup-phone", phone)
    citizen.click("#lookup-form button[type=submit]")
    expect(citizen.locator("#public-status")).to_have_text("已回复")
    citizen.select_option("#rating-form select[name=rating]", "满意")
    citizen.click("#rating-form button[type=submit]")
    expect(citizen.locator("#public-rating")).to_have_text("满意")
    expect(citizen.locator("#rating-form")).to_have_count(0)
    citizen.reload()
    expect(citizen.locator('#ratings-table tr[data-code="ZJ"]')).to_be_visible()
    screenshot(citizen, "public")


def test_citizen_text_is_shown_as_text_never_as_markup(
    people: Session, call_api: Callable[..., httpx.Response]
) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    reply = call_api(
        "op",
        "POST",
        "/api/tickets",
        {
            "content": hostile,
            "citizen_phone": "13900002222",
            "type": "求助",
            "citizen_name": "<b>x</b>",
        },
    )
    assert reply.status_code == 201, reply.text
    number = reply.json()["number"]

    dispatcher = people.signed_in("disp")
    item = dispatcher.locator(f'#new-queue [data-ticket="{number}"]')
    expect(item.locator(".summary")).to_have_text(hostile)
    item.click()
    expect(dispatcher.locator("#detail .content")).to_have_text(hostile)
    expect(dispatcher.locator("#detail")).to_contain_text("<b>x</b>")
    assert dispatcher.locator("main img, main b").count() == 0

    citizen = people.page()
    citizen.goto("/public")
    citizen.fill("#lookup-number", number)
    citizen.fill("#lookup-phone", "13900002222")
    citizen.click("#lookup-form button[type=submit]")
    expect(citizen.locator("#lookup-result .content").first).to_have_text(hostile)
    assert citizen.locator("main img").count() == 0
