"""Every table of the application, imported in one place for Alembic and the tests."""

import hotline.kb.models  # noqa: F401  (registers the knowledge-base and intake tables)
from hotline.audit.models import AuditRecord
from hotline.auth.models import Setting, User
from hotline.calendar.models import CalendarDay, CalendarYear
from hotline.calls.models import Call
from hotline.db import Base
from hotline.directory.models import Department, Division, RoutingRule, TransferTarget
from hotline.events.models import OutboxEvent
from hotline.open311.models import Open311Key, Open311Request
from hotline.revisits.models import RevisitAttempt, RevisitPlan
from hotline.routing.models import RoutingLabel
from hotline.speech.models import TranscriptSegment, TranscriptStream
from hotline.tickets.models import (
    Dispatch,
    Extension,
    Rating,
    Rectification,
    Supervision,
    Supplement,
    Ticket,
    TicketAction,
    TicketCounter,
    TicketReturn,
)
from hotline.wallboard.models import KioskToken

metadata = Base.metadata

__all__ = [
    "AuditRecord",
    "CalendarDay",
    "CalendarYear",
    "Call",
    "Department",
    "Dispatch",
    "Division",
    "Extension",
    "KioskToken",
    "Open311Key",
    "Open311Request",
    "OutboxEvent",
    "Rating",
    "Rectification",
    "RevisitAttempt",
    "RevisitPlan",
    "RoutingLabel",
    "RoutingRule",
    "Setting",
    "Supervision",
    "Supplement",
    "Ticket",
    "TicketAction",
    "TicketCounter",
    "TicketReturn",
    "TranscriptSegment",
    "TranscriptStream",
    "TransferTarget",
    "User",
    "metadata",
]
