"""The transactional outbox: a write never fails for want of the bus, and its events reach the
bus once the bus is back — in order, once each, however many relays run."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.app import create_app
from hotline.config import Settings
from hotline.db import transaction
from hotline.events import Event, EventBusError, InProcessBus
from hotline.events.outbox import store_events
from hotline.models import OutboxEvent
from hotline.services import Services
from tests.app_fixtures import Api, Clock


class SwitchableBus(InProcessBus):
    """The in-process bus, with a switch standing for Redis going away and coming back."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.heard: list[Event] = []
        self.subscribe(self.heard.append)

    def publish(self, event: Event) -> None:
        if self.down:
            raise EventBusError("the bus is down")
        super().publish(event)


@pytest.fixture
def bus() -> SwitchableBus:
    return SwitchableBus()


@pytest.fixture
def outage_api(database_url: str, bus: SwitchableBus, clock: Clock) -> Iterator[Api]:
    svc = Services(Settings(database_url=database_url, scan_interval_seconds=3600), bus=bus)
    svc.clock = clock
    with TestClient(create_app(services=svc)) as client:
        yield Api(client)


def wait_for(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def test_writes_succeed_while_the_bus_is_down_and_their_events_follow_in_order(
    outage_api: Api, bus: SwitchableBus
) -> None:
    bus.down = True
    first = outage_api.create()
    outage_api.act("disp", first["id"], "dispatch", {"department": "ZJ"})
    public = outage_api.client.post(
        "/api/public/tickets",
        json={"content": "路灯不亮已经三天", "citizen_phone": "13900001111", "type": "求助"},
    )
    assert public.status_code == 201, public.text
    assert bus.heard == []
    bus.down = False
    # No request needed: the relay's loop retries by itself.
    wait_for(lambda: len(bus.heard) == 3)
    assert [(e.type, e.payload["number"]) for e in bus.heard] == [
        ("ticket.created", first["number"]),
        ("ticket.dispatched", first["number"]),
        ("ticket.created", public.json()["number"]),
    ]
    ids = [int(e.id) for e in bus.heard]
    assert ids == sorted(ids)
    # Once published, nothing is sent again.
    outage_api.act("zj", first["id"], "accept")
    assert [e.type for e in bus.heard[3:]] == ["ticket.accepted"]


def test_events_leave_once_each_in_id_order_when_relays_race(database_url: str) -> None:
    """Several processes' relays, and several threads in each, all passing at once."""
    settings = Settings(database_url=database_url, scan_interval_seconds=3600)
    relays = [Services(settings, bus=SwitchableBus()) for _ in range(3)]
    writer = relays[0]
    with transaction(writer.sessions) as session:
        store_events(session, [Event("ticket.overdue", {"n": n}) for n in range(300)])
    start = threading.Barrier(6)

    def relay(svc: Services) -> None:
        start.wait()
        for _ in range(5):
            svc.relay.relay()

    threads = [threading.Thread(target=relay, args=(svc,)) for svc in relays * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A pass that found another process's pass busy left the rest to it, or to its own loop.
    for svc in relays:
        svc.relay.relay()
    heard = [[int(e.id) for e in svc.bus.heard] for svc in relays]  # type: ignore[attr-defined]
    everything = sorted(event_id for ids in heard for event_id in ids)
    with writer.sessions() as session:
        stored = list(session.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id)))
        unpublished = session.scalars(
            select(OutboxEvent.id).where(OutboxEvent.published_at.is_(None))
        ).all()
    assert everything == stored  # every event, none twice
    assert unpublished == []
    for ids in heard:
        assert ids == sorted(ids)
    for svc in relays:
        svc.close()


def test_published_events_are_pruned_after_a_while(services: Services, clock: Clock) -> None:
    with services.unit() as (session, outbox):
        outbox.events.append(Event("ticket.overdue", {"n": 1}))
    services.bus.close()  # the next one stays unpublished
    with services.unit() as (session, outbox):
        outbox.events.append(Event("ticket.overdue", {"n": 2}))
    clock.now += timedelta(hours=23)
    assert services.relay.prune(keep=timedelta(days=1)) == 0
    clock.now += timedelta(hours=2)
    assert services.relay.prune(keep=timedelta(days=1)) == 1
    with services.sessions() as session:
        left = session.scalars(select(OutboxEvent)).all()
    assert [(row.payload, row.published_at) for row in left] == [({"n": 2}, None)]


def test_a_consumer_handles_an_event_id_once_and_a_failed_one_again() -> None:
    bus = InProcessBus()
    handled: list[str] = []
    failing = {"2"}

    def handler(event: Event) -> None:
        if event.id in failing:
            raise RuntimeError("not now")
        handled.append(event.id)

    bus.subscribe(handler)
    for event_id in ("1", "1", "2"):
        bus.publish(Event("ticket.created", {}, id=event_id))
    failing.clear()
    bus.publish(Event("ticket.created", {}, id="2"))  # delivered again: handled this time
    bus.publish(Event("ticket.created", {}, id="2"))
    assert handled == ["1", "2"]
