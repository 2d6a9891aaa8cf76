"""Users of the centre and the departments, and the key that signs their tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base

USERNAME_MAX = 64
DISPLAY_NAME_MAX = 64
EXTENSION_MAX = 32


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    department_code: Mapped[str | None] = mapped_column(
        ForeignKey("departments.code"), default=None
    )
    # The operator's softphone extension, for the AMI bridge (answered_by ↔ operator).
    extension: Mapped[str | None] = mapped_column(String(EXTENSION_MAX), unique=True, default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
