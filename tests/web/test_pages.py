"""Every page loads, signs people in and out, keeps to its role, and works offline."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Route, expect

from tests.web.conftest import DESKTOP, LOCAL_HOSTS, PHONE, Session, screenshot

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "hotline" / "web" / "static"
STAFF_PAGES = {"op": "/console", "disp": "/dispatch", "zj": "/department", "sup": "/supervisor"}
URL = re.compile(r"""(?:https?:)?//[^\s"'`)<>]+""")
# An XML namespace name identifies SVG elements; browsers never fetch it.
NAMESPACES = {"http://www.w3.org/2000/svg"}


def test_pages_need_login_and_each_role_lands_on_its_own_page(people: Session) -> None:
    page = people.page()
    page.goto("/console")
    expect(page).to_have_url(re.compile(r"/login\?next=/console$"))

    page.fill("#username", "op")
    page.fill("#password", "wrong-password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#login-error")).to_contain_text("密码")
    screenshot(page, "login")

    for user, path in STAFF_PAGES.items():
        signed = people.signed_in(user)
        expect(signed).to_have_url(re.compile(f"{path}$"))
        expect(signed.locator("#live")).to_be_visible()  # the event stream is connected
    department = people.signed_in("zj")
    department.goto("/supervisor")
    expect(department).to_have_url(re.compile("/department$"))
    department.click("#logout")
    expect(department).to_have_url(re.compile("/login$"))
    department.goto("/department")
    expect(department).to_have_url(re.compile(r"/login\?next=/department$"))


def test_large_font_is_one_click_away_and_remembered(people: Session) -> None:
    page = people.page()
    page.goto("/public")
    size = "getComputedStyle(document.documentElement).fontSize"
    normal = page.evaluate(size)
    page.click("#large-font")
    expect(page.locator("html")).to_have_class(re.compile("large-font"))
    expect(page.locator("#large-font")).to_have_attribute("aria-pressed", "true")
    assert float(page.evaluate(size)[:-2]) > float(normal[:-2])
    page.goto("/login")
    expect(page.locator("html")).to_have_class(re.compile("large-font"))
    screenshot(page, "login-large-font")
    page.keyboard.press("Alt+l")
    expect(page.locator("html")).not_to_have_class(re.compile("large-font"))
    page.reload()
    expect(page.locator("html")).not_to_have_class(re.compile("large-font"))


def test_served_pages_and_assets_reference_no_external_url(base_url: str, api_token) -> None:  # type: ignore[no-untyped-def]
    cookies = {"hotline_token": api_token("adm")}
    paths = ["/login", "/public", *STAFF_PAGES.values()]
    paths += [
        f"/static/{p.relative_to(STATIC).as_posix()}" for p in STATIC.rglob("*") if p.is_file()
    ]
    assert any(p.endswith(".js") for p in paths) and any(p.endswith(".css") for p in paths)
    for path in paths:
        reply = httpx.get(f"{base_url}{path}", cookies=cookies)
        assert reply.status_code == 200, path
        for found in URL.findall(reply.text):
            host = urlsplit(found if found.startswith("http") else f"http:{found}").hostname
            assert found in NAMESPACES or host in {"127.0.0.1", "localhost"}, f"{path}: {found}"


def test_public_page_fits_a_phone(people: Session) -> None:
    page = people.page(PHONE)
    page.goto("/public")
    expect(page.locator("#ratings-table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # No keyboard on a phone: the shortcut bar would only cover the page.
    expect(page.locator("footer.shortcuts")).to_be_hidden()
    screenshot(page, "public-phone")
    desktop = people.page()
    desktop.goto("/public")
    expect(desktop.locator("footer.shortcuts")).to_be_visible()


def test_every_page_has_an_icon(base_url: str, api_token) -> None:  # type: ignore[no-untyped-def]
    cookies = {"hotline_token": api_token("adm")}
    for path in ["/login", "/public", *STAFF_PAGES.values(), "/docs"]:
        page = httpx.get(f"{base_url}{path}", cookies=cookies).text
        icon = re.search(r'<link[^>]+rel="(?:shortcut )?icon"[^>]+href="([^"]+)"', page)
        assert icon, f"{path} links no icon"
        assert httpx.get(f"{base_url}{icon[1]}").status_code == 200, path
    # Asked for by browsers on what has no icon link, such as the JSON API.
    default = httpx.get(f"{base_url}/favicon.ico")
    assert default.status_code == 200 and default.headers["content-type"] == "image/x-icon"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_render_with_no_way_out(browser: Browser, base_url: str, path: str) -> None:
    # Not `people`: the API's reference rightly names the JSON value null.
    context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    refused: list[str] = []

    def only_this_machine(route: Route) -> None:
        # Nothing may leave the machine: a centre's network often has no way out.
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_machine)
    page = context.new_page()
    page.goto(path)
    expect(page).to_have_url(re.compile("/docs$"))
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    expect(page.get_by_text("/api/tickets").first).to_be_visible()
    screenshot(page, "api-docs")
    context.close()
    assert refused == []


def test_social_supervisors_land_on_the_figures_and_nothing_else(
    people: Session, call_api: Callable[..., httpx.Response]
) -> None:
    body = {"content": "路灯不亮", "citizen_phone": "13900005555", "type": "求助"}
    ticket = call_api("op", "POST", "/api/tickets", body).json()
    dispatch = {"department": "CG", "level": "exact"}
    call_api("disp", "POST", f"/api/tickets/{ticket['id']}/actions/dispatch", dispatch)
    monitor = people.signed_in("mon")
    expect(monitor).to_have_url(re.compile("/oversight$"))
    expect(monitor.locator("#who")).to_contain_text("社会监督员")
    expect(monitor.locator('#kpi-table tr[data-code="CG"]')).to_be_visible()
    expect(monitor.locator("#fig-15s")).to_be_visible()
    expect(monitor.locator("#export-xlsx")).to_have_attribute("href", re.compile("format=xlsx"))
    # No ticket, no citizen: the supervisor's lists and search are not on this page.
    expect(monitor.locator("#overdue, #search-form, #detail")).to_have_count(0)
    expect(monitor.locator('nav a[href="/supervisor"]')).to_have_count(0)
    monitor.goto("/supervisor")
    expect(monitor).to_have_url(re.compile("/oversight$"))
    screenshot(monitor, "oversight")


def test_a_co_handling_department_sees_the_ticket_in_its_inbox(
    people: Session, call_api: Callable[..., httpx.Response]
) -> None:
    body = {"content": "河道排污口夜间偷排", "citizen_phone": "13900006666", "type": "投诉"}
    ticket = call_api("op", "POST", "/api/tickets", body).json()
    dispatch = {"department": "HB", "co_handlers": ["GA"], "level": "exact"}
    call_api("disp", "POST", f"/api/tickets/{ticket['id']}/actions/dispatch", dispatch)
    co_handler = people.signed_in("ga")
    item = co_handler.locator(f'#inbox li:has-text("{ticket["number"]}")')
    expect(item).to_contain_text("协办件")
    lead = people.signed_in("hb")
    expect(lead.locator(f'#inbox li:has-text("{ticket["number"]}")')).not_to_contain_text("协办件")
