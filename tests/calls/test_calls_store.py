"""The call sink's idempotency, caller history, service-level figures and the no-bridge case,
on SQLite and PostgreSQL (no switchboard needed: the tracker is fed the scenario offline)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.audit.models import AuditRecord
from hotline.calls import service
from hotline.calls.models import Call
from hotline.calls.runner import CallRecorder
from hotline.events import Event
from hotline.events.core import SHANGHAI
from hotline.services import Services
from hotline.tickets.models import TicketAction
from telephony.calls import CallEvent, CallSnapshot, CallTracker, TrackerEvent
from telephony.sim import load_scenario
from tests.app_fixtures import Api, Clock


def scenario_events(
    name: str, call_id: str = "1700000000.1", start: float = 1_795_000_000.0
) -> list[dict[str, str]]:
    """A scenario's AMI events as Asterisk would send them, timestamped from ``start``."""
    values = {"id": call_id, "caller": "13900000010"}
    at = start
    events = []
    for step in load_scenario(name)["steps"]:
        at += float(step.get("delay", 0))
        if "event" in step:
            event = {k: str(v).format_map(values) for k, v in step["event"].items()}
            events.append({**event, "Timestamp": f"{at:.6f}"})
    return events


def tracked(events: list[dict[str, str]]) -> list[TrackerEvent]:
    seen: list[TrackerEvent] = []
    CallTracker(seen.append).handle_all(events)
    return seen


def insert_call(services: Services, **fields: Any) -> int:
    values: dict[str, Any] = {
        "linkedid": f"{time.monotonic_ns()}.1",
        "caller": "13900000020",
        "state": "ended",
        "transfers": [],
        "priority": False,
    }
    values.update(fields)
    with services.unit() as (session, _):
        call = Call(**values)
        session.add(call)
        session.flush()
        return call.id


def test_the_sink_is_idempotent_on_replay(
    services: Services,
    api: Api,
    events: list[Event],
    operator_extension: str,
) -> None:
    recorder = CallRecorder(services)
    live = tracked(scenario_events("transfer_119"))
    call_events = [e for e in live if isinstance(e, CallEvent)]
    # The ticket is filed while the caller is still being transferred.
    first_answer = next(i for i, e in enumerate(call_events) if e.kind == "call.answered")
    for event in call_events[: first_answer + 1]:
        recorder.store(event)
    with services.sessions() as session:
        call_id = session.scalar(select(Call.id))
    ticket = api.create("op", citizen_phone="13900000010", call_id=call_id)
    for event in call_events[first_answer + 1 :]:
        recorder.store(event)
    published = len(events)

    # The same events again, then a fresh tracker replaying the whole feed (a restarted bridge).
    for event in [*call_events, *tracked(scenario_events("transfer_119"))]:
        recorder.store(event)

    assert len(events) == published  # a replay publishes nothing
    with services.sessions() as session:
        calls = list(session.scalars(select(Call)))
        transfer_rows = session.scalars(
            select(TicketAction).where(TicketAction.action == "transfer")
        ).all()
    assert len(calls) == 1
    call = calls[0]
    assert (call.state, call.operator, call.answered_by) == ("ended", "op", "8001")
    assert [(t["target"], t["mode"], t["result"]) for t in call.transfers] == [
        ("119", "blind", "success")
    ]
    assert [(row.ticket_id, row.data["result"]) for row in transfer_rows] == [
        (ticket["id"], "success")
    ]
    kinds = [e.type for e in events]
    assert kinds.count("call.ringing") == 1 and kinds.count("call.ended") == 1
    assert kinds.count("call.transferred") >= 1
    recorder.close()


def test_a_late_snapshot_never_reopens_a_call(services: Services) -> None:
    recorder = CallRecorder(services)
    call_events = [e for e in tracked(scenario_events("queue_call")) if isinstance(e, CallEvent)]
    for event in reversed(call_events):  # the end first, then the older news
        recorder.store(event)
    with services.sessions() as session:
        call = session.scalars(select(Call)).one()
    assert call.state == "ended" and call.answered_at is not None and call.ended_at is not None
    recorder.close()


