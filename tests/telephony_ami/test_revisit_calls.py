"""The revisit call's sans-I/O side: Originate fields, events → one outcome per attempt."""

from __future__ import annotations

import pytest

from telephony.revisit import (
    RevisitCalls,
    RevisitOutcome,
    RevisitRequest,
    RevisitSettings,
    originate_fields,
)
from telephony.sim.citizens import CITIZENS, dialplan_reports

TICKET = "20261127-000123"


def request(attempt: str = "t1-a1", phone: str = "13800138000") -> RevisitRequest:
    return RevisitRequest(TICKET, phone, attempt)


def started(*requests: RevisitRequest) -> RevisitCalls:
    calls = RevisitCalls()
    for number, one in enumerate(requests):
        calls.begin(one, f"act-{number}")
    return calls


def user_event(name: str, attempt: str = "t1-a1", **fields: str) -> dict[str, str]:
    return {"Event": "UserEvent", "UserEvent": name, "Ticket": TICKET, "Attempt": attempt, **fields}


def answered(action_id: str = "act-0", uniqueid: str = "revisit-t1-a1") -> dict[str, str]:
    return {
        "Event": "OriginateResponse",
        "ActionID": action_id,
        "Response": "Success",
        "Reason": "4",
        "Uniqueid": uniqueid,
    }


def test_originate_fields_carry_the_attempt_into_the_revisit_context() -> None:
    fields = originate_fields(
        RevisitRequest(TICKET, "+8613800138000", "t1-a1", "revisit/tickets/123"),
        RevisitSettings(ring_seconds=25, max_call_seconds=240),
    )
    assert fields["Channel"] == "PJSIP/+8613800138000@trunk"
    assert (fields["Context"], fields["Exten"], fields["Priority"]) == ("revisit", "s", "1")
    assert fields["Async"] == "true" and fields["Timeout"] == "25000"
    assert fields["ChannelId"] == "revisit-t1-a1"
    assert fields["Variable"] == [
        f"TICKET={TICKET}",
        "ATTEMPT=t1-a1",
        "REVISIT_MAX_SECONDS=240",
        "REVISIT_SUMMARY=revisit/tickets/123",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "138 0013 8000"),
        ("phone", "13800138000&PJSIP/110"),
        ("attempt_id", "a,b"),
        ("ticket_no", "x\r\nAction: Hangup"),
        ("summary_prompt", "../../etc/passwd"),
    ],
)
def test_values_that_would_change_the_dial_string_or_variables_are_refused(
    field: str, value: str
) -> None:
    values = {"ticket_no": TICKET, "phone": "13800138000", "attempt_id": "a1"} | {field: value}
    with pytest.raises(ValueError):
        RevisitRequest(**values)


def test_keys_make_a_rated_outcome_and_nothing_after_it() -> None:
    calls = started(request())
    assert calls.handle(answered()) is None
    assert calls.handle(user_event("RevisitAnswered")) is None
    outcome = calls.handle(user_event("RevisitKeys", Satisfaction="4", Solved="2"))
    assert outcome == RevisitOutcome(
        "t1-a1", TICKET, "rated", satisfaction=4, solved=False, step="done"
    )
    assert outcome.satisfaction_label == "不满意" and not outcome.retryable
    # The h extension's report and the channel's Hangup come after: no second outcome.
    assert calls.handle(user_event("RevisitEnd", Step="done", Satisfaction="4")) is None
    assert calls.handle({"Event": "Hangup", "Uniqueid": "revisit-t1-a1"}) is None
    assert calls.in_progress == frozenset()


@pytest.mark.parametrize(
    ("reason", "kind"),
    [("0", "failed"), ("1", "rejected"), ("3", "no_answer"), ("5", "busy"), ("8", "failed")],
)
def test_originate_failure_reasons(reason: str, kind: str) -> None:
    calls = started(request())
    # Asterisk hangs the unanswered channel up before it reports the failure.
    assert calls.handle({"Event": "Hangup", "Uniqueid": "revisit-t1-a1", "Cause": "17"}) is None
    failure = {"Event": "OriginateResponse", "ActionID": "act-0", "Response": "Failure"}
    outcome = calls.handle(failure | {"Reason": reason})
    assert outcome is not None and outcome.kind == kind and outcome.reason == int(reason)
    assert not outcome.answered and outcome.retryable


def test_user_events_may_come_before_the_originate_response() -> None:
    calls = started(request())
    outcome = calls.handle(user_event("RevisitOperator", Satisfaction="5"))
    assert outcome is not None and (outcome.kind, outcome.satisfaction) == ("operator", 5)
    assert calls.handle(answered()) is None


@pytest.mark.parametrize(
    ("event", "kind", "step", "satisfaction"),
    [
        (
            user_event("RevisitEnd", Step="satisfaction", Satisfaction=""),
            "hung_up",
            "satisfaction",
            None,
        ),
        (user_event("RevisitEnd", Step="solved", Satisfaction="2"), "hung_up", "solved", 2),
        (
            user_event("RevisitInvalid", Step="solved", Keys="9-7", Satisfaction="3"),
            "invalid_keys",
            "solved",
            3,
        ),
        ({"Event": "Hangup", "Uniqueid": "revisit-t1-a1"}, "hung_up", None, None),
    ],
)
def test_answered_calls_that_end_without_a_rating(
    event: dict[str, str], kind: str, step: str | None, satisfaction: int | None
) -> None:
    calls = started(request())
    calls.handle(answered())
    outcome = calls.handle(event)
    assert outcome is not None
    assert (outcome.kind, outcome.step, outcome.satisfaction) == (kind, step, satisfaction)
    assert outcome.answered and outcome.retryable and outcome.solved is None


