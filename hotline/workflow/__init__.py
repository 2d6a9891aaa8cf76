"""The regulation's ticket cycle as a pure state machine (no I/O)."""

from hotline.workflow.machine import (
    ACTIONS,
    Actor,
    Context,
    TicketState,
    Transition,
    WorkflowEvent,
    actions_from,
    apply,
    available_actions,
)
from hotline.workflow.policy import SlaPolicy
from hotline.workflow.states import Role, Status

__all__ = [
    "ACTIONS",
    "Actor",
    "Context",
    "Role",
    "SlaPolicy",
    "Status",
    "TicketState",
    "Transition",
    "WorkflowEvent",
    "actions_from",
    "apply",
    "available_actions",
]
