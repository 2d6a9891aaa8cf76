"""Simulator (real TCP AMI) → the app's bridge → calls table and bus → the calls API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hotline.events import Event
from tests.app_fixtures import Api
from tests.calls.conftest import Switchboard, call_of, eventually, settled_call


def _kinds(events: list[Event], linkedid: str) -> list[str]:
    return [e.type for e in events if e.payload.get("linkedid") == linkedid]


def test_a_queue_call_is_listed_while_talking_and_after_it_ends(
    bridged: Api, switchboard: Switchboard, events: list[Event]
) -> None:
    switchboard.play("queue_call", "13900000001", stop_before="AgentComplete")
    call = eventually(lambda: call_of(bridged, "13900000001", "answered"))
    assert call["answered_by"] == "8001" and call["operator"] == "op"
    assert 0 < call["wait_seconds"] < 1  # queue entry → the softphone's answer
    assert call["queue"] == "12345" and call["ended_at"] is None
    assert call["linkedid"].endswith(".1") and call["started_at"]

    switchboard.hang_up(call["linkedid"])
    ended = eventually(lambda: call_of(bridged, "13900000001", "ended"))
    assert ended["id"] == call["id"] and ended["ended_at"] >= ended["started_at"]
    assert ended["hangup_cause"] == "Normal Clearing" and ended["transfers"] == []
    kinds = _kinds(events, call["linkedid"])
    assert kinds[0] == "call.ringing" and kinds.count("call.ended") == 1
    assert "call.answered" in kinds
    published = next(e for e in events if e.type == "call.ended")
    assert published.payload["call_id"] == call["id"]
    # Newest first, and the state filter.
    switchboard.play("abandoned_call", "13900000009")
    eventually(lambda: call_of(bridged, "13900000009", "abandoned"))
    listed = bridged.get("sup", "/api/calls").json()
    assert [c["caller"] for c in listed["items"]] == ["139****0009", "139****0001"]
    answered = bridged.get("op", "/api/calls", state="ended").json()
    assert answered["total"] == 1 and answered["items"][0]["id"] == call["id"]
    assert bridged.get("op", "/api/calls", operator="op").json()["total"] == 1


def test_an_abandoned_call(bridged: Api, switchboard: Switchboard, events: list[Event]) -> None:
    switchboard.play("abandoned_call", "13900000002")
    call = eventually(lambda: call_of(bridged, "13900000002", "abandoned"))
    assert call["answered_by"] is None and call["operator"] is None
    assert call["wait_seconds"] is not None and call["wait_seconds"] >= 0
    assert call["ended_at"] is not None
    assert _kinds(events, call["linkedid"]).count("call.abandoned") == 1


def test_transfer_to_119_is_recorded_on_the_call_and_its_ticket(
    bridged: Api, switchboard: Switchboard
) -> None:
    switchboard.play("queue_call", "13900000003", stop_before="AgentComplete")
    call = eventually(lambda: call_of(bridged, "13900000003", "answered"))
    ticket = bridged.create("op", citizen_phone="13900000003", call_id=call["id"])

    reply = bridged.post("op", f"/api/calls/{call['id']}/transfer", {"target": "119"})
    assert reply.status_code == 202, reply.text
    assert reply.json()["transfer"]["result"] == "pending"
    assert reply.json()["dialled"] == "119"

    done = eventually(lambda: settled_call(bridged, "13900000003"))
    assert done["transfers"] == [
        {
            "target": "119",
            "mode": "blind",
            "result": "success",
            "requested_at": done["transfers"][0]["requested_at"],
        }
    ]
    assert done["tickets"] == [ticket["id"]]
    history = bridged.get("op", f"/api/tickets/{ticket['id']}").json()["history"]
    transfers = [row for row in history if row["action"] == "transfer"]
    assert len(transfers) == 1
    assert transfers[0]["data"]["target"] == "119" and transfers[0]["data"]["result"] == "success"
    assert transfers[0]["from"] == transfers[0]["to"] == ticket["status"]

    switchboard.hang_up(call["linkedid"])
    ended = eventually(lambda: call_of(bridged, "13900000003", "ended"))
    assert len(ended["transfers"]) == 1


@pytest.mark.parametrize(
    ("target", "mode", "answer", "result"),
    [("110", "attended", "ANSWER", "success"), ("120", "blind", "BUSY", "busy")],
)
def test_transfer_outcomes_followed_from_the_events(
    bridged: Api, switchboard: Switchboard, target: str, mode: str, answer: str, result: str
) -> None:
    switchboard.sim.transfer_outcomes[target] = answer
    switchboard.play("queue_call", "13900000004", stop_before="AgentComplete")
    call = eventually(lambda: call_of(bridged, "13900000004", "answered"))
    reply = bridged.post(
        "op", f"/api/calls/{call['id']}/transfer", {"target": target, "mode": mode}
    )
    assert reply.status_code == 202, reply.text
    settled = eventually(lambda: settled_call(bridged, "13900000004"))
    assert [(t["target"], t["mode"], t["result"]) for t in settled["transfers"]] == [
        (target, mode, result)
    ]
    # A ticket filed after the transfer carries it in its history too.
    ticket = bridged.create("op", citizen_phone="13900000004", call_id=call["id"])
    history = bridged.get("op", f"/api/tickets/{ticket['id']}").json()["history"]
    assert [row["data"]["result"] for row in history if row["action"] == "transfer"] == [result]


def test_transfer_refusals(bridged: Api, switchboard: Switchboard) -> None:
    switchboard.play("queue_call", "13900000005", stop_before="AgentCalled")
    queued = eventually(lambda: call_of(bridged, "13900000005", "queued"))
    reply = bridged.post("op", f"/api/calls/{queued['id']}/transfer", {"target": "119"})
    assert reply.status_code == 409 and reply.json()["code"] == "no_operator_on_call"

    switchboard.play("queue_call", "13900000006")
    ended = eventually(lambda: call_of(bridged, "13900000006", "ended"))
    reply = bridged.post("op", f"/api/calls/{ended['id']}/transfer", {"target": "119"})
    assert reply.status_code == 409 and reply.json()["code"] == "call_finished"
    assert "已结束" in reply.json()["message"]

    reply = bridged.post("op", f"/api/calls/{ended['id']}/transfer", {"target": "999"})
    assert reply.status_code == 404 and reply.json()["code"] == "unknown_transfer_target"
    reply = bridged.post("op", "/api/calls/987654/transfer", {"target": "119"})
    assert reply.status_code == 404
    reply = bridged.post("op", f"/api/calls/{ended['id']}/transfer", {"target": "119", "mode": "x"})
    assert reply.status_code == 422 and reply.json()["code"] == "invalid_input"
    reply = bridged.post("sup", f"/api/calls/{ended['id']}/transfer", {"target": "119"})
    assert reply.status_code == 403
    assert call_of(bridged, "13900000006")["transfers"] == []  # nothing recorded


def test_the_bridge_survives_a_connection_drop_without_losing_or_duplicating_the_call(
    bridged_client: TestClient, bridged: Api, switchboard: Switchboard, events: list[Event]
) -> None:
    switchboard.play("connection_drop", "13900000007")
    call = eventually(lambda: call_of(bridged, "13900000007", "ended"))
    assert bridged.get("op", "/api/calls", phone="13900000007").json()["total"] == 1
    assert call["operator"] == "op" and call["hangup_cause"] == "Normal Clearing"
    assert 0 < call["wait_seconds"] < 1  # kept from before the drop, not rewritten by resync
    assert _kinds(events, call["linkedid"]).count("call.ended") == 1
    assert _kinds(events, call["linkedid"]).count("call.ringing") == 1
    assert bridged_client.app.state.call_bridge.ami.client.connections == 2


def test_operators_log_in_pause_and_log_out_through_the_queue(
    bridged: Api, switchboard: Switchboard
) -> None:
    members = switchboard.sim.members
    assert bridged.post("op", "/api/agents/me/login").json()["interface"] == "PJSIP/8001"
    assert ("12345", "PJSIP/8001") in members
    reply = bridged.post("op", "/api/agents/me/status", {"paused": True, "reason": "小休"})
    assert reply.status_code == 200 and members[("12345", "PJSIP/8001")].reason == "小休"

    def agent_paused() -> dict | None:  # type: ignore[type-arg]
        agents = bridged.get("sup", "/api/agents").json()["agents"]
        op = next(a for a in agents if a["username"] == "op")
        return op if op["paused"] else None

    op = eventually(agent_paused)
    assert op["logged_in"] is True and op["pause_reason"] == "小休"
    mine = bridged.get("op", "/api/agents/me").json()
    assert mine == {
        "interface": "PJSIP/8001",
        "logged_in": True,
        "paused": True,
        "pause_reason": "小休",
    }
    again = bridged.post("op", "/api/agents/me/login")
    assert again.status_code == 409 and again.json()["code"] == "telephony_refused"
    assert again.json()["message"] == "该分机已在呼叫队列中，无须重复签入"
    assert "Already there" not in again.text  # Asterisk's English stays in the log
    bad = bridged.post("op", "/api/agents/me/status", {"paused": True, "reason": "a\r\nAction: x"})
    assert bad.status_code == 422
    assert bridged.post("op", "/api/agents/me/logout").status_code == 200
    assert ("12345", "PJSIP/8001") not in members
    # 示忙 with the softphone out of the queue: Asterisk's "Interface not found", in Chinese.
    out = bridged.post("op", "/api/agents/me/status", {"paused": True, "reason": "小休"})
    assert out.status_code == 409
    assert out.json()["message"] == "该分机不在呼叫队列中（未签入），请先签入队列"
    assert "Interface" not in out.text
    # An account without a softphone gets a clear answer; its state is simply unknown.
    reply = bridged.post("adm", "/api/agents/me/login")
    assert reply.status_code == 409 and reply.json()["code"] == "no_extension"
    assert bridged.get("adm", "/api/agents/me").json() == {
        "interface": None,
        "logged_in": None,
        "paused": None,
        "pause_reason": None,
    }
