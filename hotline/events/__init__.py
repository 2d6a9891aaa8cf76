"""The event bus: in-process by default, Redis Streams when a Redis URL is configured."""

from __future__ import annotations

from typing import Any

from hotline.events.core import Event, EventBus, EventBusError, InvalidEventError
from hotline.events.memory import InProcessBus
from hotline.events.redis_stream import RedisStreamBus


def make_bus(redis_url: str | None, **kw: Any) -> EventBus:
    """InProcessBus when redis_url is None, else RedisStreamBus(redis_url, **kw)."""
    if redis_url is None:
        return InProcessBus(**kw)
    return RedisStreamBus(redis_url, **kw)


__all__ = [
    "Event",
    "EventBus",
    "EventBusError",
    "InProcessBus",
    "InvalidEventError",
    "RedisStreamBus",
    "make_bus",
]
