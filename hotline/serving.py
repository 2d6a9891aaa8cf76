"""The limits ``hotline serve`` gives uvicorn (docs/deploy.md, "Limits").

uvicorn caps open connections (``limit_concurrency``: beyond it, requests get 503), closes
kept-alive connections that stay idle (``timeout_keep_alive``) and, with its h11 parser, refuses
a request head larger than ``h11_max_incomplete_event_size``. It has no timeout for the request
head itself: its keep-alive timer starts only after a response, so a client that connects and
sends nothing, or a byte now and then (slowloris), held a connection and a descriptor for as
long as it liked. :class:`HeadTimeoutProtocol` adds that timeout.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from hotline.config import HttpLimits, Settings


@functools.cache
def _limits() -> HttpLimits:
    # Read in each worker process, as create_app reads its settings; `hotline serve` has
    # already refused a bad value before any worker starts.
    return Settings.from_env().http


class HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head (request line and
    headers) is not complete within ``HttpLimits.header_seconds`` of its first byte — or of
    the connection, for the first request. Between requests uvicorn's keep-alive timer runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_seconds = _limits().header_seconds
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(self._head_seconds, self._head_too_slow)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # the head is in
            self._stop_head_timer()
        elif self._head_timer is None and self.conn.trailing_data[0]:  # a head has begun
            self._head_timer = self.loop.call_later(self._head_seconds, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_limits(limits: HttpLimits) -> dict[str, Any]:
    """The options for ``uvicorn.run`` / ``uvicorn.Config``."""
    return {
        "http": f"{HeadTimeoutProtocol.__module__}:{HeadTimeoutProtocol.__qualname__}",
        "limit_concurrency": limits.max_connections,
        "timeout_keep_alive": limits.keep_alive_seconds,
        "h11_max_incomplete_event_size": limits.max_header_bytes,
    }
