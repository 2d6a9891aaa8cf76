"""The revisit plan's decisions, pure (no I/O, no clock): which channel, when to call, what
an attempt's outcome leads to. Every decision carries its reasons in Chinese, shown on the
ticket as they are."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol

Channel = Literal["call", "sms", "operator"]
# calling: an attempt is claimed (a call placed or a text being sent); sent: a link awaits use.
PlanStatus = Literal["scheduled", "calling", "sent", "done", "operator", "cancelled"]
OPEN_STATUSES: tuple[PlanStatus, ...] = ("scheduled", "calling", "sent")

CHANNEL_LABELS: dict[str, str] = {
    "call": "自动语音回访",
    "sms": "短信链接回访",
    "operator": "人工回访",
}
STATUS_LABELS: dict[str, str] = {
    "scheduled": "待外呼",
    "calling": "外呼中",
    "sent": "短信已发送，待市民评价",
    "done": "已完成",
    "operator": "转人工回访",
    "cancelled": "已取消",
}
OUTCOME_LABELS: dict[str, str] = {
    "rated": "已评价",
    "operator": "按 0 转人工",
    "no_answer": "无人接听",
    "rejected": "拒接",
    "busy": "占线",
    "failed": "无法接通",
    "hung_up": "中途挂断",
    "invalid_keys": "按键无效",
    "unknown": "结果未知",
    "sent": "短信已发送",
    "send_failed": "短信发送失败",
    "throttled": "发送限流，推迟发送",
    "expired": "链接过期未评价",
}
# A revisit is due within this many working days of the reply (the plan's latest time).
REVISIT_WORKING_DAYS = 5
_WINDOW = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


class WorkingDays(Protocol):
    def is_workday(self, day: date) -> bool: ...


@dataclass(frozen=True)
class CallingHours:
    """When citizens may be called: daily windows (start inclusive, end exclusive; "24:00" is
    midnight) on the statutory calendar's working days, and on ordinary weekends if allowed."""

    windows: tuple[tuple[time, time | None], ...]  # None: until midnight
    weekends: bool = False

    @classmethod
    def parse(cls, text: str, *, weekends: bool = False) -> CallingHours:
        windows: list[tuple[time, time | None]] = []
        for part in (p.strip() for p in text.split(",")):
            match = _WINDOW.fullmatch(part)
            if match is None:
                raise ValueError(f"时段 {part!r} 应形如 09:00-12:00")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            until_midnight = (h2, m2) == (24, 0)
            if not (h1 <= 23 and m1 <= 59 and (h2 <= 23 or until_midnight) and m2 <= 59):
                raise ValueError(f"时段 {part!r} 的时间不存在")
            start = time(h1, m1)
            end = None if until_midnight else time(h2, m2)
            if end is not None and end <= start:
                raise ValueError(f"时段 {part!r} 的结束须晚于开始")
            windows.append((start, end))
        return cls(tuple(sorted(windows)), weekends)

    def describe(self) -> str:
        spans = "、".join(
            f"{start:%H:%M}–{end:%H:%M}" if end else f"{start:%H:%M}–24:00"
            for start, end in self.windows
        )
        days = "工作日及周末" if self.weekends else "工作日"
        return f"{days} {spans}"

    def day_allowed(self, day: date, calendar: WorkingDays, holidays: frozenset[date]) -> bool:
        if calendar.is_workday(day):
            return True
        return self.weekends and day.weekday() >= 5 and day not in holidays

    def is_open(self, now: datetime, calendar: WorkingDays, holidays: frozenset[date]) -> bool:
        if not self.day_allowed(now.date(), calendar, holidays):
            return False
        moment = now.time()
        return any(start <= moment and (end is None or moment < end) for start, end in self.windows)

    def next_open(
        self, after: datetime, calendar: WorkingDays, holidays: frozenset[date]
    ) -> datetime:
        """``after`` itself when open, else the start of the next window (within a year)."""
        if self.is_open(after, calendar, holidays):
            return after
        day = after.date()
        for _ in range(366):
            if self.day_allowed(day, calendar, holidays):
                for start, _end in self.windows:
                    begin = datetime.combine(day, start)
                    if begin > after:
                        return begin
            day += timedelta(days=1)
        raise ValueError("一年内没有可以外呼的时段")


