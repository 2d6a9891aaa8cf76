"""Schema migrations with Alembic, driven from Python, and the data every database starts with."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from importlib import resources

from alembic import command
from alembic.config import Config

from hotline.auth.service import add_user
from hotline.calendar import seed_calendar
from hotline.db import make_engine, make_session_factory, transaction
from hotline.directory.service import load_reference_data


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("hotline") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def prepare(
    url: str, users: Iterable[tuple[str, str, str | None, str]] = ()
) -> tuple[dict[str, int], int]:
    """Migrate to every head, load the reference data and the statutory calendar, and add
    ``users`` given as (name, role, department, password) — the tests' fixtures, whose
    passwords are not held to the policy for real users. Returns the reference-data counts
    and the calendar years added."""
    upgrade(url)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        counts = load_reference_data(session)
        years = seed_calendar(session)
        for name, role, department, password in users:
            add_user(
                session,
                name,
                role,
                password,
                department=department,
                now=datetime.now(),
                allow_weak_password=True,
            )
    engine.dispose()
    return counts, years
