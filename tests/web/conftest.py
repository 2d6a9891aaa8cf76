"""The real app under uvicorn on a free local port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Request,
    Response,
    Route,
    sync_playwright,
)
from typer.testing import CliRunner

from hotline.app import create_app
from hotline.calls.cli import DEMO_REVISITS, DemoCentre
from hotline.cli import DEMO_USERS
from hotline.cli import app as hotline_cli
from hotline.config import Settings
from hotline.services import Services
from hotline.speech import service as speech
from telephony.sim import load_scenario
from tests.app_fixtures import PASSWORD, Clock, prepare_database
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LOCAL_HOSTS = frozenset({"127.0.0.1"})
# Far from the centre (UTC+8), so that any date or countdown taken from the browser's zone
# instead of the centre's shows; on a UTC machine the two zones' dates differ half the day.
BROWSER_TIME_ZONE = "America/New_York"
STRAY_WORD = re.compile(r".{0,20}\b(?:null|undefined|NaN)\b.{0,20}")


@pytest.fixture(scope="session")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    url = f"sqlite:///{tmp_path_factory.mktemp('web-db') / 'hotline.db'}"
    prepare_database(url)
    return create_app(Settings(database_url=url, scan_interval_seconds=3600))


@pytest.fixture(scope="session")
def base_url(web_app: FastAPI) -> Iterator[str]:
    app = web_app
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"{CHROMIUM} is absent: install Debian's chromium (scripts/install-system-deps.sh)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Session:
    """Browser contexts for several people at once; every request they make is recorded."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.requested: list[str] = []
        self.dialogs: list[str] = []
        self.script_errors: list[str] = []

    def page(self, viewport: dict[str, int] = DESKTOP) -> Page:
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=viewport,
            locale="zh-CN",
            timezone_id=BROWSER_TIME_ZONE,
        )
        context.set_default_timeout(10_000)
        context.on("request", lambda request: self.requested.append(request.url))
        self.contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        return page

    def signed_in(self, user: str, viewport: dict[str, int] = DESKTOP) -> Page:
        page = self.page(viewport)
        page.goto("/login")
        page.fill("#username", user)
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    def stray_words(self) -> list[str]:
        """Pages showing "null" or "undefined": a missing value rendered as text."""
        found = []
        for context in self.contexts:
            for page in context.pages:
                text = page.evaluate("document.body ? document.body.innerText : ''")
                found += [f"{page.url}: …{m[0]}…" for m in STRAY_WORD.finditer(text)]
        return found

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser: Browser, base_url: str) -> Iterator[Session]:
    session = Session(browser, base_url)
    yield session
    stray = session.stray_words()
    session.close()
    assert not stray, f"pages show a missing value as text: {stray}"
    # Offline is a non-negotiable: nothing the pages do may leave this machine.
    remote = {url for url in session.requested if urlsplit(url).hostname not in LOCAL_HOSTS}
    assert not remote, f"pages requested outside 127.0.0.1: {sorted(remote)}"
    assert not session.dialogs, f"unexpected dialogs (script injection?): {session.dialogs}"
    assert not session.script_errors, f"uncaught script errors: {session.script_errors}"


@pytest.fixture
def web_services(web_app: FastAPI, base_url: str) -> Services:
    """The running app's services (its database, bus and clock)."""
    services: Services = web_app.state.services
    return services


@pytest.fixture
def centre_clock(web_services: Services) -> Iterator[Clock]:
    """The running app's clock, set to a moment the test chooses; the real one after."""
    real = web_services.clock
    clock = Clock(real())
    web_services.clock = clock
    yield clock
    web_services.clock = real


@pytest.fixture
def api_token(base_url: str) -> Callable[[str], str]:
    def token(user: str) -> str:
        reply = httpx.post(
            f"{base_url}/api/auth/token", data={"username": user, "password": PASSWORD}
        )
        reply.raise_for_status()
        return str(reply.json()["access_token"])

    return token


