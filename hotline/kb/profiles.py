"""A ticket's profile: the words that say what the matter is, and the places it names.

Computed once, when the ticket is filed (jieba is the expensive part), and stored in
``ticket_profiles`` with two inverted indexes, ``ticket_terms`` and ``ticket_places``, from which
duplicate detection picks its candidates in SQL. Tickets filed before the profiles existed get
theirs the first time one is needed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.orm import Session

from classifier.places import extract_places
from classifier.text import normalize, tokenize_normalized
from hotline.kb.models import StoredProfile, TicketPlace, TicketTerm
from hotline.tickets.models import Ticket

# The indexes' column width; a longer token (a run of digits or Latin letters) is kept in the
# profile, so it still counts in the similarity, but it does not pick candidates.
MAX_INDEXED_LENGTH = 64

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
class Profile:
    terms: Counter[str]
    places: frozenset[str]


def profile_of(ticket: Ticket) -> Profile:
    places, division_words = places_of(ticket)
    return Profile(content_terms(ticket.content, places | division_words), places)


class TicketProfile:
    """A ticket beside its words and places, for the hourly hot-topic clustering."""

    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket
        profile = profile_of(ticket)
        self.terms, self.places = profile.terms, profile.places


def store_profile(session: Session, ticket: Ticket) -> Profile:
    """Compute the ticket's profile and store it with its index rows."""
    profile = profile_of(ticket)
    _store(session, {ticket.id: profile})
    return profile


def _store(session: Session, profiles: dict[int, Profile]) -> None:
    session.add_all(
        StoredProfile(ticket_id=ticket_id, terms=dict(p.terms), places=sorted(p.places))
        for ticket_id, p in profiles.items()
    )
    session.flush()
    terms = [
        {"ticket_id": ticket_id, "term": term}
        for ticket_id, p in profiles.items()
        for term in p.terms
        if len(term) <= MAX_INDEXED_LENGTH
    ]
    places = [
        {"ticket_id": ticket_id, "place": place}
        for ticket_id, p in profiles.items()
        for place in p.places
        if len(place) <= MAX_INDEXED_LENGTH
    ]
    if terms:
        session.execute(insert(TicketTerm), terms)
    if places:
        session.execute(insert(TicketPlace), places)


def backfill_profiles(session: Session, *where: ColumnElement[bool]) -> None:
    """Store the profiles that these tickets lack (tickets filed before profiles existed)."""
    missing_ids = (
        select(Ticket.id)
        .outerjoin(StoredProfile, StoredProfile.ticket_id == Ticket.id)
        .where(StoredProfile.ticket_id.is_(None), *where)
    )
    missing = session.scalars(select(Ticket).where(Ticket.id.in_(missing_ids))).all()
    if missing:
        _store(session, {ticket.id: profile_of(ticket) for ticket in missing})


def stored_profiles(session: Session, ticket_ids: Iterable[int]) -> dict[int, Profile]:
    """The profiles of these tickets, computing and storing any that is missing."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    backfill_profiles(session, Ticket.id.in_(ids))
    rows = session.execute(
        select(StoredProfile.ticket_id, StoredProfile.terms, StoredProfile.places).where(
            StoredProfile.ticket_id.in_(ids)
        )
    )
    return {
        ticket_id: Profile(Counter(terms), frozenset(places)) for ticket_id, terms, places in rows
    }