@dataclass(frozen=True)
class RevisitPolicy:
    calling_hours: CallingHours = field(
        default_factory=lambda: CallingHours.parse("09:00-12:00,14:00-20:00")
    )
    max_attempts: int = 3
    retry_spacing: timedelta = timedelta(hours=2)
    automated_channel: Literal["call", "sms"] = "call"
    # When texts may be sent; None: the calling hours.
    sending_hours: CallingHours | None = None

    def hours_for(self, channel: str) -> CallingHours:
        if channel == "sms" and self.sending_hours is not None:
            return self.sending_hours
        return self.calling_hours


@dataclass(frozen=True)
class TicketFacts:
    """What the channel depends on, read from the ticket by the shell."""

    real_name: bool
    phone: str
    no_automated_revisit: bool
    rectification_open: bool
    about_centre: bool


@dataclass(frozen=True)
class ChannelChoice:
    channel: Channel  # the channel chosen by policy
    handled_by: Channel  # who does it now (the channel, or the operators)
    reasons: tuple[str, ...]


def is_mobile(phone: str) -> bool:
    """A mainland mobile in the stored form (hotline.phones): 11 digits starting with 1."""
    return len(phone) == 11 and phone.startswith("1")


def is_callable(phone: str) -> bool:
    """A number the system may dial: the stored form of a mobile or a landline with its area
    code (hotline.phones keeps nothing else), digits only."""
    return phone.isdigit() and (is_mobile(phone) or (phone.startswith("0") and len(phone) >= 10))


def choose_channel(facts: TicketFacts, policy: RevisitPolicy) -> ChannelChoice:
    """The operators take every ticket a machine should not revisit; the others get the
    automated channel of the policy (sms only to a mobile)."""
    to_operator = [
        reason
        for applies, reason in (
            (facts.no_automated_revisit, "市民要求不接受机器回访"),
            (facts.rectification_open, "实名差评整改中，须人工回访"),
            (facts.about_centre, "投诉热线中心本身，须人工回访"),
            (not facts.real_name, "非实名（匿名）工单，由中心人工回访"),
            (not is_callable(facts.phone), "没有可以外呼的电话号码"),
        )
        if applies
    ]
    if to_operator:
        return ChannelChoice("operator", "operator", tuple(to_operator))
    if policy.automated_channel == "sms" and is_mobile(facts.phone):
        return ChannelChoice("sms", "sms", ("实名工单，号码是手机，按配置以短信链接回访",))
    reasons = ["实名工单，号码可外呼，自动语音回访"]
    if policy.automated_channel == "sms":
        reasons.append("号码不是手机，不能发短信，改为自动语音回访")
    return ChannelChoice("call", "call", tuple(reasons))


@dataclass(frozen=True)
class Next:
    """What the plan does after an outcome."""

    status: PlanStatus
    next_at: datetime | None
    reason: str


def after_outcome(
    kind: str,
    attempts_left: int,
    now: datetime,
    latest: datetime,
    policy: RevisitPolicy,
    calendar: WorkingDays,
    holidays: frozenset[date],
    *,
    channel: Literal["call", "sms"] = "call",
    until: datetime | None = None,
) -> Next:
    """``attempts_left`` counts the attempts left after the one that ended; ``until`` is when
    a sent link expires, or when a throttled text may be sent."""
    if kind == "sent" and until is not None:
        return Next("sent", until, f"短信已发送，链接 {until:%m-%d %H:%M} 前有效")
    if kind == "throttled" and until is not None:
        return Next("scheduled", until, f"发送限流，{until:%m-%d %H:%M} 再发送，不计次数")
    if kind == "rated":
        where = "短信链接" if channel == "sms" else "自动回访"
        return Next("done", None, f"市民已在{where}中评价")
    if kind == "operator":
        return Next("operator", None, "市民按 0 要求人工回访")
    if kind == "expired":
        return Next("operator", None, "短信链接过期未评价，转人工回访")
    label = OUTCOME_LABELS.get(kind, kind)
    if attempts_left <= 0:
        return Next(
            "operator",
            None,
            f"自动回访 {policy.max_attempts} 次均未完成（最后一次：{label}），转人工回访",
        )
    next_at = policy.hours_for(channel).next_open(now + policy.retry_spacing, calendar, holidays)
    verb = "发送短信" if channel == "sms" else "外呼"
    if next_at > latest:
        return Next("operator", None, f"{label}，回访期限前已无{verb}时段，转人工回访")
    return Next("scheduled", next_at, f"{label}，{next_at:%m-%d %H:%M} 再次{verb}")
