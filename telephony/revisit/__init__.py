"""智能回访 by telephone: Originate a revisit call over AMI, read the citizen's keys back."""

from telephony.revisit.calls import (
    ORIGINATE_REASONS,
    REVISIT_EVENTS,
    RevisitCalls,
    RevisitSettings,
    originate_fields,
)
from telephony.revisit.dialer import RevisitDialer
from telephony.revisit.model import (
    RETRYABLE,
    SATISFACTION_LABELS,
    OutcomeKind,
    RevisitOutcome,
    RevisitRequest,
)

__all__ = [
    "ORIGINATE_REASONS",
    "RETRYABLE",
    "REVISIT_EVENTS",
    "SATISFACTION_LABELS",
    "OutcomeKind",
    "RevisitCalls",
    "RevisitDialer",
    "RevisitOutcome",
    "RevisitRequest",
    "RevisitSettings",
    "originate_fields",
]
