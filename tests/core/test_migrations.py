"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic import command

from hotline.migrate import alembic_config


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    # Raises if autogenerate would find any difference between the database and the models.
    command.check(alembic_config(database_url))
