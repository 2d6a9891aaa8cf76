"""The calendar's value types, shared by the pure core and the provisional fallback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

OVERRIDE_SOURCES: frozenset[str] = frozenset({"official", "library", "provisional"})


class CalendarError(ValueError):
    """Bad calendar input; the message is Chinese and meant for the person who caused it."""


@dataclass(frozen=True)
class DayOverride:
    day: date
    is_workday: bool
    name: str
    source: str  # "official" | "library" | "provisional"

    def __post_init__(self) -> None:
        if not isinstance(self.day, date) or isinstance(self.day, datetime):
            raise CalendarError(f"日期必须是 date，收到 {self.day!r}")
        if not isinstance(self.is_workday, bool):
            raise CalendarError(f"{self.day} 的 is_workday 必须是布尔值，收到 {self.is_workday!r}")
        if not isinstance(self.name, str):
            raise CalendarError(f"{self.day} 的名称必须是字符串，收到 {self.name!r}")
        if self.source not in OVERRIDE_SOURCES:
            raise CalendarError(
                f"日期 {self.day} 的来源 {self.source!r} 无效，应为 official、library 或 provisional"
            )
