"""At ticket creation: duplicate candidates (same matter, same place, still open) and 重复来电.

Both compare tickets by the words of their content (classifier.text tokens of two characters or
more, without common words and place names; cosine similarity) and by place (the street and 小区
named in address and content, found by classifier.places).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier.places import extract_places
from classifier.text import normalize, tokenize_normalized
from hotline.errors import InvalidInput
from hotline.kb.entries import offered
from hotline.kb.models import DuplicateCandidate, KbEntry, RepeatCall
from hotline.tickets.models import Ticket
from hotline.workflow import Actor
from hotline.workflow.states import OPEN_STATUSES, Status

LOOKBACK = timedelta(days=30)
# Duplicate: nearly the same words anywhere in the division, or similar words at the same place.
DUPLICATE_TEXT_ALONE = 0.6
DUPLICATE_TEXT_SAME_PLACE = 0.3
SAME_PLACE_BONUS = 0.25
MAX_CANDIDATES = 5
# Repeat call: the same number, and the same matter category or clearly related words.
REPEAT_TEXT = 0.3
# Bounds the work of one ticket creation on a busy division.
MAX_POOL = 2000
OPEN_VALUES = tuple(s.value for s in OPEN_STATUSES)


# Words any caller uses whatever the matter; they only make unrelated tickets look alike.
COMMON_WORDS = frozenset(
    [
        "现在",
        "没有",
        "问题",
        "反映",
        "什么",
        "时候",
        "今天",
        "昨天",
        "家里",
        "我家",
        "一点",
        "我们",
        "你们",
        "他们",
        "这个",
        "那个",
        "怎么",
        "为什么",
        "已经",
        "还是",
        "还有",
        "一下",
        "请问",
        "知道",
        "情况",
        "希望",
        "尽快",
        "处理",
        "解决",
        "市民",
        "来电",
        "一直",
        "总是",
        "就是",
        "可以",
        "能不能",
        "是不是",
        "怎么办",
        "开始",
        "中午",
        "晚上",
        "早上",
        "小区",
        "附近",
        "这边",
        "那边",
        "旁边",
        "门口",
    ]
)
# Parts of a compound domain word ("暖气不热" → 暖气、气不、不热) let it meet plainer wording.
PART_WEIGHT = 0.5


def content_terms(text: str, places: frozenset[str] = frozenset()) -> Counter[str]:
    """The words that say what the matter is: no particles, common words or place names."""
    terms: Counter[str] = Counter()
    for token in tokenize_normalized(normalize(text).lower()):
        if len(token) < 2 or token in COMMON_WORDS or any(token in p for p in places):
            continue
        terms[token] += 1
        if len(token) >= 3:
            for i in range(len(token) - 1):
                terms[token[i : i + 2]] += PART_WEIGHT
    return terms


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[term] for term, count in a.items() if term in b)
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def places_of(ticket: Ticket) -> tuple[frozenset[str], frozenset[str]]:
    """Streets and 小区 named by the ticket ({"胜利路", "金桂园小区"}), and the division's words."""
    found: set[str] = set()
    division_words: set[str] = set()
    for text in (ticket.address, ticket.content):
        match = extract_places(normalize(text or ""))
        if match.place:
            found.update(match.place.split())
        if match.division_text:
            division_words.add(match.division_text)
    return frozenset(found), frozenset(division_words)


@dataclass(frozen=True)
class Likeness:
    text: float
    same_place: bool

    @property
    def score(self) -> float:
        return round(self.text + (SAME_PLACE_BONUS if self.same_place else 0.0), 4)

    @property
    def duplicate(self) -> bool:
        return self.text >= DUPLICATE_TEXT_ALONE or (
            self.same_place and self.text >= DUPLICATE_TEXT_SAME_PLACE
        )


class TicketProfile:
    """A ticket's words and places, computed once per comparison run."""

    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self.places, division_words = places_of(ticket)
        self.terms = content_terms(ticket.content, self.places | division_words)

    def likeness(self, other: TicketProfile) -> Likeness:
        return Likeness(round(cosine(self.terms, other.terms), 4), bool(self.places & other.places))


def find_duplicates(session: Session, ticket: Ticket, now: datetime) -> list[DuplicateCandidate]:
    query = select(Ticket).where(
        Ticket.id != ticket.id,
        Ticket.status.in_(OPEN_VALUES),
        Ticket.created_at >= now - LOOKBACK,
    )
    if ticket.division_code:
        query = query.where(Ticket.division_code == ticket.division_code)
    pool = session.scalars(query.order_by(Ticket.id.desc()).limit(MAX_POOL)).all()
    me = TicketProfile(ticket)
    found = []
    for other in pool:
        likeness = me.likeness(TicketProfile(other))
        # Without a division the place itself must match: "anywhere in the city" is too wide.
        if likeness.duplicate and (ticket.division_code or likeness.same_place):
            found.append((likeness, other))
    found.sort(key=lambda pair: (-pair[0].score, -pair[1].id))
    candidates = [
        DuplicateCandidate(
            ticket_id=ticket.id,
            candidate_id=other.id,
            text_similarity=likeness.text,
            same_place=likeness.same_place,
            score=likeness.score,
            found_at=now,
        )
        for likeness, other in found[:MAX_CANDIDATES]
    ]
    session.add_all(candidates)
    return candidates


def find_repeat_call(session: Session, ticket: Ticket, now: datetime) -> RepeatCall | None:
    earlier = session.scalars(
        select(Ticket)
        .where(
            Ticket.id != ticket.id,
            Ticket.citizen_phone == ticket.citizen_phone,
            Ticket.created_at >= now - LOOKBACK,
            Ticket.status != Status.WITHDRAWN.value,
        )
        .order_by(Ticket.id.desc())
    ).all()
    me = TicketProfile(ticket)
    for previous in earlier:
        same_category = bool(ticket.matter_category) and (
            ticket.matter_category == previous.matter_category
        )
        similarity = me.likeness(TicketProfile(previous)).text
        if same_category or similarity >= REPEAT_TEXT:
            repeat = RepeatCall(
                ticket_id=ticket.id,
                previous_ticket_id=previous.id,
                citizen_phone=ticket.citizen_phone,
                same_category=same_category,
                text_similarity=similarity,
                found_at=now,
            )
            session.add(repeat)
            return repeat
    return None


def on_ticket_created(session: Session, ticket: Ticket, _body: dict[str, Any]) -> None:
    """The ``ticket_created_hooks`` hook: runs in the creating transaction."""
    now = ticket.created_at
    find_duplicates(session, ticket, now)
    find_repeat_call(session, ticket, now)
    session.flush()


def on_ticket_action(
    session: Session, ticket: Ticket, action: str, params: dict[str, Any], _actor: Actor
) -> None:
    """The ``ticket_action_hooks`` hook: a 直接办结 records which entry answered the call."""
    if action != "close-direct" or params.get("kb_entry_id") is None:
        return
    entry_id = params["kb_entry_id"]
    if isinstance(entry_id, bool) or not isinstance(entry_id, int):
        raise InvalidInput("kb_entry_id 必须是知识条目编号（整数）", field="kb_entry_id")
    entry = session.get(KbEntry, entry_id)
    if entry is None or not offered(entry, ticket.updated_at.date()):
        raise InvalidInput("所选知识条目不存在或当前未发布", field="kb_entry_id")
    ticket.kb_entry_id = entry.id
