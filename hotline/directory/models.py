"""Reference data the centre edits: departments and their units, divisions, transfer targets."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="department")  # department|utility|unit
    scope: Mapped[str] = mapped_column(Text, default="")
    # A district/county unit (分级负责) points at its city department and its division.
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"), default=None)
    division_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"), default=None)
    active: Mapped[bool] = mapped_column(default=True)


class Division(Base):
    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    aliases: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))


class TransferTarget(Base):
    __tablename__ = "transfer_targets"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), default="")
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # emergency|utility
    when: Mapped[str] = mapped_column(Text, default="")


class RoutingRule(Base):
    """权责清单: the unit responsible for a department's matters in one division."""

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("department_code", "division_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