def test_events_of_other_attempts_tickets_and_dialplans_are_ignored() -> None:
    calls = started(request())
    assert (
        calls.handle(user_event("RevisitKeys", attempt="other", Satisfaction="1", Solved="1"))
        is None
    )
    wrong_ticket = user_event("RevisitKeys", Satisfaction="1", Solved="1") | {"Ticket": "x"}
    assert calls.handle(wrong_ticket) is None
    assert calls.handle(user_event("SomethingElse")) is None
    assert (
        calls.handle({"Event": "OriginateResponse", "ActionID": "nope", "Response": "Failure"})
        is None
    )
    assert calls.handle({"Event": "Hangup", "Uniqueid": "revisit-other"}) is None
    assert calls.in_progress == {"t1-a1"}


def test_a_malformed_rating_is_unknown_not_a_made_up_rating() -> None:
    calls = started(request())
    outcome = calls.handle(user_event("RevisitKeys", Satisfaction="7", Solved="1"))
    assert outcome is not None and outcome.kind == "unknown" and outcome.satisfaction is None


def test_two_attempts_are_told_apart_by_action_id_and_attempt() -> None:
    first, second = request("t1-a1", "13800000001"), request("t2-a1", "13800000002")
    calls = started(first, second)
    busy = calls.handle(
        {"Event": "OriginateResponse", "ActionID": "act-1", "Response": "Failure", "Reason": "5"}
    )
    rated = calls.handle(user_event("RevisitKeys", Satisfaction="1", Solved="1"))
    assert busy is not None and (busy.attempt_id, busy.kind) == ("t2-a1", "busy")
    assert rated is not None and (rated.attempt_id, rated.kind) == ("t1-a1", "rated")


def test_an_attempt_in_progress_cannot_be_started_twice() -> None:
    calls = started(request())
    with pytest.raises(ValueError):
        calls.begin(request(), "act-9")


def test_connection_lost_settles_every_attempt_once_as_unknown() -> None:
    calls = started(request("t1-a1"), request("t2-a1"))
    calls.handle(answered())
    lost = calls.connection_lost()
    assert sorted((o.attempt_id, o.kind) for o in lost) == [
        ("t1-a1", "unknown"),
        ("t2-a1", "unknown"),
    ]
    # What the call reports once the connection is back is not a second outcome.
    assert calls.handle(user_event("RevisitKeys", Satisfaction="1", Solved="1")) is None
    assert calls.connection_lost() == []


def test_refused_and_given_up_attempts() -> None:
    calls = started(request("t1-a1"), request("t2-a1"))
    refused = calls.refused("t1-a1", "Extension does not exist.")
    assert refused is not None and refused.kind == "failed" and "does not exist" in refused.detail
    timed_out = calls.give_up("t2-a1", "no outcome in time")
    assert timed_out is not None and timed_out.kind == "unknown"
    assert calls.give_up("t2-a1", "again") is None


@pytest.mark.parametrize(
    ("keys", "last_two"),
    [
        ("11", [("RevisitKeys", "1", "1"), ("RevisitEnd", "done", "1")]),
        ("*42", [("RevisitKeys", "4", "2"), ("RevisitEnd", "done", "4")]),
        ("3*2", [("RevisitKeys", "3", "2"), ("RevisitEnd", "done", "3")]),
        ("0", [("RevisitOperator", "", ""), ("RevisitEnd", "operator", "")]),
        ("50", [("RevisitOperator", "5", ""), ("RevisitEnd", "operator", "5")]),
        ("9-7", [("RevisitInvalid", "satisfaction", "9-7"), ("RevisitEnd", "invalid", "")]),
        ("19*7", [("RevisitAnswered", "", ""), ("RevisitEnd", "solved", "1")]),
        ("", [("RevisitAnswered", "", ""), ("RevisitEnd", "satisfaction", "")]),
    ],
)
def test_the_simulated_dialplan_walks_keys_like_the_revisit_context(
    keys: str, last_two: list[tuple[str, str, str]]
) -> None:
    def summary(report: dict[str, str]) -> tuple[str, str, str]:
        name = report["UserEvent"]
        if name == "RevisitKeys":
            return name, report["Satisfaction"], report["Solved"]
        if name == "RevisitInvalid":
            return name, report["Step"], report["Keys"]
        if name == "RevisitOperator":
            return name, report["Satisfaction"], ""
        if name == "RevisitEnd":
            return name, report["Step"], report["Satisfaction"]
        return name, "", ""

    reports = dialplan_reports(keys)
    assert reports[0]["UserEvent"] == "RevisitAnswered"
    assert [summary(report) for report in reports[-2:]] == last_two


def test_every_scripted_citizen_ends_with_the_hangup_report() -> None:
    for citizen in CITIZENS.values():
        if citizen.answers == "answer":
            assert dialplan_reports(citizen.keys)[-1]["UserEvent"] == "RevisitEnd"
