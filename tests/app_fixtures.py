"""The app over a real database: SQLite and PostgreSQL, migrated by Alembic.

Loaded for every test folder by ``pytest_plugins`` in tests/conftest.py, so each session-scoped
database is prepared exactly once, whichever folders run together."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, inspect, update

from hotline.app import create_app
from hotline.calls.models import Call
from hotline.config import Settings
from hotline.db import make_engine, make_session_factory, transaction
from hotline.events import Event, InProcessBus
from hotline.migrate import prepare
from hotline.models import Setting, Ticket, metadata
from hotline.services import Services

USERS = (
    ("op", "operator", None),
    ("disp", "dispatcher", None),
    ("sup", "supervisor", None),
    ("adm", "admin", None),
    ("mon", "monitor", None),
    ("zj", "department", "ZJ"),
    ("cg", "department", "CG"),
    ("cgwh", "department", "CG-WH"),
    ("hb", "department", "HB"),
    ("ga", "department", "GA"),
)
PASSWORD = "secret123"
# Reference data, users and the calendar stay for the whole session; everything else is
# per-test data, deleted children first.
KEPT_TABLES = frozenset(
    {
        "departments",
        "divisions",
        "transfer_targets",
        "routing_rules",
        "users",
        "settings",
        "calendar_days",
        "calendar_years",
        "alembic_version",
    }
)


def prepare_database(url: str) -> None:
    """Migrate, then load reference data, the calendar and one user per role."""
    prepare(url, [(name, role, department, PASSWORD) for name, role, department in USERS])


@pytest.fixture
def own_postgres_database() -> Iterator[str]:
    """A prepared PostgreSQL database for one test alone, dropped afterwards: for tests that
    stop or drop the database under the app, or count every row in it."""
    from tests.conftest import _fresh_postgres_database

    fresh = _fresh_postgres_database()
    url = next(fresh)
    prepare_database(url)
    yield url
    fresh.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('db')) / 'hotline.db'}"
    prepare_database(url)
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> str:
    prepare_database(postgres_server_url)
    return postgres_server_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    yield url
    engine = make_engine(url)
    # test_migrations.py catches a model without its migration; here such a table is skipped.
    existing = set(inspect(engine).get_table_names())
    with transaction(make_session_factory(engine)) as session:
        session.execute(update(Ticket).values(merged_into_id=None))
        session.execute(delete(Setting).where(Setting.key.startswith("job:")))  # jobs' last runs
        for table in reversed(metadata.sorted_tables):
            if table.name in existing and table.name not in KEPT_TABLES:
                session.execute(delete(table))
    engine.dispose()


class Clock:
    """A settable clock, so deadlines can be tested at chosen moments."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 9, 0))  # a Monday


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def services(database_url: str, clock: Clock, events: list[Event]) -> Iterator[Services]:
    bus = InProcessBus()
    bus.subscribe(events.append)
    svc = Services(Settings(database_url=database_url, scan_interval_seconds=3600), bus=bus)
    svc.clock = clock
    yield svc
    svc.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as test_client:
        yield test_client


class Api:
    """The HTTP contract as the users' programs see it: log in, then call with a token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self._tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self._tokens:
            reply = self.client.post(
                "/api/auth/token", data={"username": user, "password": PASSWORD}
            )
            assert reply.status_code == 200, reply.text
            self._tokens[user] = reply.json()["access_token"]
        return self._tokens[user]

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    def post(self, user: str, path: str, body: object = None):  # type: ignore[no-untyped-def]
        return self.client.post(path, json=body, headers=self.headers(user))

    def get(self, user: str, path: str, **params: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, params=params, headers=self.headers(user))

    def create(self, user: str = "op", **fields: object) -> dict:  # type: ignore[type-arg]
        body = {
            "content": "小区门口夜间施工噪声扰民",
            "citizen_phone": "13812345678",
            "type": "投诉",
        }
        body.update(fields)
        reply = self.post(user, "/api/tickets", body)
        assert reply.status_code == 201, reply.text
        return reply.json()

    def act(
        self, user: str, ticket_id: int, action: str, body: object = None, status: int = 200
    ) -> dict:  # type: ignore[type-arg]
        reply = self.post(user, f"/api/tickets/{ticket_id}/actions/{action}", body or {})
        assert reply.status_code == status, reply.text
        return reply.json()


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def add_call(
    services: Services,
    stream_uuid: str | None = None,
    *,
    caller: str = "13812345678",
    state: str = "answered",
) -> int:
    """A call row as the AMI bridge stores it (the caller in its stored form), carrying its
    AudioSocket stream's UUID if it has one."""
    with services.unit() as (session, _):
        call = Call(
            linkedid=f"1700000000.{uuid.uuid4().int % 10**6}",
            caller=caller,
            state=state,
            started_at=datetime(2026, 11, 23, 9, 0),
            transfers=[],
            priority=False,
            stream_uuid=stream_uuid,
        )
        session.add(call)
        session.flush()
        return call.id
