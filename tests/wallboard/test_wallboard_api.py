"""The wallboard's summary and its kiosk tokens, through the HTTP API."""

from __future__ import annotations

import threading
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.models import AuditRecord, Ticket
from hotline.services import Services
from tests.app_fixtures import Api, Clock
from tests.calls.test_calls_store import insert_call


def test_the_summary_counts_the_centres_day(services: Services, api: Api, clock: Clock) -> None:
    now = clock.now
    yesterday = now - timedelta(days=1)
    # Calls: two waiting now (one since 40 s), one answered in 10 s with a 119 transfer, one
    # abandoned, and one from yesterday still marked queued (a stale row: not waiting today).
    insert_call(
        services,
        state="queued",
        started_at=now - timedelta(seconds=45),
        queue_entered_at=now - timedelta(seconds=40),
    )
    insert_call(
        services,
        state="queued",
        started_at=now - timedelta(seconds=8),
        queue_entered_at=now - timedelta(seconds=5),
    )
    insert_call(
        services,
        state="ended",
        started_at=now - timedelta(minutes=9),
        queue_entered_at=now - timedelta(minutes=9),
        answered_at=now - timedelta(minutes=8),
        wait_seconds=10.0,
        ended_at=now - timedelta(minutes=2),
        operator="op",
        transfers=[
            {
                "target": "119",
                "mode": "blind",
                "result": "success",
                "requested_at": (now - timedelta(minutes=3)).isoformat(),
            },
            {
                "target": "110",
                "mode": "blind",
                "result": "busy",
                "requested_at": (now - timedelta(minutes=4)).isoformat(),
            },
        ],
    )
    insert_call(
        services,
        state="abandoned",
        started_at=now - timedelta(minutes=20),
        queue_entered_at=now - timedelta(minutes=20),
        wait_seconds=30.0,
        ended_at=now - timedelta(minutes=19),
    )
    insert_call(services, state="queued", started_at=yesterday, queue_entered_at=yesterday)
    # Tickets: two by phone in HQ, one on the web in WB, one dispatched to ZJ and overdue.
    api.create("op", division="HQ")
    api.create("op", division="HQ")
    late = api.create("op", division="WB", channel="web")
    api.act("disp", late["id"], "dispatch", {"department": "ZJ"})
    with services.unit() as (session, _):
        ticket = session.get(Ticket, late["id"])
        assert ticket is not None
        ticket.sign_due = now - timedelta(hours=1)
    old = api.create("op", division="HQ")
    with services.unit() as (session, _):
        ticket = session.get(Ticket, old["id"])
        assert ticket is not None
        ticket.created_at = yesterday  # yesterday's ticket: not today's

    board = api.get("sup", "/api/wallboard").json()

    assert board["day"] == now.date().isoformat()
    assert board["queue"] == {"waiting": 2, "longest_wait_seconds": 40}
    calls = board["calls"]
    assert (calls["offered"], calls["answered"], calls["abandoned"]) == (4, 1, 1)
    assert calls["service_level_15s"] == 0.25 and calls["standard"] == 0.95
    assert calls == {
        **api.get("sup", "/api/stats/calls", start=board["day"], end=board["day"]).json()["totals"],
        "standard": 0.95,
        "answer_within_seconds": 15,
    }
    assert {e["code"]: e["count"] for e in board["emergencies"]} == {
        "110": 0,
        "119": 1,
        "120": 0,
        "122": 0,
    }
    tickets = board["tickets"]
    assert tickets["total"] == 3
    assert {c["channel"]: c["count"] for c in tickets["by_channel"] if c["count"]} == {
        "phone": 2,
        "web": 1,
    }
    assert {c["status"]: c["count"] for c in tickets["by_status"]} == {
        "registered": 2,
        "dispatched": 1,
    }
    by_division = {d["code"]: d["count"] for d in tickets["by_division"]}
    assert by_division["HQ"] == 2 and by_division["WB"] == 1 and sum(by_division.values()) == 3
    deadlines = board["deadlines"]
    assert (deadlines["overdue"], deadlines["due_soon"]) == (1, 0)
    assert [(d["code"], d["overdue"]) for d in deadlines["worst_departments"]] == [("ZJ", 1)]
    assert deadlines["overdue"] == len(api.get("sup", "/api/stats/overdue").json())
    # No bridge in this process: every operator is 离线.
    agents = board["agents"]
    assert agents["telephony"] is False
    assert agents["offline"] == len(agents["people"]) and agents["idle"] == 0
    # Figures only: nobody's phone number is in the summary.
    assert "13812345678" not in str(board) and "13900000020" not in str(board)


