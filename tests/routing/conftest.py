"""Routing in the app: the core fixtures (database, services, client, api) plus label helpers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.routing.models import RoutingLabel
from hotline.services import Services


@pytest.fixture
def labels(services: Services):  # type: ignore[no-untyped-def]
    """A function returning the stored routing labels, oldest first."""

    def stored() -> list[RoutingLabel]:
        with services.sessions() as session:
            return list(session.scalars(select(RoutingLabel).order_by(RoutingLabel.id)))

    return stored
