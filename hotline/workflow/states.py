"""The vocabulary of the ticket workflow: statuses, types, roles, ratings."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    REGISTERED = "registered"  # 已受理
    DISPATCHED = "dispatched"  # 已派单，待签收
    RETURNED = "returned"  # 已退单，待中心裁定
    ACCEPTED = "accepted"  # 已签收，办理中
    REPLIED = "replied"  # 已办理回复，待回访
    REVISITED = "revisited"  # 已回访，待办结
    CLOSED = "closed"  # 已办结
    MERGED = "merged"  # 已合并
    WITHDRAWN = "withdrawn"  # 已撤件


STATUS_LABELS: dict[Status, str] = {
    Status.REGISTERED: "已受理",
    Status.DISPATCHED: "已派单",
    Status.RETURNED: "已退单",
    Status.ACCEPTED: "办理中",
    Status.REPLIED: "已回复",
    Status.REVISITED: "已回访",
    Status.CLOSED: "已办结",
    Status.MERGED: "已合并",
    Status.WITHDRAWN: "已撤件",
}

OPEN_STATUSES = frozenset(
    {
        Status.REGISTERED,
        Status.DISPATCHED,
        Status.RETURNED,
        Status.ACCEPTED,
        Status.REPLIED,
        Status.REVISITED,
    }
)


class Role(StrEnum):
    OPERATOR = "operator"
    DISPATCHER = "dispatcher"
    DEPARTMENT = "department"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    MONITOR = "monitor"  # 社会监督员 (Art. 34): figures only, read-only, no personal data
    SYSTEM = "system"  # the deadline scan and other automatic actors
    CITIZEN = "citizen"  # the public pages: ratings and withdrawals by number + phone


TICKET_TYPES = ("咨询", "求助", "投诉", "举报", "建议", "表扬")
URGENCIES = ("紧急", "一般")
CHANNELS = ("phone", "web", "app", "api", "letter", "onsite")
RETURN_CATEGORIES = ("职能不符", "属地不符", "权属不清")
RATING_LEVELS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
BAD_RATINGS = frozenset({"不满意", "非常不满意"})
SATISFIED_RATINGS = frozenset({"非常满意", "满意"})
# Types a department must handle; the rest may be closed on the call (直接办结).
TYPES_NEEDING_DEPARTMENT = frozenset({"投诉", "举报"})