def test_consultation_legs_are_not_calls(services: Services) -> None:
    recorder = CallRecorder(services)
    ringing = next(e for e in tracked(scenario_events("queue_call")) if isinstance(e, CallEvent))
    consultation = replace(ringing.call, consultation_for="someone-else.1")
    recorder.store(CallEvent("call.ringing", consultation))
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 0
    recorder.close()


def test_a_ticket_with_an_unknown_call_is_refused_whole(api: Api) -> None:
    body = {"content": "路灯不亮", "citizen_phone": "13900000011", "type": "求助", "call_id": 99999}
    reply = api.post("op", "/api/tickets", body)
    assert reply.status_code == 422 and reply.json()["code"] == "invalid_input"
    assert reply.json()["field"] == "call_id" and "99999" in reply.json()["message"]
    assert api.get("op", "/api/tickets", phone="13900000011").json()["total"] == 0


def test_no_bridge_means_503_with_a_clear_message(services: Services, api: Api) -> None:
    call_id = insert_call(
        services,
        state="answered",
        started_at=datetime(2026, 11, 23, 9),
        answered_at=datetime(2026, 11, 23, 9, 0, 5),
    )
    reply = api.post("op", f"/api/calls/{call_id}/transfer", {"target": "119"})
    assert reply.status_code == 503
    assert reply.json()["code"] == "telephony_not_configured"
    assert "HOTLINE_AMI_URL" in reply.json()["message"]
    reply = api.post("op", "/api/agents/me/status", {"paused": True, "reason": "午休"})
    assert reply.status_code == 503
    agents = api.get("sup", "/api/agents").json()
    assert agents["telephony"] is False and agents["connected"] is False


def test_caller_history_and_the_repeat_flag(services: Services, api: Api, clock: Clock) -> None:
    phone = "13900000012"
    reply = api.get("op", "/api/calls/history", phone=phone).json()
    assert reply == {"phone": phone, "days": 30, "repeat_caller": False, "calls": [], "tickets": []}

    first = insert_call(services, caller=phone, started_at=clock.now - timedelta(minutes=5))
    reply = api.get("op", "/api/calls/history", phone=phone).json()
    assert [c["id"] for c in reply["calls"]] == [first] and reply["repeat_caller"] is False
    ticket = api.create("op", citizen_phone=phone, call_id=first)
    # The ticket came from the call in progress: still a first contact.
    assert api.get("op", "/api/calls/history", phone=phone).json()["repeat_caller"] is False

    # The trunk presents the next call with a trunk 0: the sink stores the citizen's form.
    with services.unit() as (session, _):
        service.store_snapshot(
            session,
            CallSnapshot(
                linkedid="1795000100.1",
                caller_number=f"0{phone}",
                state="ended",
                started_at=(clock.now - timedelta(minutes=1)).replace(tzinfo=SHANGHAI).timestamp(),
            ),
        )
    insert_call(services, caller=phone, started_at=clock.now - timedelta(days=31))  # too old
    reply = api.get("op", "/api/calls/history", phone=f"+86{phone}").json()
    assert reply["repeat_caller"] is True and len(reply["calls"]) == 2
    assert [t["id"] for t in reply["tickets"]] == [ticket["id"]]
    assert reply["calls"][1]["tickets"] == [ticket["id"]]

    assert api.get("op", "/api/calls/history", phone="12").status_code == 422
    assert api.get("op", "/api/calls/history").status_code == 422
    assert api.get("zj", "/api/calls/history", phone=phone).status_code == 403


@pytest.mark.parametrize(
    "query", [{"state": "talking"}, {"start": "2026-11-30", "end": "2026-11-01"}]
)
def test_bad_call_list_filters_are_explained(api: Api, query: dict[str, str]) -> None:
    reply = api.get("sup", "/api/calls", **query)
    assert reply.status_code == 422 and reply.json()["message"]


