"""Writing the audit trail, in the same transaction as the change it records."""

from __future__ import annotations

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
