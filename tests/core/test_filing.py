"""Filing a ticket: the response shows what was committed, and a refused request takes no number."""

from __future__ import annotations

import pytest

from hotline.kb.seed import seed_kb
from hotline.services import Services
from tests.app_fixtures import Api, Clock, add_call


def _stored_version(api: Api, ticket_id: int) -> int:
    reply = api.get("op", f"/api/tickets/{ticket_id}")
    assert reply.status_code == 200, reply.text
    return reply.json()["version"]


@pytest.mark.parametrize("extra", ["call", "department", "both"])
def test_the_create_response_carries_the_stored_version(
    api: Api, services: Services, extra: str
) -> None:
    fields: dict[str, object] = {}
    if extra in {"call", "both"}:
        fields["call_id"] = add_call(services, caller="13800138000")
    if extra in {"department", "both"}:
        fields["department"] = "CG"
    created = api.create(type="咨询", **fields)
    assert created["version"] == _stored_version(api, created["id"])
    # 直接办结 right away, with the version the console was given.
    closed = api.act(
        "op", created["id"], "close-direct", {"answer": "已答复政策", "version": created["version"]}
    )
    assert closed["status"] == "closed"
    assert closed["version"] == _stored_version(api, created["id"])


def test_an_action_response_carries_the_stored_version_after_its_hooks(
    api: Api, services: Services, clock: Clock
) -> None:
    """The KB hook writes the answering entry on the ticket after the action's own flush."""
    with services.unit() as (session, _):
        seed_kb(session, clock.now)
    entry = api.get("op", "/api/kb/search", q="异地就医备案").json()["items"][0]
    created = api.create(type="咨询")
    closed = api.act(
        "op",
        created["id"],
        "close-direct",
        {"answer": "按知识库答复", "kb_entry_id": entry["id"], "version": created["version"]},
    )
    assert closed["version"] == _stored_version(api, created["id"])
    api.act(
        "op",
        created["id"],
        "rate",
        {"rating": "满意", "solved": True, "version": closed["version"]},
    )


def _sequence(number: str) -> int:
    return int(number.partition("-")[2])


@pytest.mark.parametrize(
    "refused",
    [
        {"department": "NO-SUCH"},
        {"division": "NO-SUCH"},
        {"call_id": 999999},
    ],
)
def test_a_request_refused_for_an_unknown_reference_takes_no_number(
    api: Api, refused: dict[str, object]
) -> None:
    first = api.create()["number"]
    for user in ("op", "disp"):
        body = {"content": "路灯不亮", "citizen_phone": "13800000001", "type": "求助", **refused}
        reply = api.post(user, "/api/tickets", body)
        assert reply.status_code == 422, reply.text
        assert reply.json()["code"] == "invalid_input"
    if "call_id" not in refused:
        public = {"content": "路灯不亮", "citizen_phone": "13800000001", **refused}
        if "department" not in refused:
            reply = api.client.post("/api/public/tickets", json=public)
            assert reply.status_code == 422, reply.text
    assert _sequence(api.create()["number"]) == _sequence(first) + 1


def test_a_ticket_list_whose_start_is_after_its_end_is_refused(api: Api) -> None:
    reply = api.get("op", "/api/tickets", start="2026-11-23", end="2026-11-01")
    assert reply.status_code == 422, reply.text
    assert reply.json()["code"] == "invalid_input"
    assert reply.json()["field"] == "start"
    assert api.get("op", "/api/tickets", start="2026-11-01", end="2026-11-23").status_code == 200
