"""Hostile input (issue 17): values past a column's range, dates that overflow, NUL bytes,
non-ASCII tokens, odd JSON and over-long names each get a clear JSON 4xx on SQLite and
PostgreSQL alike — never a 500 — and leave nothing written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from hotline.app import create_app
from hotline.cli import app as cli
from hotline.config import Settings
from hotline.models import Department
from hotline.services import Services
from tests.app_fixtures import Api

# Past PostgreSQL's integer, past SQLite's integer, and a float that JSON readers make an int.
HUGE_IDS = (2**31, 2**63, 10**20)
OPENAPI = create_app(Settings(database_url="sqlite://")).openapi()
ROUTES = OPENAPI["paths"]


def _refused(reply: Any, status: int = 422) -> dict[str, Any]:
    assert reply.status_code == status, (reply.request.method, reply.request.url, reply.text)
    body = reply.json()
    assert body["code"] and body["message"], body
    return body


def _routes_with(location: str, kind: str) -> list[tuple[str, str, str]]:
    """(method, path, parameter) for every operation with a parameter of that kind."""
    found = []
    for path, operations in ROUTES.items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                kinds = {schema.get("type"), schema.get("format")} | {
                    option.get("format") or option.get("type") for option in schema.get("anyOf", [])
                }
                if parameter["in"] == location and kind in kinds:
                    found.append((method.upper(), path, parameter["name"]))
    return found


def _call(api: Api, method: str, path: str, **params: Any) -> Any:
    body = {} if method in {"POST", "PUT"} else None
    return api.client.request(method, path, params=params, json=body, headers=api.headers("adm"))


PATH_IDS = _routes_with("path", "integer")


def test_every_integer_path_parameter_is_found() -> None:
    assert len(PATH_IDS) >= 12 and ("GET", "/api/tickets/{ticket_id}", "ticket_id") in PATH_IDS


def test_ids_past_the_column_are_refused_in_every_path(api: Api) -> None:
    for method, path, name in PATH_IDS:
        for huge in HUGE_IDS:
            body = _refused(_call(api, method, path.replace("{" + name + "}", str(huge))))
            assert body["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/tickets", {"page": 2**31}),
        ("/api/tickets", {"page": 2**63}),
        ("/api/tickets", {"page_size": 2**63}),
        ("/api/calls", {"page": 2**31}),
        ("/api/calls", {"page_size": 2**31}),
        ("/api/transcripts", {"call_id": 2**31}),
        ("/api/transcripts", {"call_id": 2**63}),
    ],
)
def test_query_integers_past_the_column_are_refused(
    api: Api, path: str, params: dict[str, int]
) -> None:
    _refused(api.get("adm", path, **params))


def test_the_last_page_within_range_still_answers(api: Api) -> None:
    reply = api.get("adm", "/api/tickets", page=10_000_000, page_size=200)
    assert reply.status_code == 200 and reply.json()["items"] == []


@pytest.mark.parametrize("call_id", [2**31, 2**63, 1e20])
def test_a_ticket_naming_a_call_past_the_column_is_refused(api: Api, call_id: float) -> None:
    body = {"content": "路灯不亮", "citizen_phone": "13812345678", "type": "求助"}
    _refused(api.post("op", "/api/tickets", {**body, "call_id": call_id}))
    assert api.get("adm", "/api/tickets").json()["total"] == 0


@pytest.mark.parametrize(
    ("action", "params", "field"),
    [
        ("merge", {"into": 2**31}, "into"),
        ("merge", {"into": 2**63}, "into"),
        ("close-direct", {"answer": "已答复", "kb_entry_id": 2**31}, "kb_entry_id"),
        ("close-direct", {"answer": "已答复", "kb_entry_id": 2**63}, "kb_entry_id"),
        ("accept", {"version": 2**31}, "version"),
        ("accept", {"version": 2**63}, "version"),
    ],
)
def test_body_ids_past_the_column_are_refused(
    api: Api, action: str, params: dict[str, Any], field: str
) -> None:
    ticket = api.create()
    reply = api.post("adm", f"/api/tickets/{ticket['id']}/actions/{action}", params)
    assert _refused(reply)["field"] == field
    after = api.get("adm", f"/api/tickets/{ticket['id']}").json()
    assert (after["status"], after["version"]) == (ticket["status"], ticket["version"])


def test_a_knowledge_entry_version_past_the_column_is_refused(api: Api) -> None:
    entry = {
        "title": "公积金提取",
        "questions": ["怎么提取"],
        "answer": "带身份证办理",
        "department": "ZJ",
    }
    created = api.post("adm", "/api/kb/entries", entry)
    assert created.status_code == 201, created.text
    reply = api.client.post(
        f"/api/kb/entries/{created.json()['id']}/publish",
        json={"version": 2**31},
        headers=api.headers("adm"),
    )
    _refused(reply)


DATE_QUERIES = [(path, name) for method, path, name in _routes_with("query", "date")]


def test_every_date_query_parameter_is_found() -> None:
    assert {"/api/tickets", "/api/stats/departments", "/api/calls", "/api/hotspots"} <= {
        path for path, _ in DATE_QUERIES
    }


def test_dates_outside_the_sane_range_or_not_iso_are_refused(api: Api) -> None:
    for path, name in DATE_QUERIES:
        for day in ("9999-12-31", "0001-01-01", "0", "1700000000", "2026-13-01", "1999-12-31"):
            assert _refused(api.get("adm", path, **{name: day}))["code"] == "invalid_input"


def test_dates_at_the_bounds_still_answer(api: Api) -> None:
    for path in ("/api/tickets", "/api/stats/departments", "/api/routing/corrections"):
        reply = api.get("adm", path, start="2090-01-01", end="2099-12-31")
        assert reply.status_code == 200, (path, reply.text)


def test_a_calendar_year_out_of_range_is_refused(api: Api) -> None:
    for year in (0, 99999, 2**31):
        _refused(
            api.client.put(f"/api/calendar/{year}", json={"days": []}, headers=api.headers("adm"))
        )


@pytest.mark.parametrize("where", ["bearer", "cookie"])
def test_a_non_ascii_token_is_a_401(api: Api, where: str) -> None:
    token = api.token("op").encode() + "\u00e9".encode("latin-1")
    headers = (
        {"authorization": b"Bearer " + token}
        if where == "bearer"
        else {"cookie": b"hotline_token=" + token}
    )
    for path in ("/api/me", "/api/tickets", "/api/stats/departments"):
        reply = api.client.get(path, headers=headers)  # type: ignore[arg-type]
        assert _refused(reply, 401)["code"] == "unauthorized"


@pytest.mark.parametrize(
    "body", [b"[]", b'["op", "secret123"]', b"1", b"null", b"[" * 100_000 + b"]" * 100_000]
)
def test_login_with_json_that_is_not_an_object_is_refused(api: Api, body: bytes) -> None:
    reply = api.client.post(
        "/api/auth/token", content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= reply.status_code < 500, reply.text
    assert reply.json()["code"]


@pytest.mark.parametrize("path", ["/api/tickets", "/api/tickets/1/actions/accept"])
def test_deeply_nested_json_to_a_body_is_a_clear_400(api: Api, path: str) -> None:
    reply = api.client.post(
        path,
        content=b'{"content": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        headers={**api.headers("op"), "content-type": "application/json"},
    )
    assert _refused(reply, 400)["code"] == "malformed_body"


NUL_TICKET = {"content": "路灯\u0000不亮", "citizen_phone": "13812345678", "type": "求助"}


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/api/tickets", {"json": NUL_TICKET}),
        ("POST", "/api/public/tickets", {"json": {**NUL_TICKET, "citizen_name": "张\u0000"}}),
        ("GET", "/api/tickets", {"params": {"q": "路灯\u0000"}}),
        ("GET", "/api/tickets", {"params": {"department": "\u0000"}}),
        ("GET", "/api/public/tickets/20261123-000001%00", {"params": {"phone": "13812345678"}}),
        ("GET", "/api/public/tickets/20261123-000001", {"params": {"phone": "1381234\u00005678"}}),
        ("GET", "/api/kb/search", {"params": {"q": "\u0000"}}),
        ("POST", "/api/auth/token", {"data": {"username": "op\u0000", "password": "secret123"}}),
        ("POST", "/api/auth/token", {"json": {"username": "op\u0000", "password": "x"}}),
    ],
)
def test_a_nul_byte_anywhere_is_a_422(
    api: Api, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    reply = api.client.request(method, path, headers=api.headers("op"), **kwargs)
    assert _refused(reply)["code"] == "invalid_input"
    assert api.get("adm", "/api/tickets").json()["total"] == 0


def test_an_escaped_backslash_before_u0000_is_text_not_nul(api: Api) -> None:
    created = api.create(content=r"路径 C:\\u0000 打不开")
    assert created["content"] == r"路径 C:\\u0000 打不开"


def test_over_long_username_at_login_is_a_401(api: Api) -> None:
    for body in ({"username": "u" * 65, "password": "secret123"},):
        assert _refused(api.client.post("/api/auth/token", json=body), 401)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "u" * 65}, "username"),
        ({"extension": "8" * 33}, "extension"),
        ({"display_name": "名" * 65}, "display_name"),
    ],
)
def test_over_long_user_fields_are_refused(api: Api, change: dict[str, str], field: str) -> None:
    user = {"username": "newop", "role": "operator", "password": "secret123", **change}
    assert _refused(api.post("adm", "/api/users", user))["field"] == field
    assert "newop" not in {u["username"] for u in api.get("adm", "/api/users").json()}


@pytest.mark.parametrize(
    ("args", "message"),
    [(["u" * 65], "用户名"), (["longext", "--extension", "8" * 33], "分机号")],
)
def test_cli_refuses_over_long_user_fields_clearly(
    database_url: str, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    result = CliRunner().invoke(
        cli, ["users", "add", *args, "--role", "operator", "--password", "pw123456"]
    )
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_wrong_method_answers_405_with_allow(api: Api) -> None:
    reply = api.client.delete("/api/tickets", headers=api.headers("op"))
    assert _refused(reply, 405)["code"] == "method_not_allowed"
    assert set(re.split(r",\s*", reply.headers["allow"])) == {"GET", "POST"}


@pytest.fixture
def scratch_department(services: Services) -> Iterator[str]:
    """A department code the test may create; removed afterwards (departments are kept data)."""
    yield "HOSTILE"
    with services.sessions() as session:
        session.execute(delete(Department).where(Department.code == "HOSTILE"))
        session.commit()


def test_an_empty_parent_or_division_names_none(api: Api, scratch_department: str) -> None:
    body = {"code": scratch_department, "name": "测试局", "parent_code": "", "division_code": ""}
    reply = api.client.put(
        f"/api/departments/{scratch_department}", json=body, headers=api.headers("adm")
    )
    assert reply.status_code == 200, reply.text
    assert (reply.json()["parent"], reply.json()["division"]) == (None, None)


@pytest.mark.parametrize(
    ("code", "change"),
    [("H" * 17, {}), ("HOSTILE", {"name": "局" * 101}), ("HOSTILE", {"kind": "k" * 21})],
)
def test_department_fields_past_their_columns_are_refused(
    api: Api, scratch_department: str, code: str, change: dict[str, str]
) -> None:
    body = {"code": code, "name": "测试局", **change}
    reply = api.client.put(f"/api/departments/{code}", json=body, headers=api.headers("adm"))
    _refused(reply)
    assert code not in {d["code"] for d in api.get("adm", "/api/departments").json()}


def _integer_schemas(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "integer":
            yield where, node
        for key, value in node.items():
            yield from _integer_schemas(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _integer_schemas(value, f"{where}[{index}]")


def test_every_integer_the_api_takes_is_bounded_by_a_column() -> None:
    """A new endpoint with a bare `int` would let 2⁶³ reach SQL again; the shared types say
    their bounds in the OpenAPI."""
    found = list(_integer_schemas([OPENAPI["paths"], OPENAPI["components"]], "openapi"))
    assert len(found) >= 20
    for where, schema in found:
        assert 1 <= schema.get("maximum", 2**63) <= 2**31 - 1, where
