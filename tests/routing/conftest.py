"""Routing in the app: the core fixtures (database, services, client, api) plus label helpers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, select, text

from hotline.routing.models import RoutingLabel
from hotline.services import Services
from tests.core.conftest import *  # noqa: F403
from tests.core.conftest import _prepare


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A database of this folder's own on the test server. The star import defines the core
    fixtures a second time in the session, so sharing the core's database would prepare it
    (users and all) twice when tests/core runs in the same session."""
    server = make_url(postgres_server_url)
    name = f"{server.database}_routing"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    _prepare(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def labels(services: Services):  # type: ignore[no-untyped-def]
    """A function returning the stored routing labels, oldest first."""

    def stored() -> list[RoutingLabel]:
        with services.sessions() as session:
            return list(session.scalars(select(RoutingLabel).order_by(RoutingLabel.id)))

    return stored
