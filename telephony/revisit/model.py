"""What the app asks for (one revisit call) and what it gets back (one outcome per attempt)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

OutcomeKind = Literal[
    "rated",  # answered; satisfaction 1–5 and solved given
    "operator",  # pressed 0: put through to queue 12345 with the ticket on the channel
    "no_answer",  # rang out (OriginateResponse Reason 3)
    "rejected",  # the far end hung up while it rang (Reason 1)
    "busy",  # Reason 5
    "failed",  # not reachable: Reason 0, congestion (8), or Asterisk refused the Originate
    "hung_up",  # answered, hung up before the last key
    "invalid_keys",  # answered, too many wrong or missing keys in one menu
    "unknown",  # the AMI connection or the time ran out before the call said how it ended
]
# Outcomes the attempt did not settle: the revisit plan decides whether to try again.
RETRYABLE: frozenset[OutcomeKind] = frozenset(
    {"no_answer", "rejected", "busy", "failed", "hung_up", "invalid_keys", "unknown"}
)
# The Uniqueid (and so the Linkedid) of every revisit call's channel starts with it: the call
# tracker leaves these calls out of the inbound calls.
REVISIT_CHANNEL_PREFIX = "revisit-"
Step = Literal["greeting", "satisfaction", "solved", "done", "operator", "invalid"]

SATISFACTION_LABELS = {
    1: "非常满意",
    2: "满意",
    3: "基本满意",
    4: "不满意",
    5: "非常不满意",
}

_PHONE = re.compile(r"\+?[0-9]{3,20}")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_PROMPT = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")


@dataclass(frozen=True, slots=True)
class RevisitRequest:
    """One automated revisit call.

    ``attempt_id`` names this attempt everywhere (ActionID bookkeeping, the channel's
    ``ATTEMPT`` variable and Uniqueid, every UserEvent), so it must be unique per attempt.
    ``summary_prompt`` is a sound file (without extension, relative to the channel's sounds
    directory) saying "您反映的…问题，承办单位已答复" for this ticket; without it the dialplan
    says the ticket number digit by digit between two fixed prompts.
    """

    ticket_no: str
    phone: str
    attempt_id: str
    summary_prompt: str | None = None

    def __post_init__(self) -> None:
        # Each value ends up in a dial string or a dialplan variable: refuse what could
        # change its meaning there (commas, ampersands, slashes, spaces).
        if not _PHONE.fullmatch(self.phone):
            raise ValueError(f"not a phone number that can be dialled: {self.phone!r}")
        for name in ("ticket_no", "attempt_id"):
            if not _TOKEN.fullmatch(getattr(self, name)):
                raise ValueError(f"{name} must be letters, digits, '_', '.' or '-' (≤ 64)")
        if self.summary_prompt is not None and not _PROMPT.fullmatch(self.summary_prompt):
            raise ValueError(f"not a sound file name: {self.summary_prompt!r}")


@dataclass(frozen=True, slots=True)
class RevisitOutcome:
    """How one attempt ended; exactly one per attempt.

    ``satisfaction`` (1–5) is also kept when the citizen gave it and then pressed 0 or hung
    up; ``solved`` is set only with ``rated``. ``step`` is where an answered call stopped,
    ``reason`` Asterisk's OriginateResponse Reason code for calls not answered, ``detail`` a
    short English note for the log.
    """

    attempt_id: str
    ticket_no: str
    kind: OutcomeKind
    satisfaction: int | None = None
    solved: bool | None = None
    step: Step | None = None
    reason: int | None = None
    detail: str = ""

    @property
    def answered(self) -> bool:
        return self.kind in ("rated", "operator", "hung_up", "invalid_keys")

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    @property
    def satisfaction_label(self) -> str | None:
        """The workflow's rating word (非常满意 … 非常不满意) for ``satisfaction``."""
        return SATISFACTION_LABELS.get(self.satisfaction or 0)
