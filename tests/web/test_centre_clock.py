"""The pages count by the centre's clock and zone (Asia/Shanghai), not the browser's (New York
here): the default period holds the centre's today, countdowns run from the centre's now, and
the call figures on the page are the API's."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from hotline.calls.runner import CallRecorder
from hotline.services import Services
from telephony.calls import CallEvent
from tests.app_fixtures import Clock
from tests.calls.test_calls_store import scenario_events, tracked
from tests.web.conftest import BROWSER_TIME_ZONE, Session

pytestmark = pytest.mark.browser

CENTRE = ZoneInfo("Asia/Shanghai")


def _a_morning_whose_date_new_york_has_not_reached(day: int) -> datetime:
    """07:00 at the centre: 18:00 the evening before in New York."""
    morning = datetime(2031, 3, day, 7, 0)
    elsewhere = morning.replace(tzinfo=CENTRE).astimezone(ZoneInfo(BROWSER_TIME_ZONE))
    assert elsewhere.date() < morning.date()
    return morning


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def test_default_period_and_countdowns_follow_the_centres_clock(
    people: Session, centre_clock: Clock, call_api: Callable[..., httpx.Response]
) -> None:
    centre_clock.now = _a_morning_whose_date_new_york_has_not_reached(4)
    body = {"content": "小区路灯不亮", "citizen_phone": "13900007777", "type": "求助"}
    ticket = call_api("op", "POST", "/api/tickets", body).json()
    dispatch = {"department": "ZJ", "level": "exact"}
    ticket = call_api("disp", "POST", f"/api/tickets/{ticket['id']}/actions/dispatch", dispatch)
    ticket = ticket.json()

    supervisor = people.signed_in("sup")
    expect(supervisor.locator("#end")).to_have_value("2031-03-04")
    expect(supervisor.locator("#start")).to_have_value("2031-02-26")
    figures = call_api("sup", "GET", "/api/stats/departments?start=2031-02-26&end=2031-03-04")
    received = figures.json()["centre"]["received"]
    assert received >= 1  # the ticket filed this morning, China time
    expect(supervisor.locator("#fig-received strong")).to_have_text(str(received))

    # The department's countdown runs from the centre's now: hours or days, not years.
    department = people.signed_in("zj")
    line = department.locator(f'#inbox [data-ticket="{ticket["number"]}"]')
    expect(line.locator(".countdown")).to_have_text(re.compile(r"^剩 (?:[0-6]天)?\d+(?:小时|分)"))
    line.click()
    sign_due = ticket["sign_due"][:16].replace("T", " ")
    expect(department.locator("#detail .facts")).to_contain_text(f"签收时限{sign_due}")


@pytest.mark.parametrize(("user", "path"), [("sup", "/supervisor"), ("mon", "/oversight")])
def test_call_service_level_on_the_page_is_the_apis(
    people: Session,
    centre_clock: Clock,
    web_services: Services,
    call_api: Callable[..., httpx.Response],
    user: str,
    path: str,
) -> None:
    centre_clock.now = _a_morning_whose_date_new_york_has_not_reached(11)
    six = centre_clock.now.replace(hour=6).replace(tzinfo=CENTRE).timestamp()
    recorder = CallRecorder(web_services)
    for index, scenario in enumerate(("queue_call", "queue_call", "abandoned_call")):
        call_id = f"{int(six)}.{path.strip('/')}{index}"
        for event in tracked(scenario_events(scenario, call_id, six + index * 60)):
            if isinstance(event, CallEvent):
                recorder.store(event)
    recorder.close()

    page = people.signed_in(user)
    expect(page).to_have_url(re.compile(f"{path}$"))
    expect(page.locator("#end")).to_have_value("2031-03-11")
    reply = call_api(user, "GET", "/api/stats/calls?start=2031-03-05&end=2031-03-11")
    totals = reply.json()["totals"]
    assert totals["answered"] >= 2 and totals["abandoned"] >= 1
    expected = {
        "#fig-15s": _percent(totals["service_level_15s"]),
        "#fig-abandon": _percent(totals["abandonment_rate"]),
        "#fig-wait": f"{totals['avg_wait_seconds']:.1f} 秒",
        "#fig-offered": str(totals["offered"]),
        "#fig-answered": str(totals["answered"]),
    }
    for selector, text in expected.items():
        expect(page.locator(f"{selector} strong")).to_have_text(text)
