"""The wallboard (大屏) live, with the demo switchboard sending calls: every figure on the wall
equals what GET /api/wallboard reports, at 1920×1080 and 3840×2160, one screen without a
scrollbar, updated without a reload; and a kiosk token opens it read-only until revoked."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import LiveCentre, Session, Shift, screenshot

pytestmark = pytest.mark.browser

FULL_HD = {"width": 1920, "height": 1080}
ULTRA_HD = {"width": 3840, "height": 2160}
# The longest wait grows every second between two summaries: the page's may lag the API's by
# the page's refresh period (5 s) and the time to settle.
WAIT_LAG_SECONDS = 7
STABLE_WITHIN_SECONDS = 90
READ_WALL = """() => {
  const nodes = [...document.querySelectorAll('main [data-figure]')];
  return [Object.fromEntries(nodes.map((node) => [node.dataset.figure, node.textContent])),
    Object.fromEntries(nodes.filter((n) => n.dataset.level).map((n) => [n.dataset.figure, n.dataset.level]))];
}"""


@pytest.fixture(scope="module")
def demo_interval() -> float:
    # Fewer calls than the acceptance suite's, so that the centre stands still, now and then,
    # long enough to read the wall and ask the API twice.
    return 6.0


@pytest.fixture(scope="module")
def wall(browser: Any, centre: LiveCentre) -> Iterator[Shift]:
    people = Shift(browser, centre.url)
    yield people
    people.close()


def count(value: Any) -> str:
    return "—" if value is None else str(round(value))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def figures_of(board: dict[str, Any]) -> dict[str, str]:
    """What the wall must show for a summary, by the page's data-figure keys."""
    calls, agents, tickets, deadlines = (
        board["calls"],
        board["agents"],
        board["tickets"],
        board["deadlines"],
    )
    shown = {
        "queue.waiting": count(board["queue"]["waiting"]),
        "queue.longest_wait_seconds": count(board["queue"]["longest_wait_seconds"]),
        "calls.service_level_15s": percent(calls["service_level_15s"]),
        "calls.standard": percent(calls["standard"]),
        **{f"calls.{k}": count(calls[k]) for k in ("offered", "answered", "abandoned")},
        **{f"agents.{k}": count(agents[k]) for k in ("idle", "on_call", "paused", "offline")},
        "tickets.total": count(tickets["total"]),
        "deadlines.overdue": count(deadlines["overdue"]),
        "deadlines.due_soon": count(deadlines["due_soon"]),
    }
    shown |= {
        f"tickets.by_channel.{c['channel']}": count(c["count"]) for c in tickets["by_channel"]
    }
    shown |= {f"tickets.by_status.{c['status']}": count(c["count"]) for c in tickets["by_status"]}
    shown |= {f"tickets.by_division.{d['code']}": count(d["count"]) for d in tickets["by_division"]}
    for d in deadlines["worst_departments"]:
        code = d["code"] or "none"
        shown[f"deadlines.worst.{code}.overdue"] = count(d["overdue"])
        shown[f"deadlines.worst.{code}.due_soon"] = count(d["due_soon"])
    shown |= {f"emergencies.{e['code']}": count(e["count"]) for e in board["emergencies"]}
    shown |= {f"agents.pause_reasons.{r}": count(n) for r, n in agents["pause_reasons"].items()}
    shown |= {f"hot_topics.{h['alert_id']}": count(h["ticket_count"]) for h in board["hot_topics"]}
    return shown


def levels_of(board: dict[str, Any]) -> dict[str, str]:
    """The colours the thresholds give the headline figures."""
    limits, calls = board["thresholds"], board["calls"]
    waiting = board["queue"]["waiting"]
    levels = {
        "queue.waiting": "alarm"
        if waiting >= limits["waiting_alarm"]
        else "warn"
        if waiting >= limits["waiting_warn"]
        else "ok",
        "deadlines.overdue": "alarm" if board["deadlines"]["overdue"] else "ok",
    }
    if calls["service_level_15s"] is not None:
        levels["calls.service_level_15s"] = "ok" if calls["meets_standard"] else "alarm"
    return levels


def without_wait(figures: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in figures.items() if k != "queue.longest_wait_seconds"}


