"""People read names where the system keeps codes: a department is 市生态环境局, not HB, on the
dispatch desk, the department's page, the supervisor's lists and the public look-up; a district
is 红旗区, not HQ."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import Session

pytestmark = pytest.mark.browser


def test_departments_are_shown_by_name(
    people: Session, call_api: Callable[..., httpx.Response]
) -> None:
    departments = call_api("sup", "GET", "/api/departments").json()
    name = next(d["name"] for d in departments if d["code"] == "HB")
    shown = f"{name}（HB）"  # staff pages: the name, the code after it
    divisions = call_api("sup", "GET", "/api/divisions").json()
    district = next(d for d in divisions if d["kind"] == "district")
    phone = "13900008888"
    body = {"content": "工厂夜间排放刺鼻气味", "citizen_phone": phone, "type": "投诉"}
    chosen = call_api(
        "op", "POST", "/api/tickets", {**body, "department": "HB", "division": district["code"]}
    ).json()
    dispatched = call_api("op", "POST", "/api/tickets", body).json()
    reply = call_api(
        "disp",
        "POST",
        f"/api/tickets/{dispatched['id']}/actions/dispatch",
        {"department": "HB", "level": "exact"},
    )
    assert reply.status_code == 200, reply.text

    dispatcher = people.signed_in("disp")
    line = dispatcher.locator(f'#new-queue [data-ticket="{chosen["number"]}"]')
    expect(line).to_contain_text(f"接线员选 {shown}")
    line.click()
    expect(dispatcher.locator("#detail .facts")).to_contain_text(f"接线员选择{shown}")
    expect(dispatcher.locator("#detail .facts")).to_contain_text(f"区县{district['name']}")
    dispatcher.click('#detail [data-action="dispatch"]')
    expect(dispatcher.locator('#detail form [name="department"] option:checked')).to_have_text(
        shown
    )

    department = people.signed_in("hb")
    expect(department.locator("#who")).to_contain_text(name)
    department.locator(f'#inbox [data-ticket="{dispatched["number"]}"]').click()
    expect(department.locator("#detail .facts")).to_contain_text(f"承办单位{shown}")
    expect(department.locator("#detail .history")).to_contain_text(shown)

    supervisor = people.signed_in("sup")
    supervisor.fill("#search-q", dispatched["number"])
    supervisor.click("#search-form button[type=submit]")
    expect(
        supervisor.locator(f'#search-results [data-ticket="{dispatched["number"]}"]')
    ).to_contain_text(shown)

    citizen = people.page()
    citizen.goto("/public")
    citizen.fill("#lookup-number", dispatched["number"])
    citizen.fill("#lookup-phone", phone)
    citizen.click("#lookup-form button[type=submit]")
    expect(citizen.locator("#public-department")).to_have_text(name)  # citizens: the name only


def test_the_routing_panel_names_the_district(people: Session) -> None:
    operator = people.signed_in("op")
    operator.fill("#content", "红旗区小区旁工地夜间打桩施工噪声扰民")
    operator.click("#classify")
    suggestions = operator.locator("#suggestions")
    expect(suggestions).not_to_be_empty()
    if suggestions.locator("[data-unavailable]").count():
        pytest.skip("the routing model is not installed")
    expect(suggestions).to_contain_text("区县 红旗区")
    expect(suggestions).not_to_contain_text("区县 HQ")
