"""Shared fixtures: real PostgreSQL and Redis servers, and the database matrix.

The suite runs every storage test against SQLite and PostgreSQL. Where a server is
unreachable the tests that need it are skipped with a loud banner — except in CI
(``CI=true``), where an unreachable server fails the run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest_plugins = ["tests.app_fixtures", "tests.speech_fixtures"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
POSTGRES_URL = os.environ.get(
    "HOTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

_unreachable: dict[str, str] = {}


def _probe_postgres() -> str | None:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def _probe_redis() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    for name, probe in (("PostgreSQL", _probe_postgres), ("Redis", _probe_redis)):
        problem = probe()
        if problem:
            _unreachable[name] = problem


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    for name, problem in _unreachable.items():
        terminalreporter.write_sep("!", f"{name} UNREACHABLE — its tests were skipped", red=True)
        terminalreporter.write_line(f"{name}: {problem}", red=True)


def _require(name: str) -> None:
    if name in _unreachable:
        message = f"{name} unreachable ({_unreachable[name]})"
        if IN_CI:
            pytest.fail(f"{message}; in CI this is a failure, not a skip", pytrace=False)
        pytest.skip(message)


def _fresh_postgres_database() -> Iterator[str]:
    """A new database on the real PostgreSQL server, dropped afterwards."""
    _require("PostgreSQL")
    import sqlalchemy as sa

    name = f"hotline_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(POSTGRES_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """The app's tests' database on the real PostgreSQL server, for the whole session."""
    yield from _fresh_postgres_database()


@pytest.fixture(scope="session")
def scratch_postgres_url() -> Iterator[str]:
    """A database for tests that create and drop tables of their own, so that they neither see
    nor drop the tables the app's tests keep for the whole session."""
    yield from _fresh_postgres_database()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis server; keys under a unique prefix are removed afterwards."""
    _require("Redis")
    yield REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    import redis

    prefix = f"hotline-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the project: captures and datasets are read from there, never copied."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the shared captures and datasets live outside the repo")
    return SHARED


def wait_until_answering(url: str, process: subprocess.Popen[str], seconds: float = 20) -> None:
    """Until ``url`` answers over HTTP(S) (any status); fails at once when the process that
    should serve it has stopped, with what it wrote to stderr."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url, verify=False, timeout=1)
            return
        except httpx.TransportError:
            assert process.poll() is None, (
                f"{process.args[0]} stopped: {process.stderr.read() if process.stderr else ''}"
            )
            assert time.monotonic() < deadline, f"{process.args[0]} did not start"
            time.sleep(0.1)


def free_port() -> int:
    """A local TCP port nothing listens on at the time of asking: for a server to bind, or for
    a client to find refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
