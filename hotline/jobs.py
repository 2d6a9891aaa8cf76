"""Scheduled jobs (deadline scan, hot topics) run in every API worker; the workers share one
schedule through a row per job in ``settings``, so each job runs about once per interval however
many workers there are, and never twice at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.auth.models import Setting
from hotline.db import upsert_insert


def claim_job(
    session: Session, job: str, now: datetime, *, unless_ran_within: timedelta | None = None
) -> bool:
    """Whether this transaction may run ``job`` now; if so, ``now`` is recorded as its start.

    The job's row stays locked until the pass's transaction ends: a worker that finds it locked
    skips (a pass is running; on PostgreSQL, ``SKIP LOCKED``). With ``unless_ran_within`` a
    worker also skips when a pass started that recently — the periodic loop's case; a pass
    asked for by hand (``hotline scan``) runs whenever none is running."""
    key = f"job:{job}"
    row = _lock(session, key)
    if row is None and session.get(Setting, key) is None:
        _create(session, key)
        row = _lock(session, key)
    if row is None:
        return False
    recently = (
        unless_ran_within is not None
        and row.value != ""
        and now - datetime.fromisoformat(row.value) < unless_ran_within
    )
    if recently:
        return False
    row.value = now.isoformat()
    return True


def _lock(session: Session, key: str) -> Setting | None:
    """The job's row, locked for this transaction; None if another transaction holds it."""
    return session.scalars(
        select(Setting).where(Setting.key == key).with_for_update(skip_locked=True)
    ).first()


def _create(session: Session, key: str) -> None:
    """The job's first row, committed at once on a connection of its own: inside a pass, every
    other worker's insert would wait for the whole pass instead of skipping it."""
    engine = session.get_bind()
    insert = upsert_insert(engine)
    with engine.begin() as connection:
        connection.execute(insert(Setting).values(key=key, value="").on_conflict_do_nothing())
