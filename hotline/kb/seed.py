"""The demo knowledge base: entries written for this project, loaded published (``hotline kb seed``)."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.kb.entries import PUBLISHED, EntryContent, create_entry
from hotline.kb.models import KbEntry
from hotline.workflow import Actor, Role

SEED_ACTOR = Actor("kb-seed", Role.ADMIN)


def seed_entries() -> list[dict[str, Any]]:
    text = (resources.files("hotline") / "data" / "kb_seed.json").read_text(encoding="utf-8")
    return json.loads(text)["entries"]


def seed_kb(session: Session, now: datetime) -> int:
    """Add the seed entries not yet present (same department and title); returns how many."""
    present = {(d, t) for d, t in session.execute(select(KbEntry.department_code, KbEntry.title))}
    added = 0
    for row in seed_entries():
        if (row["department"], row["title"]) in present:
            continue
        create_entry(session, SEED_ACTOR, EntryContent(**row), now, status=PUBLISHED)
        added += 1
    return added
