"""智能回访's "0 for an operator" in the browser: the demo centre calls a citizen back, the
citizen presses 0, and the answering operator's console pops 「回访转人工：工单 …」 with the
ticket and its 回访计划 one click away, instead of a new ticket's form."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import EXTENSIONS, LiveCentre, Shift, screenshot

pytestmark = pytest.mark.browser

CITIZEN = "13612348888"
# The demo worker looks every 10 s; ringing, the keys, the queue: well within a minute.
POP_WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def demo_interval() -> float:
    return 600.0  # hardly any inbound calls: the operators stay free for the revisit


def test_zero_pops_the_revisited_ticket_on_the_answering_console(
    centre: LiveCentre, shift: Shift
) -> None:
    consoles = {user: shift.signed_in(user) for user in EXTENSIONS}
    centre.demo.switchboard.citizens[CITIZEN] = "operator"
    filed = centre.api(
        "operator1",
        "POST",
        "/api/tickets",
        json={
            "content": "小区门口路灯不亮",
            "citizen_phone": CITIZEN,
            "type": "求助",
            "real_name": True,
            "citizen_name": "王芳",
        },
    ).json()
    for user, action, body in (
        ("dispatcher1", "dispatch", {"department": "ZJ"}),
        ("zj1", "accept", {}),
        ("zj1", "reply", {"content": "已修复路灯"}),
    ):
        done = centre.api(user, "POST", f"/api/tickets/{filed['id']}/actions/{action}", json=body)
        assert done.status_code == 200, done.text

    page = _popped(consoles, f"回访转人工：工单 {filed['number']}")
    call_id = int(page.locator("#caller").get_attribute("data-call-id") or 0)
    call = centre.api("supervisor1", "GET", f"/api/calls/{call_id}").json()
    assert call["revisit_ticket"] == {"number": filed["number"], "id": filed["id"]}
    assert call["answered_by"] == EXTENSIONS[call["operator"]]
    assert consoles[call["operator"]] is page
    expect(page.locator("#caller")).to_have_text(CITIZEN)  # dialable, to call back
    expect(page.locator("#citizen-phone")).to_have_value("")  # no new ticket is offered
    # The pop opens the ticket in 待回访 by itself; the button brings it back.
    page.locator("#revisit-detail").get_by_text("回访计划").wait_for()
    page.locator("#revisit-detail").evaluate("(node) => node.replaceChildren()")
    page.click("#open-revisit-ticket")
    expect(page.locator("#revisit-detail")).to_contain_text(filed["number"])
    expect(page.locator("#revisit-detail")).to_contain_text("市民按 0 要求人工回访")
    screenshot(page, "console-revisit-pop")


def _popped(consoles: dict[str, Page], text: str) -> Page:
    """The console whose call pop says ``text``, once one does."""
    deadline = time.monotonic() + POP_WAIT_SECONDS
    while time.monotonic() < deadline:
        for page in consoles.values():
            pop = page.locator("#revisit-pop")
            if pop.count() and pop.inner_text().startswith(text):
                return page
        time.sleep(0.25)
    raise AssertionError(f"no console popped {text!r} in {POP_WAIT_SECONDS} s")
