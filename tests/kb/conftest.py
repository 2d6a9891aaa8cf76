"""The knowledge-base tests run on the same real databases and app as the core tests."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hotline.kb.seed import seed_kb
from hotline.services import Services
from tests.app_fixtures import Api, Clock


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
def seeded(services: Services, clock: Clock) -> int:
    """The demo knowledge base, published."""
    with services.unit() as (session, _):
        return seed_kb(session, clock.now)


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
def api(client: TestClient, database_url: str) -> Api:
    return CachedTokenApi(client, database_url)
