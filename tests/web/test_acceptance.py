"""Acceptance: the product as the centre meets it. The demo centre (``hotline db upgrade``,
``hotline seed-demo``, then ``hotline demo``'s own ``DemoCentre``: switchboard simulator,
bridge, server) sends live calls; two operators and a supervisor work at once in Chromium set
to New York time on a machine whose clock is UTC, while the centre keeps China time.

One live centre for the module; the tests run in order and share it, as a shift does."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import (
    EXTENSIONS,
    LiveCentre,
    Shift,
    china_today,
    screenshot,
)

pytestmark = pytest.mark.browser

DIALABLE = re.compile(r"^1\d{10}$")
CALL_WAIT_MS = 60_000  # queue wait (2–12 s) and the scenario mix: a call within a minute


@pytest.fixture(scope="module")
def consoles(shift: Shift) -> dict[str, Page]:
    return {user: shift.signed_in(user) for user in EXTENSIONS}


def popped_call(page: Page) -> tuple[int, str]:
    """The call on the console once its full number is in: (call id, number)."""
    caller = page.locator("#caller")
    expect(caller).to_have_text(DIALABLE, timeout=CALL_WAIT_MS)
    return int(caller.get_attribute("data-call-id") or 0), caller.inner_text()


# ---------------------------------------------------------------- the checks


def test_each_operator_gets_only_their_own_calls_with_a_dialable_number(
    centre: LiveCentre, consoles: dict[str, Page]
) -> None:
    for user, page in consoles.items():
        call_id, number = popped_call(page)
        call = centre.api("supervisor1", "GET", f"/api/calls/{call_id}").json()
        assert call["operator"] == user and call["answered_by"] == EXTENSIONS[user]
        assert page.input_value("#citizen-phone") == number  # ready to file, and to dial
        screenshot(page, f"acceptance-pop-{user}")
    shown = {user: popped_call(page)[0] for user, page in consoles.items()}
    assert len(set(shown.values())) == len(shown), f"two consoles show one call: {shown}"


def test_transfer_buttons_show_names_and_numbers_not_codes(
    centre: LiveCentre, consoles: dict[str, Page]
) -> None:
    page = consoles["operator1"]
    targets = centre.api("operator1", "GET", "/api/transfer-targets").json()
    assert targets
    for target in targets:
        button = page.locator(f'#transfer-targets [data-transfer="{target["code"]}"]')
        text = button.inner_text()
        assert target["name"] in text
        if target["number"]:
            assert target["number"] in text
        if target["code"] != target["number"]:
            assert target["code"] not in text, f"{text!r} shows the code {target['code']}"
        assert target["code"] in (button.get_attribute("title") or "")


def test_filing_from_the_pop_succeeds(centre: LiveCentre, consoles: dict[str, Page]) -> None:
    first = consoles["operator1"]
    call_id, number = popped_call(first)
    marker = uuid.uuid4().hex[:6]
    first.fill("#content", f"来电反映小区路灯不亮（{marker}）")
    first.click("#file")
    expect(first.locator("#filed")).to_contain_text("已登记", timeout=10_000)
    found = centre.api("admin", "GET", "/api/tickets", params={"q": marker}).json()["items"]
    assert len(found) == 1 and found[0]["citizen_phone"] == number
    call = centre.api("supervisor1", "GET", f"/api/calls/{call_id}").json()
    assert found[0]["id"] in call["tickets"]  # filed from the call, linked to it


def test_closing_directly_from_the_pop_succeeds(consoles: dict[str, Page]) -> None:
    second = consoles["operator2"]
    popped_call(second)
    marker = uuid.uuid4().hex[:6]
    second.fill("#content", f"咨询居住证办理材料（{marker}）")
    second.select_option("#type", "咨询")
    second.fill("#answer", "携带身份证和居住证明到所在街道办理。")
    second.click("#close-direct")
    expect(second.locator("#filed")).to_contain_text("已直接办结", timeout=10_000)


def test_a_new_call_never_overwrites_the_form_being_filled_in(
    centre: LiveCentre, consoles: dict[str, Page]
) -> None:
    page = consoles["operator1"]
    before = page.input_value("#citizen-phone")
    page.fill("#content", "市民正在反映的问题，尚未登记")
    centre.ring("8001", "13912340001", talk_seconds=20)
    expect(page.locator("#incoming")).to_be_visible(timeout=10_000)
    expect(page.locator("#incoming-text")).to_contain_text("139****0001")
    waiting = centre.api("supervisor1", "GET", "/api/calls", params={"phone": "13912340001"})
    centre.said_in_the_ivr(waiting.json()["items"][0]["stream_uuid"], "我要反映路灯不亮")
    assert page.input_value("#citizen-phone") == before
    assert page.input_value("#content") == "市民正在反映的问题，尚未登记"
    screenshot(page, "acceptance-new-call-waits")
    page.click("#take-incoming")
    expect(page.locator("#citizen-phone")).to_have_value("13912340001")
    expect(page.locator("#transcript")).to_have_text("我要反映路灯不亮")  # its own, from the IVR
    assert page.input_value("#content") == "市民正在反映的问题，尚未登记"
    expect(page.locator("#incoming")).to_be_hidden()


def test_pausing_and_unpausing_change_the_queue_state(
    centre: LiveCentre, consoles: dict[str, Page]
) -> None:
    def agent(user: str) -> dict[str, Any]:
        agents = centre.api("supervisor1", "GET", "/api/agents").json()["agents"]
        return next(a for a in agents if a["username"] == user)

    for user, page in consoles.items():
        assert agent(user)["logged_in"] is True
        page.select_option("#pause-reason", "整理工单")
        page.click("#agent-toggle")
        expect(page.locator("#agent-state")).to_have_text("示忙 · 整理工单")
        wait_until(lambda u=user: agent(u)["paused"], f"{user}: the queue does not show 示忙")
        assert agent(user)["pause_reason"] == "整理工单"
        page.reload()  # the console reads the state back from the switchboard
        expect(page.locator("#agent-state")).to_have_text("示忙 · 整理工单")
        page.click("#agent-toggle")
        expect(page.locator("#agent-state")).to_have_text("示闲")
        wait_until(lambda u=user: not agent(u)["paused"], f"{user}: the queue does not show 示闲")
    assert not [p for p in consoles.values() if p.locator("#toast.error").is_visible()]


def test_an_operator_signs_out_of_the_queue_and_back_in(
    centre: LiveCentre, consoles: dict[str, Page]
) -> None:
    page = consoles["operator2"]

    def signed_in() -> bool:
        agents = centre.api("supervisor1", "GET", "/api/agents").json()["agents"]
        return bool(next(a for a in agents if a["username"] == "operator2")["logged_in"])

    expect(page.locator("#queue-toggle")).to_have_text("签出队列")
    page.click("#queue-toggle")
    expect(page.locator("#agent-state")).to_have_text("未签入")
    expect(page.locator("#agent-toggle")).to_be_disabled()
    wait_until(lambda: not signed_in(), "operator2 still in the queue")
    page.click("#queue-toggle")
    expect(page.locator("#agent-state")).to_have_text("示闲")
    wait_until(signed_in, "operator2 not back in the queue")


def wait_until(check: Callable[[], bool], failure: str, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, failure
        time.sleep(0.1)


def test_the_supervisors_call_figures_equal_the_api_for_today(
    centre: LiveCentre, shift: Shift
) -> None:
    page = shift.signed_in("supervisor1", "/supervisor")
    today = china_today().isoformat()
    page.fill("#start", today)
    page.fill("#end", today)

    def api_totals() -> dict[str, Any]:
        return centre.api(
            "supervisor1", "GET", "/api/stats/calls", params={"start": today, "end": today}
        ).json()["totals"]

    # Calls keep arriving: compare only a page loaded between two equal answers of the API.
    for _ in range(20):
        before = api_totals()
        page.evaluate("document.querySelector('#call-level > *')?.setAttribute('data-old', '')")
        page.click("#period button[type=submit]")
        expect(page.locator("#call-level > :not([data-old])")).to_be_visible()  # redrawn
        totals = api_totals()
        if totals != before:
            continue
        differ = {
            key: (shown_number(page, key), totals[name])
            for key, (name, scale, precision) in CALL_FIGURES.items()
            if not same(shown_number(page, key), totals[name], scale, precision)
        }
        assert not differ, f"page ≠ API (shown, API): {differ}"
        return
    pytest.fail("the call figures never stood still long enough to compare")


# page element → (the API's totals field, page unit per API unit, the page's rounding)
CALL_FIGURES = {
    "fig-offered": ("offered", 1, 0.5),
    "fig-answered": ("answered", 1, 0.5),
    "fig-15s": ("service_level_15s", 100, 0.05),
    "fig-abandon": ("abandonment_rate", 100, 0.05),
    "fig-wait": ("avg_wait_seconds", 1, 0.5),
}


def shown_number(page: Page, figure_id: str) -> float | None:
    """The number a figure card shows (None for "—" or a missing card)."""
    value = page.locator(f"#{figure_id} strong")
    if not value.count():
        return None
    found = re.search(r"-?\d+(?:\.\d+)?", value.first.inner_text())
    return float(found[0]) if found else None


def same(shown: float | None, api: float | None, scale: float, precision: float) -> bool:
    if shown is None or api is None:
        return shown is None and api is None
    return abs(shown - api * scale) <= precision + 1e-9


@pytest.mark.parametrize("user, path", [("supervisor1", "/supervisor"), ("monitor1", "/oversight")])
def test_every_default_period_contains_todays_tickets(
    centre: LiveCentre, shift: Shift, user: str, path: str
) -> None:
    """Even in a browser whose own date is behind the centre's all day long (New York time, its
    clock a day slow): the centre's clock and zone decide what "today" is."""
    today = china_today()
    received_today = centre.api(
        "supervisor1",
        "GET",
        "/api/stats/departments",
        params={"start": today.isoformat(), "end": today.isoformat()},
    ).json()["centre"]["received"]
    assert received_today >= 2  # filed above
    page = shift.signed_in(user, path, clock_behind=timedelta(days=1))
    expect(page.locator("#fig-received strong")).not_to_have_text("")
    start, end = page.input_value("#start"), page.input_value("#end")
    assert start <= today.isoformat() <= end, f"{path}: {start}…{end} leaves out {today}"
    assert int(page.locator("#fig-received strong").inner_text()) >= received_today


def test_the_api_docs_render_with_every_request_kept_on_the_machine(shift: Shift) -> None:
    page = shift.signed_in("admin", "/docs")
    expect(page.locator(".swagger-ui .information-container")).to_contain_text(
        "12345", timeout=10_000
    )
    expect(page.locator(".opblock").first).to_be_visible()
    screenshot(page, "acceptance-docs-offline")


@pytest.mark.parametrize(
    "user, path",
    [
        ("dispatcher1", "/dispatch"),
        ("zj1", "/department"),
        ("supervisor1", "/supervisor"),
        ("monitor1", "/oversight"),
        ("operator1", "/console"),
        (None, "/public"),
        (None, "/login"),
    ],
)
def test_a_page_opens_without_errors(shift: Shift, user: str | None, path: str) -> None:
    page = shift.signed_in(user, path) if user else shift.page()
    if not user:
        page.goto(path)
    page.wait_for_timeout(1500)  # its API calls answered (a live stream never idles)
    page.close()


def test_no_page_logged_an_error_or_a_failed_request(shift: Shift) -> None:
    """Everything the shift above saw, on every page it opened."""
    assert not shift.problems, "\n".join(shift.problems)
