"""The text-message revisit link in the browser: on a phone, the citizen reads the reply, rates
it, and the link then refuses."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import pytest
from playwright.sync_api import expect

from hotline.config import RevisitSettings, SmsSettings
from hotline.revisits.links import SmsSender
from hotline.revisits.service import current_plan, policy_of
from hotline.revisits.sms import Sent
from hotline.services import Services
from hotline.throttle import Throttle
from tests.app_fixtures import Clock
from tests.web.conftest import PHONE, Session, screenshot

pytestmark = pytest.mark.browser


@dataclass
class Phones:
    texts: list[str] = field(default_factory=list)

    def send(self, phone: str, text: str) -> Sent:
        self.texts.append(text)
        return Sent(True)


def test_a_citizen_rates_through_the_link_once(
    people: Session,
    base_url: str,
    web_services: Services,
    centre_clock: Clock,
    call_api: Callable[..., httpx.Response],
) -> None:
    centre_clock.now = datetime(2026, 11, 23, 10, 0)  # a Monday, inside the sending hours
    filed = call_api(
        "op",
        "POST",
        "/api/tickets",
        {
            "content": "小区门口路灯不亮",
            "citizen_phone": "13812340000",
            "type": "求助",
            "real_name": True,
            "citizen_name": "王芳",
        },
    ).json()
    for user, action, body in (
        ("disp", "dispatch", {"department": "ZJ"}),
        ("zj", "accept", {}),
        ("zj", "reply", {"content": "已修复路灯"}),
    ):
        call_api(user, "POST", f"/api/tickets/{filed['id']}/actions/{action}", body)
    # This app's policy calls; the plan is the one an sms-configured centre would make.
    with web_services.unit() as (session, _):
        plan = current_plan(session, filed["id"])
        assert plan is not None
        plan.channel = plan.handled_by = "sms"
    sms = SmsSettings(public_url=base_url)
    phones = Phones()
    policy = policy_of(RevisitSettings(channel="sms"), sms)
    SmsSender(web_services, phones, policy, sms, Throttle(), name="web-test").run_once()
    [text] = phones.texts
    link = re.search(rf"{re.escape(base_url)}(/public/revisit/\S+?)（", text)
    assert link is not None, text

    page = people.page(PHONE)
    page.goto(link.group(1))
    expect(page.locator("#revisit-number")).to_have_text(filed["number"])
    expect(page.locator("#revisit-ticket")).to_contain_text("已修复路灯")
    expect(page.locator("#revisit-ticket")).not_to_contain_text("13812340000")
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("已解决").check()
    screenshot(page, "revisit-link-phone")
    page.click("#revisit-form button[type=submit]")
    expect(page.locator("#revisit-done")).to_contain_text("感谢您的评价")
    rated = call_api("op", "GET", f"/api/tickets/{filed['id']}").json()
    assert (rated["rating"], rated["status"]) == ("满意", "revisited")

    page.reload()
    expect(page.locator("#revisit-refusal")).to_have_text("该评价链接已使用")
    assert not people.stray_words()
