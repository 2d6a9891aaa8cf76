"""Revisit calls followed from AMI events, without I/O (the dialer is the asyncio shell).

One attempt is one async ``Originate``: its ActionID ties the ``OriginateResponse`` to it,
its ``ChannelId`` (the channel's Uniqueid) ties the channel's ``Hangup`` to it, and the
``ATTEMPT`` channel variable comes back in every ``UserEvent`` the ``[revisit]`` dialplan
sends. Whatever arrives, in whatever order, an attempt yields exactly one outcome: it is
forgotten as soon as it has one, so a late or replayed event finds nothing to settle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import get_args

from telephony.revisit.model import (
    REVISIT_CHANNEL_PREFIX,
    OutcomeKind,
    RevisitOutcome,
    RevisitRequest,
    Step,
)

# OriginateResponse "Reason" is the last control frame the dialled channel reported
# (Asterisk's enum ast_control_frame_type); 4 (answered) comes with Response: Success.
ORIGINATE_REASONS: dict[int, OutcomeKind] = {
    0: "failed",  # no control frame at all: the number could not be reached
    1: "rejected",  # AST_CONTROL_HANGUP: the far end hung up while it rang
    3: "no_answer",  # AST_CONTROL_RINGING: it rang until the Originate's Timeout
    5: "busy",  # AST_CONTROL_BUSY
    8: "failed",  # AST_CONTROL_CONGESTION
}
# What the [revisit] dialplan reports (deploy/asterisk/extensions-revisit.conf).
ANSWERED_EVENT = "RevisitAnswered"
KEYS_EVENT = "RevisitKeys"
OPERATOR_EVENT = "RevisitOperator"
INVALID_EVENT = "RevisitInvalid"
END_EVENT = "RevisitEnd"
REVISIT_EVENTS = frozenset({"OriginateResponse", "UserEvent", "Hangup"})
_STEPS: frozenset[str] = frozenset(get_args(Step))


@dataclass(frozen=True, slots=True)
class RevisitSettings:
    """How revisit calls are placed; the defaults match deploy/asterisk."""

    context: str = "revisit"
    channel: str = "PJSIP/{phone}@trunk"
    caller_id: str = '"12345" <12345>'
    ring_seconds: int = 30
    # Also the dialplan's TIMEOUT(absolute): no call is held longer, whatever is pressed.
    max_call_seconds: int = 300
    # How long past ring + call time the dialer waits for the last events before ``unknown``.
    outcome_grace_seconds: float = 15.0


def channel_id(request: RevisitRequest) -> str:
    return f"{REVISIT_CHANNEL_PREFIX}{request.attempt_id}"


def originate_fields(
    request: RevisitRequest, settings: RevisitSettings
) -> dict[str, str | list[str]]:
    """The fields of the ``Originate`` action placing one revisit call (without ActionID)."""
    variables = [
        f"TICKET={request.ticket_no}",
        f"ATTEMPT={request.attempt_id}",
        f"REVISIT_MAX_SECONDS={settings.max_call_seconds}",
    ]
    if request.summary_prompt:
        variables.append(f"REVISIT_SUMMARY={request.summary_prompt}")
    return {
        "Channel": settings.channel.format(phone=request.phone),
        "Context": settings.context,
        "Exten": "s",
        "Priority": "1",
        "Timeout": str(settings.ring_seconds * 1000),
        "CallerID": settings.caller_id,
        "ChannelId": channel_id(request),
        "Async": "true",
        "Variable": variables,
    }


@dataclass(slots=True)
class _Attempt:
    request: RevisitRequest
    action_id: str
    answered: bool = False


class RevisitCalls:
    """Attempts in progress; ``handle(event headers)`` returns an outcome when one settles."""

    events = REVISIT_EVENTS

    def __init__(self) -> None:
        self._attempts: dict[str, _Attempt] = {}
        self._by_action: dict[str, str] = {}
        self._by_channel: dict[str, str] = {}

    @property
    def in_progress(self) -> frozenset[str]:
        """Attempt ids still waiting for their outcome."""
        return frozenset(self._attempts)

    def begin(self, request: RevisitRequest, action_id: str) -> None:
        """Register an attempt before its Originate is sent (its events may come at once)."""
        if request.attempt_id in self._attempts:
            raise ValueError(f"attempt {request.attempt_id!r} is already in progress")
        self._attempts[request.attempt_id] = _Attempt(request, action_id)
        self._by_action[action_id] = request.attempt_id
        self._by_channel[channel_id(request)] = request.attempt_id

    def refused(self, attempt_id: str, message: str) -> RevisitOutcome | None:
        """Asterisk answered the Originate with an error: nothing was dialled."""
        return self._finish(attempt_id, "failed", detail=f"Originate refused: {message}")

    def give_up(self, attempt_id: str, detail: str) -> RevisitOutcome | None:
        """No outcome in time (or the Originate went unanswered): ``unknown``."""
        return self._finish(attempt_id, "unknown", detail=detail)

    def connection_lost(self) -> list[RevisitOutcome]:
        """Every attempt in progress is ``unknown``: what happens next on those channels is
        not seen, and an outcome reported later from a new connection would be a second one."""
        lost = [
            self._finish(attempt_id, "unknown", detail="AMI connection lost during the call")
            for attempt_id in list(self._attempts)
        ]
        return [outcome for outcome in lost if outcome is not None]

    def handle(self, headers: Mapping[str, str]) -> RevisitOutcome | None:
        event = headers.get("Event")
        if event == "OriginateResponse":
            return self._on_originate_response(headers)
        if event == "UserEvent":
            return self._on_user_event(headers)
        if event == "Hangup":
            attempt_id = self._by_channel.get(headers.get("Uniqueid", ""))
            attempt = self._attempts.get(attempt_id or "")
            # Unanswered calls hang up too; their OriginateResponse says why.
            if attempt is not None and attempt.answered:
                return self._finish(attempt.request.attempt_id, "hung_up", detail="Hangup")
        return None

    def _on_originate_response(self, headers: Mapping[str, str]) -> RevisitOutcome | None:
        attempt_id = self._by_action.get(headers.get("ActionID", ""))
        attempt = self._attempts.get(attempt_id or "")
        if attempt is None:
            return None
        if headers.get("Response") == "Success":
            attempt.answered = True
            return None
        reason = _int_or_none(headers.get("Reason", "")) or 0
        return self._finish(
            attempt.request.attempt_id,
            ORIGINATE_REASONS.get(reason, "failed"),
            reason=reason,
            detail=f"OriginateResponse {headers.get('Response', '')} Reason {reason}",
        )

    def _on_user_event(self, headers: Mapping[str, str]) -> RevisitOutcome | None:
        attempt = self._attempts.get(headers.get("Attempt", ""))
        if attempt is None or headers.get("Ticket") != attempt.request.ticket_no:
            return None
        attempt.answered = True  # only an answered channel runs the dialplan
        attempt_id, name = attempt.request.attempt_id, headers.get("UserEvent")
        satisfaction = _key_in(headers.get("Satisfaction", ""), 1, 5)
        if name == KEYS_EVENT:
            solved = _key_in(headers.get("Solved", ""), 1, 2)
            if satisfaction is None or solved is None:
                return self._finish(attempt_id, "unknown", detail=f"malformed {name}")
            return self._finish(
                attempt_id, "rated", satisfaction=satisfaction, solved=solved == 1, step="done"
            )
        if name == OPERATOR_EVENT:
            return self._finish(attempt_id, "operator", satisfaction=satisfaction, step="operator")
        if name == INVALID_EVENT:
            return self._finish(
                attempt_id,
                "invalid_keys",
                satisfaction=satisfaction,
                step=_step(headers.get("Step", "")),
                detail=f"keys {headers.get('Keys', '')!r}",
            )
        if name == END_EVENT:
            return self._finish(
                attempt_id,
                "hung_up",
                satisfaction=satisfaction,
                step=_step(headers.get("Step", "")),
                detail="hung up in the dialplan",
            )
        return None  # RevisitAnswered, or an event of another dialplan

    def _finish(
        self,
        attempt_id: str,
        kind: OutcomeKind,
        *,
        satisfaction: int | None = None,
        solved: bool | None = None,
        step: Step | None = None,
        reason: int | None = None,
        detail: str = "",
    ) -> RevisitOutcome | None:
        attempt = self._attempts.pop(attempt_id, None)
        if attempt is None:
            return None
        self._by_action.pop(attempt.action_id, None)
        self._by_channel.pop(channel_id(attempt.request), None)
        return RevisitOutcome(
            attempt_id=attempt_id,
            ticket_no=attempt.request.ticket_no,
            kind=kind,
            satisfaction=satisfaction,
            solved=solved,
            step=step,
            reason=reason,
            detail=detail,
        )


def _int_or_none(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def _key_in(text: str, low: int, high: int) -> int | None:
    value = _int_or_none(text)
    return value if value is not None and low <= value <= high else None


def _step(text: str) -> Step | None:
    return text if text in _STEPS else None  # type: ignore[return-value]
