"""Knowledge-base entries: validation of the service guide, versioned edits, review, flags.

Departments maintain their own entries; the centre (dispatcher, admin) reviews and publishes.
Only published entries inside their validity period are offered to operators.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline.audit.service import record as audit
from hotline.directory import service as directory
from hotline.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from hotline.kb.models import KbEntry, KbEntryVersion
from hotline.services import jsonable
from hotline.workflow import Actor, Role

DRAFT, PUBLISHED, WITHDRAWN = "draft", "published", "withdrawn"
STATUSES = (DRAFT, PUBLISHED, WITHDRAWN)
REVIEWERS = frozenset({Role.DISPATCHER, Role.ADMIN})
# Operators and supervisors read what the centre has published, nothing else.
READERS_OF_PUBLISHED = frozenset({Role.OPERATOR, Role.SUPERVISOR})
DEFAULT_REVIEW_DAYS = 365

# Art. 17: a guide lists every condition and material; open-ended clauses are not allowed.
_CATCH_ALL = re.compile(
    r"其[他它][\u4e00-\u9fff]{0,6}(?:材料|证明|资料|证件|文件|条件|情形)"
    r"|等(?:相关|有关|必要|其他|所需)?(?:材料|证明|资料|证件|文件|条件)"
    r"|(?:相关|有关|所需|必要)(?:材料|证明|资料|证件|文件)"
)

LIMITS = {
    "title": 100,
    "matter_category": 64,
    "question": 200,
    "answer": 5000,
    "condition": 500,
    "material": 300,
    "location": 1000,
    "fees": 300,
    "time_limit": 200,
    "owner": 64,
}
MAX_QUESTIONS = 30
MAX_LIST_ITEMS = 50


@dataclass
class EntryContent:
    """What a department writes: the answer, its question variants and the service guide."""

    department: str
    title: str
    questions: list[str]
    answer: str
    matter_category: str = ""
    conditions: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    location: str = ""
    fees: str = ""
    time_limit: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    owner: str = ""
    review_due: date | None = None


def _text(
    value: object, name: str, label: str, *, required: bool = False, limit_key: str = ""
) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{label}必须是文字", field=name)
    if required and not value.strip():
        raise InvalidInput(f"{label}不能为空", field=name)
    limit = LIMITS[limit_key or name]
    if len(value) > limit:
        raise InvalidInput(f"{label}不能超过 {limit} 字", field=name)
    return value


def _items(values: object, name: str, label: str, limit_key: str, max_items: int) -> list[str]:
    if not isinstance(values, list):
        raise InvalidInput(f"{label}必须是列表", field=name)
    if len(values) > max_items:
        raise InvalidInput(f"{label}最多 {max_items} 项", field=name)
    items = [_text(v, name, label, required=True, limit_key=limit_key).strip() for v in values]
    for index, item in enumerate(items):
        if item in items[:index]:
            raise InvalidInput(f"{label}第 {index + 1} 项重复：{item}", field=name)
    return items


def _no_catch_all(items: list[str], name: str, label: str) -> None:
    for index, item in enumerate(items):
        found = _CATCH_ALL.search(item)
        if found:
            raise InvalidInput(
                f"{label}第 {index + 1} 项含兜底表述「{found.group(0)}」：办事指南须列明全部"
                f"{label}，不得使用“其他材料”“等相关材料”之类的表述",
                field=name,
                item=index,
            )


def validate(session: Session, content: EntryContent, today: date) -> EntryContent:
    """The content checked and tidied; raises InvalidInput naming the first bad field."""
    directory.department(session, content.department)
    questions = _items(content.questions, "questions", "问题", "question", MAX_QUESTIONS)
    if not questions:
        raise InvalidInput("至少填写一个问题问法", field="questions")
    conditions = _items(content.conditions, "conditions", "办理条件", "condition", MAX_LIST_ITEMS)
    materials = _items(content.materials, "materials", "申请材料", "material", MAX_LIST_ITEMS)
    _no_catch_all(conditions, "conditions", "办理条件")
    _no_catch_all(materials, "materials", "申请材料")
    valid_from = content.valid_from or today
    if content.valid_to is not None and content.valid_to < valid_from:
        raise InvalidInput("有效期结束日期不能早于开始日期", field="valid_to")
    return EntryContent(
        department=content.department,
        title=_text(content.title, "title", "标题", required=True).strip(),
        questions=questions,
        answer=_text(content.answer, "answer", "答复口径", required=True),
        matter_category=_text(content.matter_category, "matter_category", "事项类别").strip(),
        conditions=conditions,
        materials=materials,
        location=_text(content.location, "location", "办理地点"),
        fees=_text(content.fees, "fees", "收费标准"),
        time_limit=_text(content.time_limit, "time_limit", "办理时限"),
        valid_from=valid_from,
        valid_to=content.valid_to,
        owner=_text(content.owner, "owner", "责任人").strip(),
        review_due=content.review_due or today + timedelta(days=DEFAULT_REVIEW_DAYS),
    )


# ---------------------------------------------------------------- access


def _maintains(actor: Actor, department: str) -> bool:
    return actor.role in REVIEWERS or (
        actor.role == Role.DEPARTMENT and actor.department == department
    )


def _readable(actor: Actor, entry: KbEntry) -> bool:
    if actor.role in READERS_OF_PUBLISHED:
        return entry.status == PUBLISHED
    return _maintains(actor, entry.department_code)


def load(session: Session, actor: Actor, entry_id: int) -> KbEntry:
    entry = session.get(KbEntry, entry_id)
    # Another department's entry does not exist as far as its staff can tell.
    if entry is None or not _readable(actor, entry):
        raise NotFound("知识条目不存在")
    return entry


def _for_change(session: Session, actor: Actor, entry_id: int, expected_version: int) -> KbEntry:
    entry = load(session, actor, entry_id)
    if not _maintains(actor, entry.department_code):
        raise Forbidden("只有本部门工作人员或中心审核人员可以修改知识条目")
    if expected_version != entry.version:
        raise StaleVersion("知识条目已被他人修改，请刷新后重试", current_version=entry.version)
    return entry


def _visible_query(actor: Actor) -> Select[Any]:
    query = select(KbEntry)
    if actor.role == Role.DEPARTMENT:
        query = query.where(KbEntry.department_code == actor.department)
    elif actor.role in READERS_OF_PUBLISHED:
        query = query.where(KbEntry.status == PUBLISHED)
    return query


# ---------------------------------------------------------------- changes


def _snapshot(entry: KbEntry) -> dict[str, Any]:
    return jsonable(
        {
            "department": entry.department_code,
            "title": entry.title,
            "matter_category": entry.matter_category,
            "questions": list(entry.questions),
            "answer": entry.answer,
            "conditions": list(entry.conditions),
            "materials": list(entry.materials),
            "location": entry.location,
            "fees": entry.fees,
            "time_limit": entry.time_limit,
            "valid_from": entry.valid_from,
            "valid_to": entry.valid_to,
            "owner": entry.owner,
            "review_due": entry.review_due,
            "status": entry.status,
        }
    )


def _keep_version(
    session: Session, actor: Actor, entry: KbEntry, change: str, now: datetime
) -> None:
    try:
        session.flush()  # the UPDATE checks the version column: a concurrent edit loses here
    except StaleDataError:
        raise StaleVersion("知识条目已被他人修改，请刷新后重试") from None
    session.add(
        KbEntryVersion(
            entry_id=entry.id,
            version=entry.version,
            change=change,
            changed_at=now,
            changed_by=actor.username,
            snapshot=_snapshot(entry),
        )
    )
    audit(session, actor, f"kb.{change}", "kb_entry", entry.id, now, version=entry.version)
    session.flush()


def _apply(entry: KbEntry, content: EntryContent) -> None:
    values = asdict(content)
    entry.department_code = values.pop("department")
    for name, value in values.items():
        setattr(entry, name, value)


def create_entry(
    session: Session, actor: Actor, content: EntryContent, now: datetime, *, status: str = DRAFT
) -> KbEntry:
    if actor.role == Role.DEPARTMENT:
        content.department = content.department or actor.department or ""
    if not _maintains(actor, content.department):
        raise Forbidden("只能维护本部门的知识条目")
    if status != DRAFT and actor.role not in REVIEWERS:
        raise Forbidden("只有中心审核人员可以发布知识条目")
    clean = validate(session, content, now.date())
    entry = KbEntry(
        status=status,
        created_at=now,
        created_by=actor.username,
        updated_at=now,
        updated_by=actor.username,
    )
    _apply(entry, clean)
    entry.owner = clean.owner or actor.username
    session.add(entry)
    _keep_version(session, actor, entry, "create", now)
    return entry


def update_entry(
    session: Session,
    actor: Actor,
    entry_id: int,
    content: EntryContent,
    expected_version: int,
    now: datetime,
) -> KbEntry:
    entry = _for_change(session, actor, entry_id, expected_version)
    if content.department != entry.department_code and actor.role not in REVIEWERS:
        raise Forbidden("只能维护本部门的知识条目")
    clean = validate(session, content, now.date())
    _apply(entry, clean)
    entry.owner = clean.owner or entry.owner
    # A department's edit goes back to the centre for review before operators see it again.
    if actor.role not in REVIEWERS:
        entry.status = DRAFT
    entry.updated_at, entry.updated_by = now, actor.username
    _keep_version(session, actor, entry, "edit", now)
    return entry


def set_status(
    session: Session,
    actor: Actor,
    entry_id: int,
    status: str,
    expected_version: int,
    now: datetime,
) -> KbEntry:
    entry = _for_change(session, actor, entry_id, expected_version)
    if status == PUBLISHED and actor.role not in REVIEWERS:
        raise Forbidden("只有中心审核人员可以发布知识条目")
    if entry.status == status:
        raise InvalidInput(f"知识条目已是「{STATUS_LABELS[status]}」状态", field="status")
    entry.status = status
    entry.updated_at, entry.updated_by = now, actor.username
    _keep_version(session, actor, entry, "publish" if status == PUBLISHED else "withdraw", now)
    return entry


STATUS_LABELS = {DRAFT: "待审核", PUBLISHED: "已发布", WITHDRAWN: "已撤回"}


# ---------------------------------------------------------------- reading


def offered(entry: KbEntry, today: date) -> bool:
    """Whether operators may read this entry out today."""
    return (
        entry.status == PUBLISHED
        and entry.valid_from <= today
        and (entry.valid_to is None or entry.valid_to >= today)
    )


def entry_dict(entry: KbEntry, today: date) -> dict[str, Any]:
    return jsonable(
        {
            "id": entry.id,
            **_snapshot(entry),
            "status_label": STATUS_LABELS[entry.status],
            "offered": offered(entry, today),
            "expired": entry.valid_to is not None and entry.valid_to < today,
            "review_overdue": entry.review_due < today,
            "created_at": entry.created_at,
            "created_by": entry.created_by,
            "updated_at": entry.updated_at,
            "updated_by": entry.updated_by,
            "version": entry.version,
        }
    )


def list_entries(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    department: str | None = None,
    text: str | None = None,
) -> list[KbEntry]:
    if status is not None and status not in STATUSES:
        raise InvalidInput("状态必须是：" + "、".join(STATUSES), field="status")
    query = _visible_query(actor)
    if status:
        query = query.where(KbEntry.status == status)
    if department:
        query = query.where(KbEntry.department_code == department)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(KbEntry.title.like(pattern, escape="\\"))
    return list(session.scalars(query.order_by(KbEntry.department_code, KbEntry.id)))


def flagged(session: Session, actor: Actor, today: date) -> list[KbEntry]:
    """Entries that need their owner: validity ended, or the review date has passed."""
    query = _visible_query(actor).where(
        KbEntry.status != WITHDRAWN,
        or_(KbEntry.valid_to < today, KbEntry.review_due < today),
    )
    return list(session.scalars(query.order_by(KbEntry.review_due, KbEntry.id)))


def versions(session: Session, actor: Actor, entry_id: int) -> list[KbEntryVersion]:
    load(session, actor, entry_id)
    return list(
        session.scalars(
            select(KbEntryVersion)
            .where(KbEntryVersion.entry_id == entry_id)
            .order_by(KbEntryVersion.version)
        )
    )