def test_service_level_figures_on_a_known_set_of_calls(services: Services, api: Api) -> None:
    day = datetime(2026, 11, 23)

    def call(hour: int, wait: float | None, talk: float | None, operator: str | None) -> None:
        started = day.replace(hour=hour)
        queued = started + timedelta(seconds=10)
        answered = (
            queued + timedelta(seconds=wait) if talk is not None and wait is not None else None
        )
        insert_call(
            services,
            state="ended" if answered else "abandoned",
            started_at=started,
            queue_entered_at=queued,
            answered_at=answered,
            wait_seconds=wait,
            ended_at=(answered + timedelta(seconds=talk)) if answered and talk else queued,
            operator=operator,
            answered_by="8001" if operator else None,
        )

    call(9, 5, 100, "op")  # answered in 5 s, 100 s of talk
    call(9, 15, 200, "op")  # exactly 15 s still counts
    call(9, 20, 300, "op2")  # too slow
    call(10, 30, None, None)  # abandoned after 30 s
    insert_call(  # hung up in the greeting: never asked for a person, so not counted
        services, state="abandoned", started_at=day.replace(hour=10), ended_at=day.replace(hour=10)
    )
    insert_call(services, started_at=day + timedelta(days=3))  # outside the period

    figures = api.get("sup", "/api/stats/calls", start="2026-11-23", end="2026-11-24").json()
    totals = figures["totals"]
    assert totals == {
        "offered": 4,
        "answered": 3,
        "answered_within_15s": 2,
        "abandoned": 1,
        "service_level_15s": 0.5,
        "meets_standard": False,
        "abandonment_rate": 0.25,
        "avg_wait_seconds": 17.5,
        "avg_handle_seconds": 200.0,
    }
    assert [(h["hour"], h["offered"], h["answered_within_15s"]) for h in figures["by_hour"]] == [
        (9, 3, 2),
        (10, 1, 0),
    ]
    assert [(d["day"], d["offered"]) for d in figures["by_day"]] == [("2026-11-23", 4)]
    operators = {o["operator"]: o for o in figures["by_operator"]}
    assert (
        operators["op"]["share_within_15s"] == 1.0 and operators["op"]["avg_handle_seconds"] == 150
    )
    assert operators["op2"]["share_within_15s"] == 0.0 and operators["op2"]["answered"] == 1

    empty = api.get("sup", "/api/stats/calls", start="2026-01-01", end="2026-01-02").json()
    assert empty["totals"]["service_level_15s"] is None and empty["by_hour"] == []
    assert api.get("op", "/api/stats/calls").status_code == 403
    bad = api.get("sup", "/api/stats/calls", start="2026-11-24", end="2026-11-23")
    assert bad.status_code == 422


def test_only_the_operator_who_answered_reads_the_full_number_and_the_read_is_audited(
    services: Services, api: Api, operator_extension: str
) -> None:
    started = datetime(2026, 11, 27, 9, 0)
    mine = insert_call(
        services,
        caller="18512341292",
        state="answered",
        started_at=started,
        answered_by=operator_extension,
        operator="op",
    )
    colleagues = insert_call(
        services,
        caller="18599990000",
        state="answered",
        started_at=started,
        answered_by="8002",
        operator=None,
    )
    # Lists and the call itself show every caller masked, to operators too.
    listed = api.get("op", "/api/calls").json()["items"]
    assert {c["caller"] for c in listed} == {"185****1292", "185****0000"}
    assert api.get("op", f"/api/calls/{mine}").json()["caller"] == "185****1292"

    reply = api.get("op", f"/api/calls/{mine}/caller")
    assert reply.status_code == 200 and reply.json() == {"call_id": mine, "caller": "18512341292"}
    assert (
        api.post(
            "op",
            "/api/tickets",
            {
                "content": "来电反映路灯不亮",
                "citizen_phone": reply.json()["caller"],
                "type": "投诉",
                "call_id": mine,
            },
        ).status_code
        == 201
    )
    with services.sessions() as session:
        reads = session.scalars(
            select(AuditRecord).where(
                AuditRecord.entity == "call", AuditRecord.entity_id == str(mine)
            )
        ).all()
        assert [(r.actor, r.action) for r in reads] == [("op", "read_personal_data")]

    refused = api.get("op", f"/api/calls/{colleagues}/caller")
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_call"
    assert "1859999" not in refused.text
    assert api.get("sup", f"/api/calls/{mine}/caller").status_code == 403
    assert api.get("adm", f"/api/calls/{colleagues}/caller").json()["caller"] == "18599990000"
    assert api.get("op", "/api/calls/999999/caller").status_code == 404
