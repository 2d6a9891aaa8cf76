"""The property-based API test (issue 17): schemathesis generates requests, valid and invalid,
from the app's own OpenAPI, and each is sent to the app on SQLite and on PostgreSQL with every
role's token and with none. Whatever it sends: no 5xx, every status documented, every body as
documented, invalid data refused with a 4xx, and a 405 names the allowed methods.

Each database is one of its own (admins may rename departments, enter calendar years and add
users here, which the other tests keep for the whole session). Not fuzzed: the live streams
(`/api/events/stream` and `/api/wallboard/stream` never end by design;
tests/core/test_event_visibility.py and tests/wallboard/test_wallboard_api.py cover them).
Bounded: a few examples per operation, so both databases take about a minute."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from hotline.app import create_app
from hotline.config import Settings
from tests.app_fixtures import PASSWORD, USERS, prepare_database
from tests.conftest import _fresh_postgres_database

# Kept small for `make test`; HOTLINE_FUZZ_EXAMPLES=50 makes a deeper run by hand.
EXAMPLES_PER_OPERATION = int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", "4"))
# One user of each role (the departments' staff differ only in their department).
ROLES = list({role: name for name, role, _ in reversed(USERS)}.values())
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

schema = schemathesis.openapi.from_dict(
    create_app(Settings(database_url="sqlite://")).openapi()
).exclude(path=["/api/events/stream", "/api/wallboard/stream"])


@dataclass
class Target:
    client: TestClient
    tokens: dict[str, str]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter(
            [f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'fuzz.db'}"]
        )
    else:
        urls = _fresh_postgres_database()
    url = next(urls)
    prepare_database(url)
    with TestClient(create_app(Settings(database_url=url, scan_interval_seconds=3600))) as client:
        tokens = {}
        for user in ROLES:
            reply = client.post("/api/auth/token", data={"username": user, "password": PASSWORD})
            assert reply.status_code == 200, reply.text
            tokens[user] = reply.json()["access_token"]
        yield Target(client, tokens)
    next(urls, None)  # drops the PostgreSQL database


def _for_httpx(request: dict[str, Any]) -> dict[str, Any]:
    """schemathesis prepares a `requests` call; its body is encoded here as `requests` would
    (a multipart one too, whose parts may be numbers where files go), so that the test client
    sends bytes that the checks can read back."""
    request.pop("cookies", None)
    files, data = request.pop("files", None), request.pop("data", None)
    if files:
        prepared = requests.PreparedRequest()
        prepared.prepare_headers(request.get("headers"))
        prepared.prepare_body(data, files)
        return {**request, "content": prepared.body, "headers": dict(prepared.headers)}
    if isinstance(data, str | bytes):
        return {**request, "content": data}
    return {**request, "data": data} if data is not None else request


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    case: schemathesis.Case, target: Target
) -> None:
    for role in [None, *ROLES]:
        headers = {"Authorization": f"Bearer {target.tokens[role]}"} if role else {}
        request = _for_httpx(
            case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        )
        reply = target.client.request(**request)
        try:
            # 503 is no fault here: the tests run without Asterisk and without a speech model,
            # and those routes say so (documented, with a code), as they would in production.
            assert reply.status_code < 500 or (reply.status_code == 503 and reply.json()["code"]), (
                reply.text
            )
            case.validate_response(reply, checks=CHECKS, headers=headers)
        except Exception as failure:
            failure.add_note(f"as {role or 'nobody'}: {case.method} {reply.request.url}")
            raise


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/api/tickets", "/api/tickets"),
        ("/api/tickets/1", "/api/tickets/{ticket_id}"),
        ("/api/public/ratings", "/api/public/ratings"),
    ],
)
def test_a_wrong_method_names_the_allowed_ones(target: Target, path: str, template: str) -> None:
    documented = {method.upper() for method in schema.raw_schema["paths"][template]}
    reply = target.client.request("PATCH", path)
    assert reply.status_code == 405 and reply.json()["code"] == "method_not_allowed"
    assert set(re.split(r",\s*", reply.headers["allow"])) - {"HEAD"} == documented


# Regression tests of what the property-based run found.


def test_the_kpi_export_documents_the_types_it_answers_with(target: Target) -> None:
    path = "/api/stats/departments/export"
    documented = schema.raw_schema["paths"][path]["get"]["responses"]["200"]["content"]
    headers = {"Authorization": f"Bearer {target.tokens['sup']}"}
    for export_format in ("csv", "xlsx"):
        reply = target.client.get(path, params={"format": export_format}, headers=headers)
        assert reply.status_code == 200
        assert reply.headers["content-type"].split(";")[0] in documented


def test_every_operation_documents_its_error_statuses() -> None:
    for path, operations in schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            if path.startswith("/open311/v2/"):
                _documents_the_open311_errors(method, path, operation["responses"])
                continue
            if path.startswith("/api/public/"):
                expected = {"404", "422", "429", "503"}
            elif path.startswith("/api/health"):
                expected = {"503"} if path.endswith("ready") else set()
            else:
                expected = {"401", "503"}
            assert expected <= statuses, (method, path, statuses)
            for status in expected:
                error = operation["responses"][status]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)


def _documents_the_open311_errors(method: str, path: str, responses: dict[str, Any]) -> None:
    """GeoReport v2 answers its errors in its own format, in JSON or in XML as the path asks."""
    for status in ("400", "403", "404", "429", "503"):
        content = responses[status]["content"]
        error = content["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Open311ErrorsOut"}, (method, path, status)
        assert "text/xml" in content, (method, path, status)


def test_routes_without_asterisk_answer_a_documented_503(target: Target) -> None:
    headers = {"Authorization": f"Bearer {target.tokens['op']}"}
    reply = target.client.post("/api/agents/me/login", headers=headers)
    assert reply.status_code == 503 and reply.json()["code"]
    assert "503" in schema.raw_schema["paths"]["/api/agents/me/login"]["post"]["responses"]