def test_only_the_centres_supervisors_and_admins_see_it(api: Api, client: TestClient) -> None:
    assert api.get("adm", "/api/wallboard").status_code == 200
    for user in ("op", "disp", "zj"):
        reply = api.get(user, "/api/wallboard")
        assert reply.status_code == 403 and reply.json()["code"] == "forbidden"
        assert api.get(user, "/api/wallboard/stream").status_code == 403
    reply = client.get("/api/wallboard")
    assert reply.status_code == 401 and reply.json()["message"]
    assert client.get("/api/wallboard/stream").status_code == 401
    elsewhere = client.get("/wallboard", headers=api.headers("op"), follow_redirects=False)
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/console"
    shown = client.get("/wallboard", headers=api.headers("sup"))
    assert shown.status_code == 200 and "热线运行大屏" in shown.text
    page = client.get("/wallboard", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/wallboard"


def test_a_kiosk_token_opens_the_wallboard_read_only_until_revoked(
    services: Services, api: Api, client: TestClient
) -> None:
    refused = api.post("sup", "/api/wallboard/kiosk-tokens", {"name": "大厅大屏"})
    assert refused.status_code == 403
    for name in ("", "   ", "大" * 65):
        reply = api.post("adm", "/api/wallboard/kiosk-tokens", {"name": name})
        assert reply.status_code == 422 and reply.json()["field"] == "name", reply.text
    issued = api.post("adm", "/api/wallboard/kiosk-tokens", {"name": "大厅大屏"})
    assert issued.status_code == 201, issued.text
    token, token_id = issued.json()["token"], issued.json()["id"]
    assert issued.json()["url"] == f"/wallboard?kiosk={token}"
    listed = api.get("adm", "/api/wallboard/kiosk-tokens").json()["items"]
    assert [k["name"] for k in listed] == ["大厅大屏"] and "token" not in listed[0]

    display = TestClient(client.app)
    opened = display.get(f"/wallboard?kiosk={token}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/wallboard"
    assert display.get("/wallboard").status_code == 200
    assert display.get("/api/wallboard").status_code == 200
    # Read-only: the kiosk cookie opens the wallboard and nothing else.
    assert display.get("/api/tickets").status_code == 401
    assert display.get("/api/agents").status_code == 401
    assert display.post("/api/tickets", json={"content": "x"}).status_code == 401
    assert display.post("/api/wallboard/kiosk-tokens", json={"name": "x"}).status_code == 401

    assert (
        api.client.delete(
            f"/api/wallboard/kiosk-tokens/{token_id}", headers=api.headers("adm")
        ).status_code
        == 200
    )
    reply = display.get("/api/wallboard")
    assert reply.status_code == 401 and "停用" in reply.json()["message"]
    assert display.get("/wallboard", follow_redirects=False).status_code == 303
    assert display.get(f"/wallboard?kiosk={token}").status_code == 401
    assert (
        client.delete("/api/wallboard/kiosk-tokens/999999", headers=api.headers("adm")).status_code
        == 404
    )

    with services.sessions() as session:
        trail = session.scalars(
            select(AuditRecord.action).where(AuditRecord.entity == "kiosk_token")
        ).all()
    assert sorted(trail) == ["kiosk_token.issued", "kiosk_token.opened", "kiosk_token.revoked"]


def test_a_revoked_kiosk_tokens_live_stream_ends_at_once(api: Api, client: TestClient) -> None:
    issued = api.post("adm", "/api/wallboard/kiosk-tokens", {"name": "走廊大屏"}).json()
    display = TestClient(client.app)
    display.get(issued["url"], follow_redirects=False)
    with display.stream("GET", "/api/wallboard/stream") as stream:
        lines = (line for line in stream.iter_lines() if line)
        assert next(lines) == ": connected"
        api.create("op")
        # Only the type of the change: nothing of the ticket reaches the wall display.
        assert [next(lines), next(lines)] == ["event: changed", 'data: {"type": "ticket.created"}']
        revoked = client.delete(
            f"/api/wallboard/kiosk-tokens/{issued['id']}", headers=api.headers("adm")
        )
        assert revoked.status_code == 200
        rest: list[str] = []
        reader = threading.Thread(target=lambda: rest.extend(lines), daemon=True)
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), f"the stream goes on after the revocation: {rest}"
    assert rest == ["event: revoked", "data: {}"]


def test_revoking_a_kiosk_token_id_past_the_column_is_a_422(api: Api) -> None:
    """PostgreSQL answered 2³¹ with "integer out of range" (a 500); the id is bounded first."""
    issued = api.post("adm", "/api/wallboard/kiosk-tokens", {"name": "三楼大屏"}).json()
    for huge in (2**31, 2**63):
        reply = api.client.delete(f"/api/wallboard/kiosk-tokens/{huge}", headers=api.headers("adm"))
        assert reply.status_code == 422, reply.text
        assert reply.json()["code"] == "invalid_input" and reply.json()["message"]
    listed = api.get("adm", "/api/wallboard/kiosk-tokens").json()["items"]
    assert next(k for k in listed if k["id"] == issued["id"])["revoked_at"] is None
