"""The console's emergency banner: the primary line is the one-key transfer, the other lines to
alert are buttons beside it, named as the transfer buttons are (issue 18 §1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Session

pytestmark = pytest.mark.browser

# The linked lines come from the rules, so the shipped model gives them without retraining.
CRASH_WITH_SOMEONE_TRAPPED = "两辆车撞了，一个司机卡在车里出不来，头上在流血"


def classified(operator: Page, text: str) -> None:
    operator.fill("#content", text)
    operator.click("#classify")
    suggestions = operator.locator("#suggestions")
    expect(suggestions).not_to_be_empty()
    if suggestions.locator("[data-unavailable]").count():
        pytest.skip("the routing model is not installed")


def test_an_emergency_shows_its_primary_line_and_the_linked_lines_beside_it(
    people: Session,
) -> None:
    operator = people.signed_in("op")
    classified(operator, CRASH_WITH_SOMEONE_TRAPPED)
    banner = operator.locator("#emergency")
    expect(banner).to_be_visible()
    expect(banner.locator("#emergency-text")).to_contain_text("请立即转接 交通事故报警")
    expect(banner.locator("#emergency-transfer")).to_have_text("一键转接 122（三方）")
    linked = banner.locator("#emergency-linked button")
    expect(linked).to_have_text(["医疗急救 120", "消防救援 119"])
    expect(linked.first).to_have_attribute("data-line", "120")
    # A linked line transfers like the primary one (here without a call, it says so).
    linked.first.click()
    expect(operator.locator("#toast")).to_contain_text("无法转接 医疗急救")
    expect(operator.locator("#attended")).to_be_checked()

    classified(operator, "有个人站在楼顶边上说要往下跳")
    expect(banner.locator("#emergency-transfer")).to_have_text("一键转接 110（三方）")
    expect(banner.locator("#emergency-linked button")).to_have_text(
        ["消防救援 119", "医疗急救 120"]
    )

    classified(operator, "我爸突然晕倒了叫不醒")  # one line: nothing beside it
    expect(banner.locator("#emergency-transfer")).to_have_text("一键转接 120（三方）")
    expect(banner.locator("#emergency-linked")).to_be_hidden()

    classified(operator, "小区路灯不亮好几天了")
    expect(banner).to_be_hidden()
