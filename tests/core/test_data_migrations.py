"""Data migrations: what an upgrade changes in rows written by earlier versions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select

from hotline.calls.models import Call
from hotline.db import make_engine, make_session_factory, transaction
from hotline.kb.models import RepeatCall
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


def test_0009_stores_each_phone_number_one_way(empty_database: str) -> None:
    prepare(empty_database)
    engine = make_engine(empty_database)
    sessions = make_session_factory(engine)
    # As versions before 0009 stored them: as typed, and caller IDs as the trunk presented them.
    typed = {"1": "013800138000", "2": "0373-5551234", "3": "13800138000", "4": "03735551234"}
    presented = {"a": "+8613800138000", "b": "013800138000", "c": "95598", "d": ""}
    with transaction(sessions) as session:
        for number, phone in typed.items():
            ticket = _ticket(number, "accepted")
            ticket.citizen_phone = phone
            session.add(ticket)
            session.flush()
            session.add(
                RepeatCall(ticket_id=ticket.id, previous_ticket_id=ticket.id, citizen_phone=phone,
                           same_category=True, text_similarity=1.0, found_at=FILED)
            )  # fmt: skip
        for linkedid, caller in presented.items():
            session.add(
                Call(linkedid=linkedid, caller=caller, state="ended", started_at=FILED,
                     transfers=[], priority=False)
            )  # fmt: skip
    config = alembic_config(empty_database)
    command.downgrade(config, "0008")
    command.upgrade(config, "heads")

    with sessions() as session:
        tickets = dict(session.execute(select(Ticket.number, Ticket.citizen_phone)).all())
        repeats = set(session.scalars(select(RepeatCall.citizen_phone)))
        calls = dict(session.execute(select(Call.linkedid, Call.caller)).all())
    engine.dispose()
    assert tickets == {
        "1": "13800138000",
        "2": "03735551234",
        "3": "13800138000",
        "4": "03735551234",
    }
    assert repeats == {"13800138000", "03735551234"}
    # A number that is no citizen's stays as the trunk presented it.
    assert calls == {"a": "13800138000", "b": "13800138000", "c": "95598", "d": ""}
