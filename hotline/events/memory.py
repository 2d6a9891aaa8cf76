"""The embedded bus: handlers run in the publisher's thread, listeners get asyncio queues."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable

from hotline.events.core import Event, EventBusError, Handlers

logger = logging.getLogger(__name__)

_CLOSED = object()  # queued to a listener when the bus closes


class _Listener:
    """One listen() call: a bounded queue owned by the loop that called listen()."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[object] = asyncio.Queue(maxsize=size)
        self.dropped = 0

    def offer(self, item: object) -> None:
        """Runs in the listener's loop; drops the oldest item rather than blocking."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
            logger.warning("listener too slow: dropped its oldest event (%d so far)", self.dropped)
        self.queue.put_nowait(item)


class InProcessBus:
    def __init__(self, listener_queue_size: int = 1000) -> None:
        if listener_queue_size < 1:
            raise ValueError(f"listener_queue_size must be at least 1, got {listener_queue_size}")
        self._queue_size = listener_queue_size
        self._lock = threading.Lock()
        self._handlers = Handlers()
        self._listeners: list[_Listener] = []
        self._closed = False

    @property
    def listener_count(self) -> int:
        """Live listen() iterators (open SSE/WebSocket connections)."""
        with self._lock:
            return len(self._listeners)

    @property
    def dropped(self) -> int:
        """Events dropped so far by slow listeners that are still listening."""
        with self._lock:
            return sum(listener.dropped for listener in self._listeners)

    def publish(self, event: Event) -> None:
        if not isinstance(event, Event):
            raise TypeError(f"publish() takes an Event, got {type(event).__name__}")
        with self._lock:
            if self._closed:
                raise EventBusError(f"bus is closed; event {event.type} not published")
            listeners = list(self._listeners)
        self._handlers.run(event)
        for listener in listeners:
            self._deliver(listener, event)

    def subscribe(self, handler: Callable[[Event], None]) -> None:
        self._handlers.add(handler)

    def check(self) -> None:
        with self._lock:
            if self._closed:
                raise EventBusError("bus is closed")

    def listen(self) -> AsyncIterator[Event]:
        """Must be called inside a running event loop; listening starts at the call."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise EventBusError("listen() must be called inside a running event loop") from None
        listener = _Listener(loop, self._queue_size)
        with self._lock:
            if self._closed:
                raise EventBusError("bus is closed")
            self._listeners.append(listener)
        return self._drain(listener)

    async def _drain(self, listener: _Listener) -> AsyncIterator[Event]:
        try:
            while True:
                item = await listener.queue.get()
                if item is _CLOSED:
                    return
                assert isinstance(item, Event)
                yield item
        finally:
            self._forget(listener)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            listeners, self._listeners = self._listeners, []
        for listener in listeners:
            self._deliver(listener, _CLOSED)

    def _deliver(self, listener: _Listener, item: object) -> None:
        try:
            listener.loop.call_soon_threadsafe(listener.offer, item)
        except RuntimeError:  # the listener's loop has closed: nobody is listening any more
            self._forget(listener)

    def _forget(self, listener: _Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)
