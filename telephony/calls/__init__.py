"""Call tracking: AMI events in, one record per call (Linkedid) and call events out."""

from telephony.calls.model import (
    CallEvent,
    CallSnapshot,
    OperatorEvent,
    OperatorSnapshot,
    TrackerEvent,
    TransferSnapshot,
)
from telephony.calls.tracker import CallTracker, extension_of

__all__ = [
    "CallEvent",
    "CallSnapshot",
    "CallTracker",
    "OperatorEvent",
    "OperatorSnapshot",
    "TrackerEvent",
    "TransferSnapshot",
    "extension_of",
]