@pytest.fixture
def call_api(base_url: str, api_token: Callable[[str], str]) -> Callable[..., httpx.Response]:
    """The JSON API as a user, for arranging what a test needs but does not test."""

    def call(user: str, method: str, path: str, body: object = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {api_token(user)}"}
        return httpx.request(method, f"{base_url}{path}", json=body, headers=headers)

    return call


def screenshot(page: Page, name: str) -> Path:
    """Saved under tests/artifacts; copied to docs/screenshots when HOTLINE_UPDATE_SCREENSHOTS=1."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("HOTLINE_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path


# ---------------------------------------------------------------- the live demo centre
# Shared by the browser suites that run the live demo (test_acceptance, test_wallboard).

CENTRE_ZONE = ZoneInfo("Asia/Shanghai")
PASSWORDS = {username: password for username, _, _, password, _, _ in DEMO_USERS}
EXTENSIONS = {username: extension for username, *_, extension in DEMO_USERS if extension}


def china_today() -> date:
    return datetime.now(CENTRE_ZONE).date()


@dataclass
class LiveCentre:
    url: str
    demo: DemoCentre
    loop: asyncio.AbstractEventLoop

    def api(self, user: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = httpx.post(
            f"{self.url}/api/auth/token", data={"username": user, "password": PASSWORDS[user]}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def said_in_the_ivr(self, stream_uuid: str, words: str) -> None:
        """What the caller said before the answer, stored as the live transcript sink does."""
        services = Services(self.demo.settings)
        try:
            with services.unit() as (session, _):
                stream = speech.open_stream(session, stream_uuid, services.clock())
                assert speech.link_call(session, stream) is not None
                speech.add_segment(session, stream, words, words, 0.0, 2.0)
        finally:
            services.close()

    def ring(self, agent: str, caller: str, talk_seconds: float) -> None:
        """A call answered at ``agent``'s softphone, through the demo's switchboard."""
        scenario = load_scenario("queue_call")
        steps = [
            {**step, "delay": talk_seconds}
            if step.get("event", {}).get("Event") == "AgentComplete"
            else step
            for step in scenario["steps"]
        ]
        play = self.demo.switchboard.play({**scenario, "steps": steps}, caller=caller, agent=agent)
        asyncio.run_coroutine_threadsafe(play, self.loop)


@pytest.fixture(scope="module")
def demo_interval() -> float:
    """Seconds between the demo's calls (on average); a module may override it."""
    return 1.5


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory, demo_interval: float) -> Iterator[LiveCentre]:
    database = f"sqlite:///{tmp_path_factory.mktemp('acceptance') / 'hotline.db'}"
    env = {"HOTLINE_DATABASE_URL": database}
    for command in (["db", "upgrade"], ["seed-demo"]):  # the README's set-up
        result = CliRunner().invoke(hotline_cli, command, env=env)
        assert result.exit_code == 0, result.output
    port = free_port()
    demo = DemoCentre(
        # The revisit settings `hotline demo` runs with (all day): with the production default
        # the centre would not call at lunchtime or in the evening, and the tests with it.
        Settings(database_url=database, scan_interval_seconds=3600, revisit=DEMO_REVISITS),
        "127.0.0.1",
        port,
        interval=demo_interval,
        seed=12345,
        server_options={"log_level": "warning", "timeout_graceful_shutdown": 1},
    )
    loops: list[asyncio.AbstractEventLoop] = []

    async def run() -> None:
        loops.append(asyncio.get_running_loop())
        await demo.serve()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not (demo.server and demo.server.started):
        assert time.monotonic() < deadline, "the demo centre did not start"
        time.sleep(0.05)
    live = LiveCentre(f"http://127.0.0.1:{port}", demo, loops[0])
    deadline = time.monotonic() + 15
    while not live.api("supervisor1", "GET", "/api/agents").json()["connected"]:
        assert time.monotonic() < deadline, "the bridge did not log in to the switchboard"
        time.sleep(0.1)
    yield live
    demo.stop()
    thread.join(timeout=15)


# ---------------------------------------------------------------- the people, watched


@dataclass
class Shift:
    """Everyone's browser; every console error, failed request, 404/5xx and request that
    would leave the machine is written down (and a request leaving it is blocked)."""

    browser: Browser
    url: str
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def page(
        self, clock_behind: timedelta | None = None, viewport: dict[str, int] = DESKTOP
    ) -> Page:
        context = self.browser.new_context(
            base_url=self.url, viewport=viewport, locale="zh-CN", timezone_id=BROWSER_TIME_ZONE
        )
        context.set_default_timeout(15_000)
        context.route("**/*", self._only_local)
        self.contexts.append(context)
        page = context.new_page()
        if clock_behind:
            page.clock.set_system_time(datetime.now(UTC) - clock_behind)
        page.on("console", lambda m: m.type == "error" and self._note(page, f"console: {m.text}"))
        page.on("pageerror", lambda error: self._note(page, f"script error: {error}"))
        page.on("requestfailed", lambda request: self._failed(page, request))
        page.on("response", lambda response: self._status(page, response))
        return page

    def signed_in(
        self,
        user: str,
        path: str | None = None,
        *,
        clock_behind: timedelta | None = None,
        viewport: dict[str, int] = DESKTOP,
    ) -> Page:
        page = self.page(clock_behind, viewport)
        page.goto("/login")
        page.fill("#username", user)
        page.fill("#password", PASSWORDS[user])
        page.click("#login-form button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        if path:
            page.goto(path)
        return page

    def _only_local(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.problems.append(f"request leaving the machine (blocked): {route.request.url}")
            route.abort()

    def _note(self, page: Page, problem: str) -> None:
        self.problems.append(f"{urlsplit(page.url).path}: {problem}")

    def _failed(self, page: Page, request: Request) -> None:
        # Leaving (or closing) a page cancels what it still loads, its live stream always.
        if request.failure == "net::ERR_ABORTED":
            return
        self._note(page, f"request failed: {request.url} ({request.failure})")

    def _status(self, page: Page, response: Response) -> None:
        if response.status == 404 or response.status >= 500:
            self._note(page, f"HTTP {response.status}: {response.url}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="module")
def shift(browser: Browser, centre: LiveCentre) -> Iterator[Shift]:
    people = Shift(browser, centre.url)
    yield people
    people.close()
