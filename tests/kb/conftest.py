"""The knowledge-base tests run on the same real databases and app as the core tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from hotline.kb.seed import seed_kb
from hotline.services import Services
from tests.core.conftest import (  # noqa: F401  (fixtures shared with the core tests)
    Api,
    Clock,
    _prepare,
    client,
    clock,
    database_url,
    events,
    services,
    sqlite_url,
)


def entry_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "department": "ZJ",
        "title": "公租房申请",
        "matter_category": "住房保障与公租房",
        "questions": ["公租房怎么申请", "廉租房在哪里报名"],
        "answer": "向户籍所在地街道办事处提出申请。",
        "conditions": ["在本市城区无自有住房"],
        "materials": ["申请人身份证", "户口簿"],
        "location": "街道办事处便民服务中心",
        "fees": "不收费",
        "time_limit": "30个工作日",
    }
    body.update(fields)
    return body


@pytest.fixture
def seeded(services: Services, clock: Clock) -> int:  # noqa: F811  (the shared fixtures)
    """The demo knowledge base, published."""
    with services.unit() as (session, _):
        return seed_kb(session, clock.now)


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A database of its own beside the core tests' one, so both folders can run in one session."""
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    url = make_url(postgres_server_url)
    name = f"{url.database}_kb"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    own = url.set(database=name).render_as_string(hide_password=False)
    _prepare(own)
    yield own
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Signing in hashes a password (argon2, deliberately slow); users and the token secret live for
# the whole session, so each user's token is reused across tests on the same database.
_TOKENS: dict[tuple[str, str], str] = {}


class CachedTokenApi(Api):
    def __init__(self, test_client: TestClient, url: str) -> None:
        super().__init__(test_client)
        self.database_url = url

    def token(self, user: str) -> str:
        key = (self.database_url, user)
        if key not in _TOKENS:
            _TOKENS[key] = super().token(user)
        return _TOKENS[key]


@pytest.fixture
def api(client: TestClient, database_url: str) -> Api:  # noqa: F811
    return CachedTokenApi(client, database_url)
