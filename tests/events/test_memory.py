from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from hotline.events import Event, EventBusError, InProcessBus, make_bus


def test_make_bus_without_url_is_in_process() -> None:
    assert isinstance(make_bus(None), InProcessBus)


def test_handlers_run_synchronously_in_order() -> None:
    bus = InProcessBus()
    seen: list[tuple[str, str]] = []
    bus.subscribe(lambda e: seen.append(("first", e.type)))
    bus.subscribe(lambda e: seen.append(("second", e.type)))
    bus.publish(Event("ticket.created", {}))
    assert seen == [("first", "ticket.created"), ("second", "ticket.created")]


def test_failing_handler_is_logged_and_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    bus = InProcessBus()
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    event = Event("ticket.overdue", {"ticket": 7})
    with caplog.at_level(logging.ERROR, logger="hotline.events.core"):
        bus.publish(event)
    assert seen == [event]
    assert "ticket.overdue" in caplog.text and "boom" in caplog.text


def test_every_listener_sees_events_published_after_it_started_from_any_thread() -> None:
    bus = InProcessBus()

    async def scenario() -> tuple[list[str], list[str]]:
        bus.publish(Event("before.listening", {}))
        first, second = bus.listen(), bus.listen()
        publisher = threading.Thread(
            target=lambda: [bus.publish(Event(f"e.{i}", {})) for i in range(50)]
        )
        publisher.start()
        got_first = [(await anext(first)).type for _ in range(50)]
        got_second = [(await anext(second)).type for _ in range(50)]
        publisher.join()
        return got_first, got_second

    got_first, got_second = asyncio.run(scenario())
    expected = [f"e.{i}" for i in range(50)]
    assert got_first == expected and got_second == expected


def test_slow_listener_drops_oldest_without_blocking_publish() -> None:
    bus = InProcessBus(listener_queue_size=3)

    async def scenario() -> list[str]:
        stream = bus.listen()
        for i in range(10):
            bus.publish(Event(f"e.{i}", {}))
        await asyncio.sleep(0)  # let the loop run the deliveries scheduled by publish
        assert bus.dropped == 7
        return [(await anext(stream)).type for _ in range(3)]

    assert asyncio.run(scenario()) == ["e.7", "e.8", "e.9"]


def test_close_ends_listeners_and_refuses_publish() -> None:
    bus = InProcessBus()

    async def scenario() -> list[Event]:
        stream = bus.listen()
        bus.publish(Event("last.one", {}))
        bus.close()
        events = [event async for event in stream]
        assert bus.listener_count == 0
        return events

    assert [e.type for e in asyncio.run(scenario())] == ["last.one"]
    with pytest.raises(EventBusError, match="closed"):
        bus.publish(Event("too.late", {}))


def test_listener_whose_loop_is_gone_is_forgotten() -> None:
    bus = InProcessBus()

    async def start_listening() -> None:
        bus.listen()

    asyncio.run(start_listening())
    assert bus.listener_count == 1
    bus.publish(Event("after.loop.closed", {}))  # must not raise
    assert bus.listener_count == 0


def test_bad_use_gets_clear_errors() -> None:
    bus = InProcessBus()
    with pytest.raises(EventBusError, match="running event loop"):
        bus.listen()
    with pytest.raises(TypeError, match="Event"):
        bus.publish({"type": "x"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        bus.subscribe("handler")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 1"):
        InProcessBus(listener_queue_size=0)
