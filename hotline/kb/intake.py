"""At ticket creation: duplicate candidates (same matter, same place, still open) and 重复来电.

Both compare tickets by their stored profiles (hotline.kb.profiles): the words of their content
(cosine similarity) and the places they name. No earlier ticket is re-tokenised: candidates are
picked in SQL from the word index, and only their stored profiles are compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.errors import InvalidInput
from hotline.kb.entries import offered
from hotline.kb.models import DuplicateCandidate, KbEntry, RepeatCall, TicketPlace, TicketTerm
from hotline.kb.profiles import (
    Profile,
    backfill_profiles,
    cosine,
    store_profile,
    stored_profiles,
)
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
# Bounds the work of one ticket creation on a busy division: the open tickets sharing the most
# words with the new one are compared exactly, the others cannot outscore them by much.
CANDIDATE_POOL = 200
OPEN_VALUES = tuple(s.value for s in OPEN_STATUSES)


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


def likeness(a: Profile, b: Profile) -> Likeness:
    return Likeness(round(cosine(a.terms, b.terms), 4), bool(a.places & b.places))


def find_duplicates(
    session: Session, ticket: Ticket, profile: Profile, now: datetime
) -> list[DuplicateCandidate]:
    if not profile.terms or not (ticket.division_code or profile.places):
        return []  # no word in common with anything, or no division and no place to meet at
    scope = [
        Ticket.id != ticket.id,
        Ticket.status.in_(OPEN_VALUES),
        Ticket.created_at >= now - LOOKBACK,
    ]
    if ticket.division_code:
        scope.append(Ticket.division_code == ticket.division_code)
    backfill_profiles(session, *scope)
    if not ticket.division_code:
        # Without a division the place itself must match: "anywhere in the city" is too wide.
        at_my_places = select(TicketPlace.ticket_id).where(TicketPlace.place.in_(profile.places))
        scope.append(Ticket.id.in_(at_my_places))
    shared_terms = func.count()
    pool = session.scalars(
        select(TicketTerm.ticket_id)
        .join(Ticket, Ticket.id == TicketTerm.ticket_id)
        .where(TicketTerm.term.in_(list(profile.terms)), *scope)
        .group_by(TicketTerm.ticket_id)
        .order_by(shared_terms.desc(), TicketTerm.ticket_id.desc())
        .limit(CANDIDATE_POOL)
    ).all()
    found = []
    for other_id, other in stored_profiles(session, pool).items():
        other_likeness = likeness(profile, other)
        if other_likeness.duplicate and (ticket.division_code or other_likeness.same_place):
            found.append((other_likeness, other_id))
    found.sort(key=lambda pair: (-pair[0].score, -pair[1]))
    candidates = [
        DuplicateCandidate(
            ticket_id=ticket.id,
            candidate_id=other_id,
            text_similarity=other_likeness.text,
            same_place=other_likeness.same_place,
            score=other_likeness.score,
            found_at=now,
        )
        for other_likeness, other_id in found[:MAX_CANDIDATES]
    ]
    session.add_all(candidates)
    return candidates


def find_repeat_call(
    session: Session, ticket: Ticket, profile: Profile, now: datetime
) -> RepeatCall | None:
    earlier = session.execute(
        select(Ticket.id, Ticket.matter_category)
        .where(
            Ticket.id != ticket.id,
            Ticket.citizen_phone == ticket.citizen_phone,
            Ticket.created_at >= now - LOOKBACK,
            Ticket.status != Status.WITHDRAWN.value,
        )
        .order_by(Ticket.id.desc())
    ).all()
    profiles = stored_profiles(session, (previous_id for previous_id, _ in earlier))
    for previous_id, matter_category in earlier:
        same_category = bool(ticket.matter_category) and (ticket.matter_category == matter_category)
        similarity = likeness(profile, profiles[previous_id]).text
        if same_category or similarity >= REPEAT_TEXT:
            repeat = RepeatCall(
                ticket_id=ticket.id,
                previous_ticket_id=previous_id,
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
    profile = store_profile(session, ticket)
    find_duplicates(session, ticket, profile, now)
    find_repeat_call(session, ticket, profile, now)
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
