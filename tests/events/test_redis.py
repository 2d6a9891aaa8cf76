"""RedisStreamBus against the real Redis server."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
import redis

from hotline.events import Event, EventBusError, RedisStreamBus, make_bus
from tests.conftest import free_port

pytestmark = pytest.mark.redis


@pytest.fixture
def stream(redis_prefix: str) -> str:
    return f"{redis_prefix}:events"


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def make(redis_url: str, stream: str) -> Iterator[Callable[..., RedisStreamBus]]:
    buses: list[RedisStreamBus] = []

    def build(**kw: object) -> RedisStreamBus:
        bus = RedisStreamBus(redis_url, stream=stream, **kw)  # type: ignore[arg-type]
        buses.append(bus)
        return bus

    yield build
    for bus in buses:
        bus.close()


def _consume_until(done: Callable[[], bool], *buses: RedisStreamBus, timeout: float = 10.0) -> None:
    """Run each bus's run_consumer in its own thread until done() or timeout."""
    stop = threading.Event()
    workers = [threading.Thread(target=bus.run_consumer, args=(stop, 50)) for bus in buses]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    for worker in workers:
        worker.join(timeout=5)
        assert not worker.is_alive()


def test_make_bus_with_url_is_redis(redis_url: str, stream: str) -> None:
    bus = make_bus(redis_url, stream=stream)
    assert isinstance(bus, RedisStreamBus)
    bus.close()


def test_publish_consume_round_trip_and_ack(
    make: Callable[..., RedisStreamBus], raw: redis.Redis, stream: str
) -> None:
    bus = make()
    received: list[Event] = []
    bus.subscribe(received.append)
    sent = [Event("ticket.dispatched", {"ticket": i, "部门": "水务局"}) for i in range(5)]
    for event in sent:
        bus.publish(event)
    _consume_until(lambda: len(received) == 5, bus)
    assert received == sent
    assert raw.xpending(stream, bus.group)["pending"] == 0


def test_two_consumers_share_without_duplicates_or_loss(
    make: Callable[..., RedisStreamBus],
) -> None:
    # Small batches and a little work per event make both workers take turns on the backlog.
    first, second = (
        make(consumer="worker-1", batch_size=10),
        make(consumer="worker-2", batch_size=10),
    )
    seen: dict[str, list[int]] = {"worker-1": [], "worker-2": []}

    def handler_for(name: str) -> Callable[[Event], None]:
        def handle(event: Event) -> None:
            time.sleep(0.002)
            seen[name].append(event.payload["n"])

        return handle

    first.subscribe(handler_for("worker-1"))
    second.subscribe(handler_for("worker-2"))
    for n in range(200):
        first.publish(Event("call.answered", {"n": n}))
    _consume_until(lambda: len(seen["worker-1"]) + len(seen["worker-2"]) >= 200, first, second)
    assert sorted(seen["worker-1"] + seen["worker-2"]) == list(range(200))
    assert seen["worker-1"] and seen["worker-2"]


def test_messages_of_a_dead_consumer_are_reclaimed(
    make: Callable[..., RedisStreamBus], raw: redis.Redis, stream: str
) -> None:
    survivor = make(consumer="survivor", claim_idle_ms=100)
    received: list[int] = []
    survivor.subscribe(lambda e: received.append(e.payload["n"]))
    for n in range(3):
        survivor.publish(Event("ticket.created", {"n": n}))
    # A worker reads through the group and dies before acknowledging.
    raw.xgroup_create(stream, survivor.group, id="0-0", mkstream=True)
    taken = raw.xreadgroup(survivor.group, "dead-worker", {stream: ">"}, count=10)
    assert len(taken[0][1]) == 3
    survivor.publish(Event("ticket.created", {"n": 3}))
    _consume_until(lambda: len(received) == 4, survivor)
    assert sorted(received) == [0, 1, 2, 3]
    assert raw.xpending(stream, survivor.group)["pending"] == 0


def test_failed_handler_is_retried_then_dead_lettered(
    make: Callable[..., RedisStreamBus], raw: redis.Redis, stream: str
) -> None:
    bus = make(claim_idle_ms=20, max_deliveries=3)
    attempts: Counter[int] = Counter()
    handled: list[int] = []

    def flaky(event: Event) -> None:
        n = event.payload["n"]
        attempts[n] += 1
        if n == 1 or attempts[n] <= 2:  # n=0 recovers on its third try; n=1 is poison
            raise RuntimeError("database is down")
        handled.append(n)

    bus.subscribe(flaky)
    bus.publish(Event("ticket.overdue", {"n": 0}))
    bus.publish(Event("ticket.overdue", {"n": 1}))
    _consume_until(lambda: raw.xlen(f"{stream}:dead") == 1 and handled == [0], bus)
    assert handled == [0] and attempts == {0: 3, 1: 3}
    dead = raw.xrange(f"{stream}:dead")
    assert Event.from_json(dead[0][1][b"event"]).payload == {"n": 1}
    assert raw.xpending(stream, bus.group)["pending"] == 0


def test_undecodable_message_is_dead_lettered(
    make: Callable[..., RedisStreamBus], raw: redis.Redis, stream: str
) -> None:
    bus = make()
    received: list[Event] = []
    bus.subscribe(received.append)
    raw.xadd(stream, {"event": "{not json"})
    bus.publish(Event("ticket.closed", {}))
    _consume_until(lambda: len(received) == 1 and raw.xlen(f"{stream}:dead") == 1, bus)
    assert [e.type for e in received] == ["ticket.closed"]
    assert b"undecodable" in raw.xrange(f"{stream}:dead")[0][1][b"reason"]


def test_listen_sees_every_live_event_on_every_listener(
    make: Callable[..., RedisStreamBus],
) -> None:
    web_1, web_2, publisher = make(), make(), make()
    publisher.publish(Event("old.event", {}))

    async def scenario() -> tuple[list[str], list[str]]:
        first, second = web_1.listen(), web_2.listen()
        await asyncio.to_thread(
            lambda: [publisher.publish(Event(f"live.{i}", {})) for i in range(20)]
        )

        async def take(stream: object) -> list[str]:
            return [(await anext(stream)).type for _ in range(20)]  # type: ignore[arg-type]

        return await asyncio.wait_for(asyncio.gather(take(first), take(second)), timeout=10)

    got_1, got_2 = asyncio.run(scenario())
    expected = [f"live.{i}" for i in range(20)]
    assert got_1 == expected and got_2 == expected


def test_publish_to_unreachable_redis_fails_fast_and_clearly() -> None:
    bus = RedisStreamBus(f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    with pytest.raises(EventBusError, match=r"could not publish ticket\.created"):
        bus.publish(Event("ticket.created", {}))
    assert time.monotonic() - started < 2
    with pytest.raises(EventBusError, match="could not reach"):
        bus.listen()
    bus.close()


def test_consumer_survives_unreachable_redis(caplog: pytest.LogCaptureFixture) -> None:
    bus = RedisStreamBus(f"redis://127.0.0.1:{free_port()}/0")
    stop = threading.Event()
    with caplog.at_level(logging.WARNING, logger="hotline.events.redis_stream"):
        worker = threading.Thread(target=bus.run_consumer, args=(stop, 50))
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive()
        stop.set()
        worker.join(timeout=5)
    assert "retrying" in caplog.text
    bus.close()


def test_bad_configuration_is_rejected(redis_url: str) -> None:
    with pytest.raises(ValueError, match="maxlen"):
        RedisStreamBus(redis_url, maxlen=0)
    with pytest.raises(EventBusError, match="invalid Redis URL"):
        RedisStreamBus("http://example.invalid")