def wall_equals_api(page: Page, summary: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Wait for a moment when the API answers the same twice and the wall shows that answer;
    the summary of that moment. Fails with the last difference seen."""
    deadline = time.monotonic() + STABLE_WITHIN_SECONDS
    difference: Any = None
    while time.monotonic() < deadline:
        before = summary()
        shown, levels = page.evaluate(READ_WALL)
        after = summary()
        expected = figures_of(before)
        if without_wait(expected) == without_wait(figures_of(after)):
            if without_wait(shown) == without_wait(expected):
                api_wait = before["queue"]["longest_wait_seconds"]
                page_wait = shown["queue.longest_wait_seconds"]
                if api_wait is None or page_wait == "—":
                    assert page_wait == count(api_wait)
                else:
                    assert abs(int(page_wait) - api_wait) <= WAIT_LAG_SECONDS
                assert levels_of(before).items() <= levels.items(), levels
                return before
            difference = {
                k: (shown.get(k), expected.get(k))
                for k in expected.keys() | shown.keys()
                if shown.get(k) != expected.get(k) and k != "queue.longest_wait_seconds"
            }
        time.sleep(0.3)
    raise AssertionError(f"the wall never showed what the API reports: {difference}")


def assert_one_screen(page: Page) -> None:
    sizes = page.evaluate(
        "() => [document.documentElement.scrollHeight, document.documentElement.clientHeight,"
        " document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], f"the wall scrolls: {sizes}"
    # 大字 by design: the headline figures are large at either resolution.
    height = page.evaluate("() => window.innerHeight")
    big = page.locator('[data-figure="queue.waiting"]').bounding_box()
    assert big and big["height"] >= height / 25, big


def supervisor_summary(centre: LiveCentre) -> Callable[[], dict[str, Any]]:
    return lambda: centre.api("supervisor1", "GET", "/api/wallboard").json()


@pytest.mark.parametrize(("viewport", "name"), [(FULL_HD, "1080p"), (ULTRA_HD, "2160p")])
def test_every_figure_on_the_wall_equals_the_api_live(
    centre: LiveCentre, wall: Shift, viewport: dict[str, int], name: str
) -> None:
    page = wall.signed_in("supervisor1", "/wallboard", viewport=viewport)
    expect(page.locator("#wb-live")).to_have_attribute("data-live", "true")
    page.evaluate("() => { window.notReloaded = true; }")
    summary = supervisor_summary(centre)
    deadline = time.monotonic() + 60
    while summary()["calls"]["offered"] < 1:
        assert time.monotonic() < deadline, "the demo switchboard sent no call"
        time.sleep(0.5)
    first = wall_equals_api(page, summary)
    assert first["agents"]["telephony"] and first["agents"]["connected"]
    expect(page.locator("#wb-no-switchboard")).to_be_hidden()
    assert page.locator("#wb-map [data-division]").count() == len(first["tickets"]["by_division"])
    assert_one_screen(page)
    screenshot(page, f"wallboard-{name}")
    # Live: a ticket filed now reaches the wall over the stream, without a reload.
    filed = centre.api(
        "operator1",
        "POST",
        "/api/tickets",
        json={
            "content": "大屏测试：路灯不亮",
            "citizen_phone": "13812345678",
            "type": "求助",
            "division": "HQ",
        },
    )
    assert filed.status_code == 201, filed.text
    later = wall_equals_api(page, summary)
    assert later["tickets"]["total"] >= first["tickets"]["total"] + 1
    assert page.evaluate("() => window.notReloaded === true")
    assert not wall.problems, wall.problems


def test_a_kiosk_token_shows_the_wall_read_only_and_is_refused_once_revoked(
    centre: LiveCentre, wall: Shift
) -> None:
    issued = centre.api(
        "admin", "POST", "/api/wallboard/kiosk-tokens", json={"name": "二楼大厅"}
    ).json()
    page = wall.page(viewport=FULL_HD)
    page.goto(issued["url"])
    page.wait_for_url("**/wallboard")  # the token left the address bar
    expect(page.locator("#wb-live")).to_have_attribute("data-live", "true")
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["hotline_kiosk"]

    def kiosk_summary() -> dict[str, Any]:
        reply = httpx.get(f"{centre.url}/api/wallboard", cookies={"hotline_kiosk": cookie})
        assert reply.status_code == 200, reply.text
        return reply.json()

    wall_equals_api(page, kiosk_summary)
    assert_one_screen(page)
    screenshot(page, "wallboard-kiosk")
    # Read-only: the display's cookie opens no ticket, no call and no action.
    for method, path in (("GET", "/api/tickets"), ("GET", "/api/calls"), ("POST", "/api/tickets")):
        status = page.evaluate(
            "([method, path]) => fetch(path, {method, headers: {'Content-Type': 'application/json'},"
            " body: method === 'POST' ? '{}' : undefined}).then((r) => r.status)",
            [method, path],
        )
        assert status == 401, (method, path, status)

    revoked = centre.api("admin", "DELETE", f"/api/wallboard/kiosk-tokens/{issued['id']}")
    assert revoked.status_code == 200
    expect(page.locator("#wallboard")).to_have_attribute("data-refused", "true", timeout=15_000)
    expect(page.locator("#wb-live")).to_contain_text("已停用")
    assert (
        httpx.get(f"{centre.url}/api/wallboard", cookies={"hotline_kiosk": cookie}).status_code
        == 401
    )
    page.goto("/wallboard")
    page.wait_for_url("**/login?next=/wallboard")


def test_without_a_switchboard_the_wall_says_so(people: Session) -> None:
    """A worker without the AMI bridge knows no operator's state: the wall says why all are 离线."""
    page = people.signed_in("sup", FULL_HD)
    page.goto("/wallboard")
    expect(page.locator("#wallboard")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#wb-no-switchboard")).to_be_visible()
    assert_one_screen(page)
