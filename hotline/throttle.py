"""Throttling the doors anyone can knock on: the login and the public look-up.

Counts are kept by the ``limits`` library in a moving window: in this process's memory, or in
Redis when ``HOTLINE_REDIS_URL`` is set, so that every worker counts alike. A Redis that stops
answering does not stop logins: counting falls back to this process's memory until it is back.

The client is ``request.client``: the peer, or the address that uvicorn took from
``X-Forwarded-For`` because the peer is a trusted proxy (``--forwarded-allow-ips``, by default
127.0.0.1 only: nginx on the same host). The header itself is never read here, so nobody else
can choose the address they are counted under.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from hotline.audit.service import record
from hotline.errors import HotlineError
from hotline.services import Services
from hotline.workflow import Actor, Role

log = logging.getLogger(__name__)
T = TypeVar("T")
# A Redis that does not answer costs a request at most this long before memory takes over.
REDIS_TIMEOUT_SECONDS = 1.0


# Who the audit trail names for a lock the throttle imposed.
THROTTLE = Actor(username="throttle", role=Role.SYSTEM)


class TooManyRequests(HotlineError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Limit:
    name: str
    rate: RateLimitItem
    message: str  # said with 429; "{minutes}" becomes the wait, rounded up


# Failed logins only: a shift of colleagues behind one address signs in without limit.
LOGIN_FAILURES_PER_ACCOUNT = Limit(
    "login-account",
    parse("5/15 minutes"),
    "该账号密码错误次数过多，已暂时锁定，请 {minutes} 分钟后再试",
)
LOGIN_FAILURES_PER_CLIENT = Limit(
    "login-client", parse("20/15 minutes"), "登录失败次数过多，请 {minutes} 分钟后再试"
)
# Wrong number + phone pairs: 5 per ticket and hour leave a masked number's 10,000 candidates
# out of reach; the per-client count stops one client trying many tickets.
PUBLIC_MISSES_PER_TICKET = Limit(
    "public-ticket",
    parse("5/hour"),
    "该工单的查询核验失败次数过多，已暂停查询，请 {minutes} 分钟后再试，或拨打 12345 咨询",
)
PUBLIC_MISSES_PER_CLIENT = Limit(
    "public-misses", parse("20/hour"), "查询核验失败次数过多，请 {minutes} 分钟后再试"
)


# A limit, the kind of key it counts (the audit's entity: user, client, ticket), and the key.
Counted = tuple[Limit, str, str]


class Throttle:
    """Moving-window counters by limit and key (an account, a client address, a ticket)."""

    def __init__(self, redis_url: str | None = None, *, public_rate: str = "60/minute") -> None:
        # Every request to the public API, per client (Settings.public_rate).
        self.public_requests_per_client = Limit(
            "public-client", parse(public_rate), "请求过于频繁，请 {minutes} 分钟后再试"
        )
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared = (
            MovingWindowRateLimiter(
                storage_from_string(
                    redis_url,
                    wrap_exceptions=True,
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                )
            )
            if redis_url
            else None
        )
        self._shared_down = False

    def refuse_if_spent(self, limit: Limit, key: str) -> None:
        """Raises TooManyRequests, with the wait, when ``key`` has no attempt left."""
        if not self._call(lambda limiter: limiter.test(limit.rate, limit.name, key)):
            raise self._refusal(limit, key)

    def count(self, limit: Limit, key: str) -> bool:
        """Counts one attempt; True when it was the last one the window allows."""
        self._call(lambda limiter: limiter.hit(limit.rate, limit.name, key))
        return not self._call(lambda limiter: limiter.test(limit.rate, limit.name, key))

    def take(self, limit: Limit, key: str) -> None:
        """Counts one attempt in one step, refused (TooManyRequests) when none is left."""
        if not self._call(lambda limiter: limiter.hit(limit.rate, limit.name, key)):
            raise self._refusal(limit, key)

    def refuse_if_any_spent(self, counted: Sequence[Counted]) -> None:
        for limit, _, key in counted:
            self.refuse_if_spent(limit, key)

    def count_failure(
        self, svc: Services, action: str, client: str, counted: Sequence[Counted]
    ) -> None:
        """Counts a failed attempt under each limit; a limit it spends locks its key, and
        the lock is audited (``action``, the key's kind as entity), in a transaction of its
        own so that it stays whatever becomes of the request."""
        locked = [(kind, key) for limit, kind, key in counted if self.count(limit, key)]
        if locked:
            with svc.unit() as (session, _):
                for kind, key in locked:
                    record(session, THROTTLE, action, kind, key, svc.clock(), client=client)

    def _refusal(self, limit: Limit, key: str) -> TooManyRequests:
        stats = self._call(lambda limiter: limiter.get_window_stats(limit.rate, limit.name, key))
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        minutes = math.ceil(retry_after / 60)
        return TooManyRequests(limit.message.format(minutes=minutes), retry_after)

    def _call(self, use: Callable[[MovingWindowRateLimiter], T]) -> T:
        if self._shared is not None:
            try:
                result = use(self._shared)
            except StorageError:
                if not self._shared_down:
                    log.warning(
                        "throttle: Redis does not answer; counting in memory", exc_info=True
                    )
                self._shared_down = True
            else:
                if self._shared_down:
                    log.warning("throttle: Redis answers again; counting there")
                self._shared_down = False
                return result
        return use(self._memory)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"
