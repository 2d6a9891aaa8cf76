"""Tickets (工单) and the records their workflow leaves behind, the source of every figure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ColumnElement, Date, ForeignKey, Index, String, Text, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_department", "status", "department_code"),
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_citizen_phone", "citizen_phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    citizen_name: Mapped[str] = mapped_column(String(64), default="")
    citizen_phone: Mapped[str] = mapped_column(String(20))
    real_name: Mapped[bool] = mapped_column(default=False)
    # The citizen asked not to be revisited by machine: the revisit plan goes to the operators.
    no_automated_revisit: Mapped[bool] = mapped_column(default=False)
    on_behalf_of: Mapped[str] = mapped_column(String(64), default="")  # 代办: whom it is for
    address: Mapped[str] = mapped_column(String(300), default="")
    division_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"), default=None)
    content: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(4))
    matter_category: Mapped[str] = mapped_column(String(64), default="")
    urgency: Mapped[str] = mapped_column(String(4), default="一般")
    priority: Mapped[bool] = mapped_column(default=False)  # 绿色通道
    priority_reason: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(12))
    department_code: Mapped[str | None] = mapped_column(
        ForeignKey("departments.code"), default=None
    )
    co_handlers: Mapped[list[str]] = mapped_column(JSON, default=list)
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
    sign_due: Mapped[datetime | None] = mapped_column(default=None)
    reply_due: Mapped[datetime | None] = mapped_column(default=None)
    deadline_provisional: Mapped[bool] = mapped_column(default=False)
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_how: Mapped[str | None] = mapped_column(String(12), default=None)
    extension_pending_days: Mapped[int | None] = mapped_column(default=None)
    extension_count: Mapped[int] = mapped_column(default=0)
    supervised: Mapped[bool] = mapped_column(default=False)
    supervision_due: Mapped[datetime | None] = mapped_column(default=None)
    rating: Mapped[str | None] = mapped_column(String(8), default=None)
    solved: Mapped[bool | None] = mapped_column(default=None)
    return_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    remind_count: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    rectification_due: Mapped[datetime | None] = mapped_column(default=None)
    rectification_open: Mapped[bool] = mapped_column(default=False)
    supplement_due: Mapped[datetime | None] = mapped_column(default=None)
    supplement_since: Mapped[datetime | None] = mapped_column(default=None)
    supplement_asked: Mapped[bool] = mapped_column(default=False)
    supplement_tolerated: Mapped[bool] = mapped_column(default=False)
    # green | yellow (due soon) | red (overdue); kept so the scan reports each change once.
    sla_flag: Mapped[str] = mapped_column(String(6), default="green")
    # What routing suggested, and what the people finally chose (training labels).
    suggestion: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    suggested_department: Mapped[str | None] = mapped_column(String(16), default=None)
    chosen_department: Mapped[str | None] = mapped_column(String(16), default=None)
    kb_entry_id: Mapped[int | None] = mapped_column(default=None)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), default=None)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @hybrid_property
    def reply_clock_paused(self) -> bool:
        """Waiting for the citizen's 补正: the reply clock stands still (not so for 容缺受理)."""
        return self.supplement_since is not None and not self.supplement_tolerated

    @reply_clock_paused.inplace.expression
    @classmethod
    def _reply_clock_paused_expression(cls) -> ColumnElement[bool]:
        return and_(cls.supplement_since.is_not(None), cls.supplement_tolerated.is_(False))


class TicketCounter(Base):
    """Daily sequence behind readable numbers like 20261127-000123."""

    __tablename__ = "ticket_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class TicketAction(Base):
    """The ticket's history: one row for every transition, with who, when and what."""

    __tablename__ = "ticket_actions"
    __table_args__ = (Index("ix_ticket_actions_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    action: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    actor_department: Mapped[str | None] = mapped_column(String(16), default=None)
    at: Mapped[datetime]
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Dispatch(Base):
    """One stay of a ticket in one department's inbox: the basis of on-time figures."""

    __tablename__ = "dispatches"
    __table_args__ = (Index("ix_dispatches_department", "department_code", "dispatched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    dispatched_at: Mapped[datetime]
    sign_due: Mapped[datetime | None]
    reply_due: Mapped[datetime | None]
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(12), default=None)  # replied|returned|…


class TicketReturn(Base):
    """退单 and the centre's ruling on it: 改派 (proper) or 强派 (不当退单)."""

    __tablename__ = "ticket_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    category: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    returned_at: Mapped[datetime]
    returned_by: Mapped[str] = mapped_column(String(64))
    ruling: Mapped[str | None] = mapped_column(String(12), default=None)
    improper: Mapped[bool | None] = mapped_column(default=None)
    ruled_at: Mapped[datetime | None] = mapped_column(default=None)
    ruled_by: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class Extension(Base):
    __tablename__ = "ticket_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    days: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(64))
    approved: Mapped[bool | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    new_due: Mapped[datetime | None] = mapped_column(default=None)


class Supplement(Base):
    """A 补正 notice (Art. 18) or a 容缺 acceptance (Art. 20): everything the department still
    needs from the citizen, at once."""

    __tablename__ = "ticket_supplements"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    items: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    # 容缺受理 (Art. 20): handled meanwhile, on this written commitment of the applicant.
    tolerated: Mapped[bool] = mapped_column(default=False)
    commitment: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(64))
    due: Mapped[datetime]
    # supplied | lapsed | replied | returned | withdrawn | merged; None while waiting.
    outcome: Mapped[str | None] = mapped_column(String(10), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_by: Mapped[str | None] = mapped_column(String(64), default=None)
    content: Mapped[str] = mapped_column(Text, default="")  # what the citizen supplied


class Supervision(Base):
    """督办 orders and 催办 reminders."""

    __tablename__ = "supervisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(12))  # supervise | remind
    department_code: Mapped[str | None] = mapped_column(String(16), default=None)
    issuer: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    due: Mapped[datetime | None] = mapped_column(default=None)
    issued_at: Mapped[datetime]


class Rating(Base):
    """好差评: one per revisit or public rating; published per department."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_department", "department_code", "rated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    department_code: Mapped[str | None] = mapped_column(String(16), default=None)
    level: Mapped[str] = mapped_column(String(8))
    solved: Mapped[bool]
    channel: Mapped[str] = mapped_column(String(10))
    real_name: Mapped[bool]
    rated_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")


class Rectification(Base):
    """整改 after a real-name bad rating: revisit within one working day, fix, tell the citizen."""

    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    department_code: Mapped[str | None] = mapped_column(String(16), default=None)
    opened_at: Mapped[datetime]
    due: Mapped[datetime]
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    verification: Mapped[str] = mapped_column(Text, default="")
    rectification: Mapped[str] = mapped_column(Text, default="")
    feedback: Mapped[str] = mapped_column(Text, default="")
