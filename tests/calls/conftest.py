"""The app with its AMI bridge connected over TCP to the switchboard simulator.

The simulator runs in a thread of its own with its own event loop (as Asterisk would be a
separate process); the app runs in TestClient's loop, where its startup starts the bridge.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from hotline.app import create_app
from hotline.auth.models import User
from hotline.services import Services
from telephony.sim import SwitchboardSimulator, load_scenario
from tests.app_fixtures import Api

T = TypeVar("T")
AMI_USER, AMI_SECRET = "hotline", "test-secret"
OPERATOR_EXTENSION = "8001"  # the scenarios' answering softphone


def eventually(check: Callable[[], T], timeout: float = 8.0) -> T:
    """Poll until ``check()`` returns something truthy; fail clearly otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached in {timeout} s (last: {value!r})")
        time.sleep(0.02)


class Switchboard:
    """The simulator on a private loop; tests drive it from the main thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = SwitchboardSimulator(username=AMI_USER, secret=AMI_SECRET, step_scale=0.2)
        self.port = self.run(self.sim.start())

    @property
    def ami_url(self) -> str:
        return f"ami://{AMI_USER}:{AMI_SECRET}@127.0.0.1:{self.port}"

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def play(self, name: str, caller: str, *, stop_before: str | None = None) -> None:
        """Play a scenario to its end, or up to (not including) the step whose event is
        ``stop_before``, leaving the call up (e.g. ``AgentComplete``: still talking)."""
        scenario = load_scenario(name)
        steps = scenario["steps"]
        if stop_before is not None:
            cut = [step.get("event", {}).get("Event") for step in steps].index(stop_before)
            steps = steps[:cut]
        self.run(self.sim.play({**scenario, "steps": steps}, caller=caller))

    def hang_up(self, linkedid: str) -> None:
        """Every channel of the call hangs up (caller first)."""

        async def hang_up_all() -> None:
            channels = [c for c in self.sim.channels.values() if c["Linkedid"] == linkedid]
            for channel in sorted(channels, key=lambda c: c["Uniqueid"] != linkedid):
                self.sim.broadcast(
                    {
                        "Event": "Hangup",
                        "Channel": channel["Channel"],
                        "Uniqueid": channel["Uniqueid"],
                        "Linkedid": linkedid,
                        "Cause": "16",
                        "Cause-txt": "Normal Clearing",
                    }
                )

        self.run(hang_up_all())

    def close(self) -> None:
        self.run(self.sim.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def switchboard() -> Iterator[Switchboard]:
    board = Switchboard()
    yield board
    board.close()


@pytest.fixture
def operator_extension(services: Services) -> Iterator[str]:
    """The test operator ``op`` sits at softphone 8001 for the test."""
    with services.sessions() as session:
        session.execute(
            update(User).where(User.username == "op").values(extension=OPERATOR_EXTENSION)
        )
        session.commit()
    yield OPERATOR_EXTENSION
    with services.sessions() as session:
        session.execute(update(User).where(User.username == "op").values(extension=None))
        session.commit()


@pytest.fixture
def bridged_client(
    services: Services, switchboard: Switchboard, operator_extension: str
) -> Iterator[TestClient]:
    """The app started with HOTLINE_AMI_URL pointing at the simulator, bridge logged in."""
    app = create_app(replace(services.settings, ami_url=switchboard.ami_url), services=services)
    with TestClient(app) as client:
        eventually(lambda: app.state.call_bridge is not None and app.state.call_bridge.connected)
        yield client


@pytest.fixture
def bridged(bridged_client: TestClient) -> Api:
    return Api(bridged_client)


def call_of(api: Api, caller: str, state: str | None = None) -> dict[str, Any] | None:
    """The caller's newest call as GET /api/calls lists it (in ``state`` if given)."""
    items = api.get("op", "/api/calls", phone=caller).json()["items"]
    if items and (state is None or items[0]["state"] == state):
        return items[0]
    return None


def settled_call(api: Api, caller: str) -> dict[str, Any] | None:
    """The caller's newest call once the outcome of its first transfer is known."""
    call = call_of(api, caller)
    if call and call["transfers"] and call["transfers"][0]["result"] != "pending":
        return call
    return None
