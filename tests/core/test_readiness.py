"""GET /api/health/ready: what a load balancer asks before sending a worker calls — 503 unless
the database answers; the bus and the AMI connection are reported, not required."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.config import Settings
from hotline.events import InProcessBus, RedisStreamBus
from hotline.services import Services
from tests.conftest import free_port


def test_ready_when_the_database_and_the_bus_answer(client: TestClient) -> None:
    reply = client.get("/api/health/ready")
    assert reply.status_code == 200
    assert reply.json() == {
        "status": "ready",
        "checks": {"database": "ok", "bus": "ok", "ami": "off"},
    }


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_ready_with_redis_gone_reporting_it(
    database_url: str, redis_url: str, redis_prefix: str
) -> None:
    settings = Settings(database_url=database_url, scan_interval_seconds=3600)
    for url, status, bus_check in (
        (redis_url, 200, "ok"),
        # Writes go on while Redis is away (their events wait in the outbox): still ready.
        (f"redis://127.0.0.1:{free_port()}/0", 200, "unavailable"),
    ):
        bus = RedisStreamBus(url, stream=f"{redis_prefix}:events")
        services = Services(settings, bus=bus)
        with TestClient(create_app(settings, services=services)) as client:
            reply = client.get("/api/health/ready")
        assert reply.status_code == status
        assert reply.json()["checks"] == {"database": "ok", "bus": bus_check, "ami": "off"}
        assert "127.0.0.1" not in reply.text  # the reason is logged, not told


def test_not_ready_when_the_database_goes_away_and_still_alive(own_postgres_database: str) -> None:
    settings = Settings(database_url=own_postgres_database, scan_interval_seconds=3600)
    services = Services(settings, bus=InProcessBus())
    with TestClient(create_app(settings, services=services)) as client:
        assert client.get("/api/health/ready").status_code == 200
        name = sa.engine.make_url(own_postgres_database).database
        admin = sa.create_engine(own_postgres_database.replace(f"/{name}", "/postgres"))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
        reply = client.get("/api/health/ready")
        assert reply.status_code == 503
        assert reply.json() == {
            "status": "unavailable",
            "checks": {"database": "unavailable", "bus": "ok", "ami": "off"},
        }
        assert client.get("/api/health").json() == {"status": "ok"}  # liveness: still answers
