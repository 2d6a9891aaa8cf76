"""The scaled-out bus on Redis Streams.

publish = XADD. Handlers run in run_consumer(), reading through a consumer group so API workers
share the work; a message is XACKed only after every handler succeeded, and messages left
pending by a dead or failing consumer are reclaimed with XAUTOCLAIM (at-least-once delivery).
listen() tails the stream with plain XREAD, so every web worker sees every event.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import AsyncIterator, Callable
from uuid import uuid4

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from hotline.events.core import Event, EventBusError, Handlers, InvalidEventError

logger = logging.getLogger(__name__)

EVENT_FIELD = "event"
FIRST_ID = "0-0"


class RedisStreamBus:
    def __init__(
        self,
        url: str,
        stream: str = "hotline:events",
        group: str = "hotline",
        consumer: str | None = None,
        maxlen: int = 100_000,
        *,
        claim_idle_ms: int = 60_000,
        max_deliveries: int = 5,
        batch_size: int = 100,
        connect_timeout: float = 2.0,
        retries: int = 2,
    ) -> None:
        for name, value in (
            ("maxlen", maxlen),
            ("claim_idle_ms", claim_idle_ms),
            ("max_deliveries", max_deliveries),
            ("batch_size", batch_size),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if not stream or not group:
            raise ValueError("stream and group names must not be empty")
        self.stream = stream
        self.dead_letter_stream = f"{stream}:dead"
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid4().hex[:6]}"
        self._maxlen = maxlen
        self._claim_idle_ms = claim_idle_ms
        self._max_deliveries = max_deliveries
        self._batch_size = batch_size
        self._url = url
        self._connect_timeout = connect_timeout
        self._retries = retries
        try:
            self._client = redis.Redis.from_url(
                url,
                socket_connect_timeout=connect_timeout,
                # Short, bounded retries: publish must fail fast when Redis is down.
                retry=Retry(_backoff(), retries),
            )
        except ValueError as exc:
            raise EventBusError(f"invalid Redis URL {url!r}: {exc}") from None
        self._handlers = Handlers()
        self._closed = threading.Event()
        self._group_ready = False

    def publish(self, event: Event) -> None:
        if not isinstance(event, Event):
            raise TypeError(f"publish() takes an Event, got {type(event).__name__}")
        self._require_open()
        try:
            self._client.xadd(
                self.stream, {EVENT_FIELD: event.to_json()}, maxlen=self._maxlen, approximate=True
            )
        except redis.RedisError as exc:
            raise EventBusError(
                f"could not publish {event.type} {event.id} to Redis stream {self.stream}: {exc}"
            ) from exc

    def subscribe(self, handler: Callable[[Event], None]) -> None:
        self._handlers.add(handler)

    def run_consumer(self, stop: threading.Event | None = None, block_ms: int = 1000) -> None:
        """Run the subscribed handlers on the group's messages until `stop` is set or the bus
        closes. Connection errors are logged and retried with backoff; they never end the loop."""
        if block_ms < 1:
            raise ValueError(f"block_ms must be at least 1, got {block_ms}")
        stop = stop or threading.Event()
        failures = 0
        while not stop.is_set() and not self._closed.is_set():
            try:
                self._ensure_group()
                self._reclaim_stale()
                self._read_new(block_ms)
                failures = 0
            except redis.RedisError as exc:
                failures += 1
                pause = min(0.1 * 2**failures, 5.0)
                logger.warning(
                    "event consumer %s: %s; retrying in %.1fs", self.consumer, exc, pause
                )
                stop.wait(pause)

    def listen(self) -> AsyncIterator[Event]:
        """Tail the stream from its current end: listening starts at this call."""
        self._require_open()
        try:
            last = self._client.xrevrange(self.stream, count=1)
        except redis.RedisError as exc:
            raise EventBusError(f"could not reach Redis stream {self.stream}: {exc}") from exc
        return self._tail(last[0][0] if last else FIRST_ID)

    def check(self) -> None:
        self._require_open()
        try:
            self._client.ping()
        except redis.RedisError as exc:
            raise EventBusError(f"could not reach Redis for stream {self.stream}: {exc}") from exc

    def close(self) -> None:
        self._closed.set()
        self._client.close()

    def _require_open(self) -> None:
        if self._closed.is_set():
            raise EventBusError("bus is closed")

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            # From the stream's start: events published before any consumer ran are not lost.
            self._client.xgroup_create(self.stream, self.group, id=FIRST_ID, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def _read_new(self, block_ms: int) -> None:
        response = self._client.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=self._batch_size, block=block_ms
        )
        for _stream, messages in response or []:
            for message_id, fields in messages:
                self._handle(message_id, fields)

    def _reclaim_stale(self) -> None:
        """Take over messages another consumer read but never acknowledged."""
        _cursor, messages, *_deleted = self._client.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=self._claim_idle_ms,
            start_id=FIRST_ID,
            count=self._batch_size,
        )
        for message_id, fields in messages:
            if fields is None:  # trimmed away by MAXLEN while pending
                self._client.xack(self.stream, self.group, message_id)
            elif self._deliveries(message_id) > self._max_deliveries:
                self._dead_letter(message_id, fields, "too many failed deliveries")
            else:
                self._handle(message_id, fields)

    def _deliveries(self, message_id: bytes) -> int:
        pending = self._client.xpending_range(
            self.stream, self.group, min=message_id, max=message_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 0

    def _handle(self, message_id: bytes, fields: dict[bytes, bytes]) -> None:
        try:
            event = Event.from_json(fields[EVENT_FIELD.encode()])
        except (KeyError, InvalidEventError) as exc:
            self._dead_letter(message_id, fields, f"undecodable: {exc}")
            return
        # On failure the message stays pending: reclaimed after claim_idle_ms, all handlers rerun.
        if self._handlers.run(event):
            self._client.xack(self.stream, self.group, message_id)

    def _dead_letter(self, message_id: bytes, fields: dict[bytes, bytes], reason: str) -> None:
        logger.error("event %s moved to %s: %s", message_id, self.dead_letter_stream, reason)
        pipe = self._client.pipeline()
        pipe.xadd(self.dead_letter_stream, {**fields, b"reason": reason, b"id": message_id})
        pipe.xack(self.stream, self.group, message_id)
        pipe.execute()

    async def _tail(self, after_id: bytes | str) -> AsyncIterator[Event]:
        client = aioredis.Redis.from_url(
            self._url,
            socket_connect_timeout=self._connect_timeout,
            retry=AsyncRetry(_backoff(), self._retries),
        )
        failures = 0
        try:
            while not self._closed.is_set():
                try:
                    response = await client.xread({self.stream: after_id}, block=1000)
                    failures = 0
                except redis.RedisError as exc:
                    failures += 1
                    logger.warning("event listener on %s: %s; retrying", self.stream, exc)
                    await asyncio.sleep(min(0.1 * 2**failures, 5.0))
                    continue
                for _stream, messages in response or []:
                    for message_id, fields in messages:
                        after_id = message_id
                        try:
                            event = Event.from_json(fields[EVENT_FIELD.encode()])
                        except (KeyError, InvalidEventError) as exc:
                            logger.error("skipping undecodable event %s: %s", message_id, exc)
                            continue
                        yield event
        finally:
            await client.aclose()


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=0.5, base=0.05)
