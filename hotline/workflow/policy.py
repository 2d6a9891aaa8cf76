"""Time limits (时限) for signing and replying; defaults follow common 12345 practice."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SlaPolicy:
    sign_working_days: int = 1
    urgent_sign_hours: float = 2
    reply_working_days: dict[str, int] = field(
        default_factory=lambda: {
            "咨询": 2,
            "求助": 10,
            "建议": 10,
            "表扬": 10,
            "投诉": 15,
            "举报": 15,
        }
    )
    urgent_reply_hours: float = 24
    utility_outage_reply_hours: float = 24
    # Utility companies whose outages get the 24-hour limit whatever the type.
    utility_departments: frozenset[str] = frozenset({"GS", "GD", "RQ", "RL", "TX"})
    rectification_working_days: int = 1
    # Due-soon (yellow) once this share of the time limit has passed.
    due_soon_share: float = 0.75
    max_extension_working_days: int = 30
    # 补正: how long the citizen has to supply what the department asked for, by default and at most.
    supplement_working_days: int = 5
    max_supplement_working_days: int = 30

    def reply_days(self, ticket_type: str) -> int:
        return self.reply_working_days.get(ticket_type, 15)
