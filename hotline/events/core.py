"""Events and the bus interface shared by every implementation."""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol
from uuid import uuid4

logger = logging.getLogger(__name__)

# China has had no daylight saving since 1991, so a fixed offset needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class EventBusError(RuntimeError):
    """The bus could not do what was asked (e.g. Redis unreachable, bus closed)."""


class InvalidEventError(ValueError):
    """An event that cannot be built or decoded."""


def _now_iso() -> str:
    return datetime.now(SHANGHAI).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Event:
    type: str  # e.g. "ticket.dispatched", "ticket.overdue", "call.answered"
    payload: dict[str, Any]  # JSON-serialisable
    id: str = field(default_factory=lambda: uuid4().hex)
    occurred_at: str = field(default_factory=_now_iso)

    def __post_init__(self) -> None:
        for name in ("type", "id", "occurred_at"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or value != value.strip():
                raise InvalidEventError(f"event {name} must be a non-empty string, got {value!r}")
        if not isinstance(self.payload, dict):
            raise InvalidEventError(f"event payload must be a dict, got {type(self.payload)}")
        try:
            datetime.fromisoformat(self.occurred_at)
            self.to_json()
        except (TypeError, ValueError) as exc:
            raise InvalidEventError(f"event {self.type!r} is not serialisable: {exc}") from None

    def to_json(self) -> str:
        return json.dumps(
            {
                "type": self.type,
                "payload": self.payload,
                "id": self.id,
                "occurred_at": self.occurred_at,
            },
            ensure_ascii=False,
            allow_nan=False,
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        try:
            data = json.loads(raw)
        except (TypeError, ValueError) as exc:
            raise InvalidEventError(f"event is not valid JSON: {exc}") from None
        fields = {"type", "payload", "id", "occurred_at"}
        if not isinstance(data, dict) or set(data) != fields:
            raise InvalidEventError(f"event JSON must be an object with exactly {sorted(fields)}")
        return cls(**data)


class SeenIds:
    """The ids of the latest events handled: delivery is at least once (the outbox relay
    re-sends what it could not mark), so a consumer skips an id it has already seen."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)


class Handlers:
    """The in-process handlers of a bus: registered from any thread, each run in isolation,
    once per event id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: list[Callable[[Event], None]] = []
        self._handled = SeenIds()

    def add(self, handler: Callable[[Event], None]) -> None:
        if not callable(handler):
            raise TypeError(f"handler must be callable, got {handler!r}")
        with self._lock:
            self._handlers.append(handler)

    def run(self, event: Event) -> bool:
        """Run every handler; a failure is logged and does not stop the others.
        Returns whether all succeeded (True at once for an event already handled)."""
        with self._lock:
            if event.id in self._handled:
                return True
            handlers = list(self._handlers)
        all_succeeded = True
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                all_succeeded = False
                logger.exception("event handler %r failed on %s %s", handler, event.type, event.id)
        if all_succeeded:  # a failed event is handled again when it comes back (Redis reclaims)
            with self._lock:
                self._handled.add(event.id)
        return all_succeeded


class EventBus(Protocol):
    def publish(self, event: Event) -> None:
        """Sync and thread-safe; call it after the database commit."""

    def subscribe(self, handler: Callable[[Event], None]) -> None:
        """Register an in-process handler for all events."""

    def listen(self) -> AsyncIterator[Event]:
        """Live fan-out: every event published after this call, for SSE/WebSocket."""

    def check(self) -> None:
        """Raises EventBusError unless the bus can publish now (for the readiness check)."""

    def close(self) -> None: ...
