"""Faults answered as what they are: a database that does not answer is a 503 to retry, a 5xx
never leaves a kept-alive connection that fails the next request, and a server told to stop
stops although live streams are open."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.config import Settings
from hotline.events import Event, InProcessBus
from hotline.services import Services
from tests.app_fixtures import PASSWORD, prepare_database
from tests.conftest import free_port
from tests.core.servers import hotline_serve

REQUEST = {"content": "路灯不亮已经三天", "citizen_phone": "13812345678", "type": "求助"}


def unreachable_database(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-directory' / 'hotline.db'}"
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/hotline?connect_timeout=2"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_database_that_does_not_answer_is_a_503_to_retry(kind: str, tmp_path: Path) -> None:
    settings = Settings(database_url=unreachable_database(kind, tmp_path))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        reply = client.post("/api/public/tickets", json=REQUEST)
        login = client.post("/api/auth/token", data={"username": "op", "password": PASSWORD})
    assert reply.status_code == 503, reply.text
    assert reply.json() == {
        "code": "database_unavailable",
        "message": "数据库暂时无法访问，请稍后重试",
    }
    assert int(reply.headers["retry-after"]) > 0
    assert login.status_code == 503


class Server:
    """The app under uvicorn in a thread, on a free port."""

    def __init__(self, app: FastAPI) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=int(self.url.rsplit(":", 1)[1]),
                log_level="critical",
                timeout_graceful_shutdown=1,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self.url

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def ready_database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    prepare_database(url)
    return url


def test_after_a_500_the_client_is_told_to_open_a_new_connection(ready_database: str) -> None:
    app = create_app(Settings(database_url=ready_database, scan_interval_seconds=3600))

    @app.get("/api/test-broken")
    def broken() -> None:
        raise RuntimeError("a defect")

    with Server(app) as url, httpx.Client(base_url=url) as client:
        failed = client.get("/api/test-broken")
        assert failed.status_code == 500
        assert failed.json() == {"code": "internal", "message": "服务器内部错误"}
        assert failed.headers["connection"] == "close"
        for _ in range(3):
            assert client.get("/api/health").status_code == 200


def test_after_a_503_the_kept_alive_connection_still_serves(tmp_path: Path) -> None:
    settings = Settings(database_url=unreachable_database("sqlite", tmp_path))
    with Server(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        unavailable = client.post("/api/public/tickets", json=REQUEST)
        assert unavailable.status_code == 503
        healthy = client.get("/api/health")
        assert healthy.status_code == 200
        # The same connection, not a new one after a reset.
        assert healthy.extensions["network_stream"] is unavailable.extensions["network_stream"]


@pytest.fixture
def serving(ready_database: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with hotline_serve(ready_database, tmp_path / "serve.log") as server:
        yield server


def test_sigterm_stops_the_server_although_a_live_stream_is_open(
    serving: tuple[subprocess.Popen[bytes], str], tmp_path: Path
) -> None:
    process, url = serving
    log_path = tmp_path / "serve.log"
    with httpx.Client(base_url=url, timeout=10) as client:
        token = client.post(
            "/api/auth/token", data={"username": "op", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with client.stream("GET", "/api/events/stream", headers=headers) as stream:
            lines = stream.iter_lines()
            assert next(lines) == ": connected"
            created = client.post("/api/tickets", json=REQUEST, headers=headers).json()
            message = next_message(lines)
            assert message["event"] == "ticket.created"
            assert json.loads(message["data"])["ticket_id"] == created["id"]
            assert message["id"].isdigit(), message  # the outbox row's id
            asked_to_stop = time.monotonic()
            process.send_signal(signal.SIGTERM)
            # The server ends the stream itself (the client does not hang up first).
            assert list(lines)[-1:] in ([], [""])
        process.wait(timeout=30)
        stopped_after = time.monotonic() - asked_to_stop
    # uvicorn ends by raising the signal again once it has shut down: -SIGTERM is its clean exit.
    assert process.returncode == -signal.SIGTERM
    assert "Application shutdown complete" in log_path.read_text()  # the shutdown steps ran
    assert stopped_after < 10, f"the server took {stopped_after:.1f}s to stop"


def next_message(lines: Iterator[str]) -> dict[str, str]:
    """The next server-sent event's fields (comments such as ": connected" skipped)."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if fields:
                return fields
            continue
        if not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
    raise AssertionError(f"the stream ended within a message: {fields}")


@contextmanager
def served(ready_database: str) -> Iterator[tuple[Services, httpx.Client]]:
    """The app under uvicorn, its services, and a client signed in as an operator."""
    services = Services(Settings(database_url=ready_database, scan_interval_seconds=3600))
    with Server(create_app(services=services)) as url, httpx.Client(base_url=url) as client:
        token = client.post(
            "/api/auth/token", data={"username": "op", "password": PASSWORD}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield services, client


@contextmanager
def live_stream(client: httpx.Client) -> Iterator[Iterator[str]]:
    """A page's live stream, open: its lines after ": connected"."""
    with client.stream("GET", "/api/events/stream") as stream:
        lines = stream.iter_lines()
        assert next(lines) == ": connected"
        yield lines


def test_a_page_that_goes_away_stops_listening(ready_database: str) -> None:
    with served(ready_database) as (services, client):
        bus = services.bus
        assert isinstance(bus, InProcessBus)
        with live_stream(client):
            assert bus.listener_count == 1
        deadline = time.monotonic() + 10
        while bus.listener_count:
            assert time.monotonic() < deadline, "the stream still listens for a page long gone"
            time.sleep(0.05)


def test_the_live_stream_sends_each_event_id_once(ready_database: str) -> None:
    """Delivery is at least once: an event the relay sends again reaches a page once."""
    with served(ready_database) as (services, client), live_stream(client) as lines:
        for event_id in ("7", "7", "8"):
            services.bus.publish(Event("ticket.overdue", {"ticket_id": 1}, id=event_id))
        assert [next_message(lines)["id"] for _ in range(2)] == ["7", "8"]
