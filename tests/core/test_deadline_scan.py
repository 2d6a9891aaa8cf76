"""The periodic scan: yellow and red once each, with an automatic 催办 on red."""

from __future__ import annotations

from datetime import datetime

from hotline.app import run_deadline_scan
from hotline.events import Event
from hotline.services import Services
from tests.app_fixtures import Api, Clock


def test_flags_turn_once_and_overdue_tickets_are_reminded(
    api: Api, services: Services, clock: Clock, events: list[Event]
) -> None:
    tid = api.create()["id"]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})  # sign due Tue 23:59:59
    assert run_deadline_scan(services) == 0

    clock.now = datetime(2026, 11, 24, 18, 0)  # past 75% of the signing window
    assert run_deadline_scan(services) == 1
    assert api.get("disp", f"/api/tickets/{tid}").json()["sla_flag"] == "yellow"
    assert run_deadline_scan(services) == 0  # reported once

    clock.now = datetime(2026, 11, 25, 8, 0)
    run_deadline_scan(services)
    ticket = api.get("disp", f"/api/tickets/{tid}").json()
    assert ticket["sla_flag"] == "red"
    assert [s["kind"] for s in ticket["supervisions"]] == ["remind"]
    kinds = [e.type for e in events if e.payload.get("ticket_id") == tid]
    assert kinds.count("ticket.due_soon") == 1 and kinds.count("ticket.overdue") == 1
    assert "ticket.reminded" in kinds
    overdue = api.get("sup", "/api/tickets", overdue="true").json()["items"]
    assert [t["id"] for t in overdue] == [tid]

    api.act("zj", tid, "accept")  # the reply clock starts green
    assert api.get("disp", f"/api/tickets/{tid}").json()["sla_flag"] == "green"
