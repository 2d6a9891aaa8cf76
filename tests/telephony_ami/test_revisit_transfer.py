"""The call tracker and a revisit call's 0: skipped while the dialplan talks to the citizen,
an operator's call carrying its ticket from the moment it joins the queue."""

from __future__ import annotations

from telephony.calls import CallEvent, CallTracker, TrackerEvent

LINKEDID = "revisit-20261123-000042-a7"
CALLER = {"Channel": "PJSIP/trunk-0000002a", "Uniqueid": LINKEDID, "Linkedid": LINKEDID}
CALLER |= {"CallerIDNum": "12345", "ConnectedLineNum": "13812345678"}  # Originate's CallerID
OPERATOR = {"Channel": "PJSIP/8001-0000002b", "Uniqueid": f"{LINKEDID}-op", "Linkedid": LINKEDID}
DIALPLAN = [
    {"Event": "Newchannel", **CALLER, "Context": "revisit", "ChannelStateDesc": "Down"},
    {"Event": "UserEvent", **CALLER, "UserEvent": "RevisitOperator"},
    # Set(__HOTLINE_REVISIT_TICKET=…) is reported under the name as written.
    {
        "Event": "VarSet",
        **CALLER,
        "Variable": "__HOTLINE_REVISIT_TICKET",
        "Value": "20261123-000042",
    },
]
QUEUE = [
    {"Event": "QueueCallerJoin", **CALLER, "Queue": "12345", "Position": "1"},
    {"Event": "Newchannel", **OPERATOR, "CallerIDNum": "8001", "ChannelStateDesc": "Down"},
    {"Event": "AgentConnect", **CALLER, "Queue": "12345", "Interface": "PJSIP/8001"},
]
HANGUPS = [{"Event": "Hangup", **OPERATOR}, {"Event": "Hangup", **CALLER}]


def tracked(events: list[dict[str, str]]) -> tuple[CallTracker, list[CallEvent]]:
    seen: list[TrackerEvent] = []
    tracker = CallTracker(seen.append)
    tracker.handle_all(events)
    return tracker, [event for event in seen if isinstance(event, CallEvent)]


def test_a_revisit_call_is_no_call_until_it_joins_the_queue() -> None:
    tracker, seen = tracked(DIALPLAN + HANGUPS[1:])
    assert seen == [] and tracker.calls == {}


def test_from_the_queue_on_it_is_the_answering_operators_call_with_its_ticket() -> None:
    _, seen = tracked(DIALPLAN + QUEUE + HANGUPS)
    assert [event.kind for event in seen] == [
        "call.ringing",
        "call.updated",
        "call.answered",
        "call.ended",
    ]
    assert {event.call.revisit_ticket for event in seen} == {"20261123-000042"}
    ended = seen[-1].call
    assert (ended.queue, ended.answered_by) == ("12345", "8001")
    assert ended.to_dict()["revisit_ticket"] == "20261123-000042"


def test_a_listing_after_a_reconnect_keeps_a_transferred_revisit_call() -> None:
    tracker, _ = tracked(DIALPLAN + QUEUE)
    tracker.begin_resync()
    for channel in (CALLER, OPERATOR):
        tracker.handle({"Event": "CoreShowChannel", **channel, "ChannelStateDesc": "Up"})
    tracker.end_resync()
    assert tracker.calls[LINKEDID].revisit_ticket == "20261123-000042"
