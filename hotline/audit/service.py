"""Writing the audit trail, in the same transaction as the change it records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hotline.audit.models import AuditRecord
from hotline.workflow import Actor


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    now: datetime,
    **detail: Any,
) -> None:
    session.add(
        AuditRecord(
            at=now,
            actor=actor.username,
            role=actor.role.value,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            detail=detail,
        )
    )


READ_PERSONAL_DATA = "read_personal_data"


def record_read(
    session: Session,
    actor: Actor,
    entity: str,
    shown: Sequence[object],
    now: datetime,
    *,
    fields: list[str],
    searched_phone: str | None = None,
) -> None:
    """One audit row for one request that showed a citizen's personal data (``fields``) of the
    ``shown`` records: ``entity_id`` is the record when there is one, ``list`` otherwise, and
    ``detail.ids`` names them all, so a list of 200 is one row, not 200. A search by phone
    (``searched_phone``, masked by the caller) is a read even when nothing was shown unmasked:
    it tells whether and what that number asked. Nothing shown and nothing searched: no row."""
    ids = [str(record_id) for record_id in shown]
    if not ids and searched_phone is None:
        return
    entity_id = ids[0] if len(ids) == 1 else "list"
    searched = {} if searched_phone is None else {"searched_phone": searched_phone}
    record(
        session,
        actor,
        READ_PERSONAL_DATA,
        entity,
        entity_id,
        now,
        fields=fields,
        ids=ids,
        **searched,
    )
