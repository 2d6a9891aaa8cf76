"""What the call tracker reports: immutable, JSON-friendly snapshots and the events carrying them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

CallState = Literal["ringing", "queued", "answered", "abandoned", "ended"]
TransferMode = Literal["blind", "attended"]
TransferResult = Literal["success", "busy", "no_answer", "failed", "pending"]
CallEventKind = Literal[
    "call.ringing",
    "call.updated",
    "call.answered",
    "call.transferred",
    "call.ended",
    "call.abandoned",
]


def iso(timestamp: float | None) -> str | None:
    """A POSIX timestamp as an ISO 8601 string in UTC (None stays None)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


@dataclass(frozen=True, slots=True)
class TransferSnapshot:
    target: str
    mode: TransferMode
    result: TransferResult
    requested_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "mode": self.mode,
            "result": self.result,
            "requested_at": iso(self.requested_at),
        }


@dataclass(frozen=True, slots=True)
class CallSnapshot:
    """One call (all channels sharing an Asterisk ``Linkedid``) at one moment."""

    linkedid: str
    caller_number: str
    state: CallState
    started_at: float
    queue: str | None = None
    queue_entered_at: float | None = None
    wait_seconds: float | None = None
    answered_by: str | None = None
    answered_at: float | None = None
    transfers: tuple[TransferSnapshot, ...] = ()
    hangup_cause: str | None = None
    ended_at: float | None = None
    stream_uuid: str | None = None
    consultation_for: str | None = None
    caller_channel: str | None = None
    operator_channel: str | None = None
    revisit_ticket: str | None = None  # the ticket number of a revisit call transferred on 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "linkedid": self.linkedid,
            "caller_number": self.caller_number,
            "state": self.state,
            "started_at": iso(self.started_at),
            "queue": self.queue,
            "queue_entered_at": iso(self.queue_entered_at),
            "wait_seconds": self.wait_seconds,
            "answered_by": self.answered_by,
            "answered_at": iso(self.answered_at),
            "transfers": [transfer.to_dict() for transfer in self.transfers],
            "hangup_cause": self.hangup_cause,
            "ended_at": iso(self.ended_at),
            "stream_uuid": self.stream_uuid,
            "consultation_for": self.consultation_for,
            "caller_channel": self.caller_channel,
            "operator_channel": self.operator_channel,
            "revisit_ticket": self.revisit_ticket,
        }


@dataclass(frozen=True, slots=True)
class CallEvent:
    kind: CallEventKind
    call: CallSnapshot

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "call": self.call.to_dict()}


@dataclass(frozen=True, slots=True)
class OperatorSnapshot:
    """A queue member (operator softphone) as app_queue reports it."""

    interface: str
    extension: str
    queue: str
    logged_in: bool
    paused: bool
    pause_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "interface": self.interface,
            "extension": self.extension,
            "queue": self.queue,
            "logged_in": self.logged_in,
            "paused": self.paused,
            "pause_reason": self.pause_reason,
        }


@dataclass(frozen=True, slots=True)
class OperatorEvent:
    kind: Literal["operator.updated"]
    operator: OperatorSnapshot

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "operator": self.operator.to_dict()}


TrackerEvent = CallEvent | OperatorEvent
