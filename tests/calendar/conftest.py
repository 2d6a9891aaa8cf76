"""Calendar fixtures: the library-seeded calendar, and sessions on SQLite and real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hotline.calendar import WorkCalendar, library_overrides, library_years
from hotline.calendar.models import CALENDAR_TABLES
from hotline.db import Base, make_engine, make_session_factory


@pytest.fixture(scope="session")
def library_calendar() -> WorkCalendar:
    years = library_years()
    return WorkCalendar(library_overrides(years), set(years))


def _session_on(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    Base.metadata.create_all(engine, tables=list(CALENDAR_TABLES))
    session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()
        Base.metadata.drop_all(engine, tables=list(CALENDAR_TABLES))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    """A session on an empty calendar schema, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'calendar.db'}"
    else:
        url = request.getfixturevalue("scratch_postgres_url")
    yield from _session_on(url)
