"""What Open311 refuses, always in the spec's error format with a 4xx, and nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hotline.app import create_app
from hotline.config import Settings
from hotline.open311.service import issue_key, revoke_key
from hotline.services import Services
from hotline.tickets.models import Ticket
from hotline.workflow import Actor, Role
from tests.app_fixtures import Api

ADMIN = Actor(username="adm", role=Role.ADMIN)
ROOT = "/open311/v2"


@pytest.fixture
def api_key(services: Services) -> str:
    with services.unit() as (session, _):
        return issue_key(session, ADMIN, "城市APP", services.clock())


def form(api_key: str, **changes: str) -> dict[str, str]:
    fields = {
        "api_key": api_key,
        "service_code": "ZJ-01",
        "address_string": "幸福小区 3 号楼",
        "description": "物业不清运楼道垃圾",
        "phone": "13800138000",
    }
    fields.update(changes)
    return {name: value for name, value in fields.items() if value}


def tickets(services: Services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def refused(reply: object, status: int) -> str:
    """The spec's JSON error: a list of {code, description}; returns the description."""
    assert reply.status_code == status, reply.text  # type: ignore[attr-defined]
    [error] = reply.json()  # type: ignore[attr-defined]
    assert error["code"] == status
    return str(error["description"])


def test_filing_refused_for_a_bad_key_a_missing_phone_or_place_and_an_unknown_service(
    client: TestClient, services: Services, api_key: str
) -> None:
    post = f"{ROOT}/requests.json"
    assert "api_key" in refused(client.post(post, data=form("")), 400)
    assert "无效" in refused(client.post(post, data=form("not-a-key")), 403)
    assert "phone" in refused(client.post(post, data=form(api_key, phone="")), 400)
    assert "电话号码" in refused(client.post(post, data=form(api_key, phone="12345")), 400)
    assert "位置" in refused(client.post(post, data=form(api_key, address_string="")), 400)
    assert "lat" in refused(client.post(post, data=form(api_key, lat="35.3")), 400)
    assert "lat" in refused(client.post(post, data=form(api_key, lat="95", long="113")), 400)
    assert "ZJ-99" in refused(client.post(post, data=form(api_key, service_code="ZJ-99")), 404)
    assert "诉求内容" in refused(client.post(post, data=form(api_key, description="")), 400)
    wrong_type = form(api_key, **{"attribute[type]": "闲聊"})
    assert "工单类型" in refused(client.post(post, data=wrong_type), 400)
    assert tickets(services) == 0

    with services.unit() as (session, _):
        revoke_key(session, ADMIN, "城市APP", services.clock())
    assert "吊销" in refused(client.post(post, data=form(api_key)), 403)
    assert tickets(services) == 0


def test_errors_in_xml_and_for_what_is_not_there(client: TestClient, api_key: str) -> None:
    reply = client.post(f"{ROOT}/requests.xml", data=form(api_key, phone=""))
    assert reply.status_code == 400
    assert reply.headers["content-type"].startswith("text/xml")
    error = ElementTree.fromstring(reply.text).find("error")
    assert error is not None and error.findtext("code") == "400"
    assert "phone" in (error.findtext("description") or "")

    assert "XX-01" in refused(client.get(f"{ROOT}/services/XX-01.json"), 404)
    assert "格式" in refused(client.get(f"{ROOT}/services.yaml"), 404)
    refused(client.get(f"{ROOT}/requests/20261123-000001.json"), 404)
    refused(client.get(f"{ROOT}/nothing/here"), 404)
    refused(client.get(f"{ROOT}/requests.json", params={"api_key": "wrong"}), 403)


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"status": "pending"}, "status"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "早于"),
        # Past date's range once the 90 days are added or taken, or moved to our zone.
        ({"start_date": "9999-12-31T00:00:00"}, "2099-12-31"),
        ({"end_date": "0001-01-01T00:00:00"}, "2000-01-01"),
        ({"start_date": "0001-01-01T00:00:00-12:00", "end_date": "0001-01-01T00:00:00"}, "2000"),
    ],
)
def test_bad_filters_are_400(client: TestClient, params: dict[str, str], said: str) -> None:
    assert said in refused(client.get(f"{ROOT}/requests.json", params=params), 400)


def test_only_open311_requests_are_listed_and_never_a_phone(
    client: TestClient, api: Api, api_key: str
) -> None:
    by_phone = api.create(citizen_phone="13900139000")
    filed = client.post(f"{ROOT}/requests.json", data=form(api_key))
    number = filed.json()[0]["service_request_id"]
    for reader in ({}, {"api_key": api_key}):
        text = client.get(f"{ROOT}/requests.json", params=reader).text
        assert number in text and by_phone["number"] not in text
        assert "13800138000" not in text and "13900139000" not in text
    assert client.get(f"{ROOT}/requests/{by_phone['number']}.json").status_code == 404


@pytest.fixture
def strict_client(services: Services) -> Iterator[TestClient]:
    """The app with two requests a minute per key, and per address without a key."""
    settings = Settings(
        database_url=services.settings.database_url,
        open311_rate="2/minute",
        public_rate="2/minute",
    )
    limited = Services(settings, bus=services.bus)
    limited.clock = services.clock
    with TestClient(create_app(services=limited)) as test_client:
        yield test_client
    limited.close()


def test_each_key_has_its_own_rate_limit(
    strict_client: TestClient, services: Services, api_key: str
) -> None:
    with services.unit() as (session, _):
        other_key = issue_key(session, ADMIN, "区政务APP", services.clock())
    listing = f"{ROOT}/requests.json"
    for _ in range(2):
        assert strict_client.get(listing, params={"api_key": api_key}).status_code == 200
    reply = strict_client.get(listing, params={"api_key": api_key})
    refused(reply, 429)
    assert int(reply.headers["Retry-After"]) > 0
    assert strict_client.get(listing, params={"api_key": other_key}).status_code == 200


def test_wrong_keys_are_counted_by_address(
    strict_client: TestClient, services: Services, api_key: str
) -> None:
    """Guessing keys costs the guesser's address its public rate."""
    listing = f"{ROOT}/requests.json"
    for _ in range(2):
        refused(strict_client.get(listing, params={"api_key": "guess"}), 403)
    refused(strict_client.get(listing, params={"api_key": "guess"}), 429)
    refused(strict_client.get(f"{ROOT}/services.json"), 429)
    assert strict_client.get(listing, params={"api_key": api_key}).status_code == 200


def test_too_long_names_and_addresses_are_refused(
    client: TestClient, services: Services, api_key: str
) -> None:
    post = f"{ROOT}/requests.json"
    too_far = form(api_key, address_string="路" * 301)
    assert "address_string" in refused(client.post(post, data=too_far), 400)
    too_long = form(api_key, first_name="名" * 40, last_name="姓" * 30)
    assert "first_name" in refused(client.post(post, data=too_long), 400)
    assert tickets(services) == 0


def test_a_database_that_does_not_answer_is_the_specs_503_to_retry(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'no-such-directory' / 'h.db'}")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        reply = client.get(f"{ROOT}/services.xml")
    assert reply.status_code == 503, reply.text
    assert reply.headers["content-type"].startswith("text/xml")
    assert int(reply.headers["retry-after"]) > 0
    assert ElementTree.fromstring(reply.text).findtext("error/code") == "503"
