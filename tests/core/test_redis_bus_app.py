"""With HOTLINE_REDIS_URL set, every ticket transition lands in the Redis stream."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.config import Settings
from hotline.events import Event, RedisStreamBus
from hotline.services import Services
from tests.app_fixtures import Api, Clock


@pytest.fixture
def redis_api(
    database_url: str, redis_url: str, redis_prefix: str, clock: Clock
) -> Iterator[tuple[Api, str]]:
    stream = f"{redis_prefix}:events"
    bus = RedisStreamBus(redis_url, stream=stream, group=f"{redis_prefix}-group")
    svc = Services(Settings(database_url=database_url, scan_interval_seconds=3600), bus=bus)
    svc.clock = clock
    with TestClient(create_app(services=svc)) as client:
        yield Api(client), stream


def test_transitions_are_published_to_redis_streams(
    redis_api: tuple[Api, str], redis_url: str
) -> None:
    api, stream = redis_api
    tid = api.create()["id"]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})
    api.act("zj", tid, "accept")
    raw = redis.Redis.from_url(redis_url).xrange(stream)
    published = [Event.from_json(next(iter(fields.values()))) for _, fields in raw]
    mine = [e for e in published if e.payload.get("ticket_id") == tid]
    assert [e.type for e in mine] == ["ticket.created", "ticket.dispatched", "ticket.accepted"]
    assert mine[1].payload["department"] == "ZJ"
