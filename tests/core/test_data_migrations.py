"""Data migrations: what an upgrade changes in rows written by earlier versions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select

from hotline.db import make_engine, make_session_factory, transaction
from hotline.migrate import alembic_config, prepare
from hotline.tickets.models import Dispatch, Ticket
from tests.conftest import _fresh_postgres_database

FILED = datetime(2026, 11, 2, 9, 0)
CLOSED = datetime(2026, 11, 3, 10, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgraded.db'}"
    else:
        yield from _fresh_postgres_database()


def _ticket(number: str, status: str) -> Ticket:
    closed = status in {"withdrawn", "merged"}
    return Ticket(
        number=number,
        channel="phone",
        citizen_phone="13900001111",
        content="路灯不亮",
        type="求助",
        status=status,
        department_code="CG",
        co_handlers=[],
        closed_at=CLOSED if closed else None,
        closed_how=status if closed else None,
        created_at=FILED,
        created_by="op",
        updated_at=CLOSED,
    )


def test_0008_ends_the_dispatches_that_withdrawn_and_merged_tickets_left_open(
    empty_database: str,
) -> None:
    prepare(empty_database)
    engine = make_engine(empty_database)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        for number, status in (("1", "withdrawn"), ("2", "merged"), ("3", "accepted")):
            ticket = _ticket(number, status)
            session.add(ticket)
            session.flush()
            # As versions before 0008 left them: the dispatch still open.
            session.add(
                Dispatch(ticket_id=ticket.id, department_code="CG", dispatched_at=FILED,
                         sign_due=FILED, reply_due=FILED)
            )  # fmt: skip
    config = alembic_config(empty_database)
    command.downgrade(config, "0007")
    command.upgrade(config, "heads")

    with sessions() as session:
        rows = session.execute(
            select(Ticket.number, Dispatch.ended_at, Dispatch.outcome)
            .join(Dispatch, Dispatch.ticket_id == Ticket.id)
            .order_by(Ticket.number)
        ).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("1", CLOSED, "withdrawn"),
        ("2", CLOSED, "merged"),
        ("3", None, None),  # an open ticket keeps its open dispatch
    ]
