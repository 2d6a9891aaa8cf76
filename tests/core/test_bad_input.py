"""Every bad input gets a clear JSON error and leaves nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from hotline.models import AuditRecord, Ticket, TicketAction
from hotline.services import Services
from tests.app_fixtures import Api


def _counts(services: Services) -> tuple[int, int, int]:
    with services.sessions() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model))
            for model in (Ticket, TicketAction, AuditRecord)
        )


@pytest.fixture
def unchanged(services: Services) -> Iterator[None]:
    """Asserts the test left the ticket, history and audit tables exactly as it found them."""
    before = _counts(services)
    yield
    assert _counts(services) == before


GOOD = {"content": "路灯不亮", "citizen_phone": "13812345678", "type": "求助"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"content": "长" * 5001}, "content"),
        ({"content": "   "}, "content"),
        ({"citizen_phone": "12345"}, "citizen_phone"),
        ({"citizen_phone": "1381234567a"}, "citizen_phone"),
        ({"type": "闲聊"}, "type"),
        ({"urgency": "特急"}, "urgency"),
        ({"division": "XX-NOPE"}, "division"),
        ({"channel": "pigeon"}, "channel"),
        ({"department": "NOPE"}, "department"),
    ],
)
def test_invalid_ticket_fields_are_refused(
    api: Api, unchanged: None, change: dict, field: str
) -> None:
    reply = api.post("op", "/api/tickets", {**GOOD, **change})
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["code"] == "invalid_input" and body["field"] == field
    assert body["message"]


def test_missing_fields_name_them(api: Api, unchanged: None) -> None:
    reply = api.post("op", "/api/tickets", {"content": "x"})
    assert reply.status_code == 422
    assert "来电号码" in reply.json()["message"] and "类型" in reply.json()["message"]
    assert {e["field"] for e in reply.json()["errors"]} == {"citizen_phone", "type"}


def test_malformed_json_is_a_400(api: Api, unchanged: None) -> None:
    reply = api.client.post(
        "/api/tickets",
        content=b'{"content": "x", ',
        headers={**api.headers("op"), "content-type": "application/json"},
    )
    assert reply.status_code == 400
    assert reply.json()["code"] == "malformed_json"


def test_unknown_department_on_dispatch(api: Api) -> None:
    tid = api.create()["id"]
    before = api.get("disp", f"/api/tickets/{tid}").json()
    reply = api.post("disp", f"/api/tickets/{tid}/actions/dispatch", {"department": "ZZZ"})
    assert reply.status_code == 422 and reply.json()["field"] == "department"
    after = api.get("disp", f"/api/tickets/{tid}").json()
    assert after["status"] == "registered" and after["version"] == before["version"]
    assert len(after["history"]) == len(before["history"])


def test_wrong_role_and_other_departments_ticket(api: Api) -> None:
    tid = api.create()["id"]
    assert (
        api.post("op", f"/api/tickets/{tid}/actions/dispatch", {"department": "ZJ"}).status_code
        == 403
    )
    api.act("disp", tid, "dispatch", {"department": "ZJ"})
    assert api.get("cg", f"/api/tickets/{tid}").status_code == 404
    assert api.post("cg", f"/api/tickets/{tid}/actions/accept").status_code == 404
    assert all(t["id"] != tid for t in api.get("cg", "/api/tickets").json()["items"])
    assert api.post("zj", "/api/tickets", GOOD).status_code == 403
    assert api.get("op", "/api/stats/departments").status_code == 403


def test_unknown_action_and_bad_version(api: Api) -> None:
    tid = api.create()["id"]
    reply = api.post("disp", f"/api/tickets/{tid}/actions/teleport", {})
    assert reply.status_code == 422 and "dispatch" in reply.json()["allowed"]
    stale = api.post(
        "disp", f"/api/tickets/{tid}/actions/dispatch", {"department": "ZJ", "version": 99}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert api.get("disp", f"/api/tickets/{tid}").json()["status"] == "registered"


def test_no_or_forged_token(api: Api) -> None:
    assert api.client.get("/api/tickets").status_code == 401
    forged = api.token("op")[:-2] + "xx"
    reply = api.client.get("/api/tickets", headers={"Authorization": f"Bearer {forged}"})
    assert reply.status_code == 401 and reply.json()["code"] == "unauthorized"
    bad_login = api.client.post("/api/auth/token", json={"username": "op", "password": "wrong"})
    assert bad_login.status_code == 401


@pytest.mark.parametrize(
    "content",
    [
        "'; DROP TABLE tickets; --",
        "<script>alert('x')</script> 楼下烧烤",
        'Robert"); DELETE FROM users WHERE ("1"="1',
    ],
)
def test_injection_and_html_are_stored_verbatim(api: Api, content: str) -> None:
    created = api.create(content=content)
    assert api.get("op", f"/api/tickets/{created['id']}").json()["content"] == content
    found = api.get("op", "/api/tickets", q=content[:12]).json()
    assert [t["id"] for t in found["items"]] == [created["id"]]


def test_list_filters_validate(api: Api) -> None:
    assert api.get("op", "/api/tickets", status="nonsense").status_code == 422
    assert api.get("op", "/api/tickets", page_size=1000).status_code == 422
    assert api.get("op", "/api/tickets", start="2026-13-01").status_code == 422
    assert (
        api.get("sup", "/api/stats/departments", start="2026-12-01", end="2026-11-01").status_code
        == 422
    )
