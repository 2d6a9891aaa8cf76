"""``GET /metrics``: the Prometheus text format, behind ``HOTLINE_METRICS_TOKEN``.

Without a token the endpoint does not exist (404, as any unknown path): metrics are opted
into, never open by accident, and a reverse proxy forwarding everything cannot expose them.
With one, a scrape must send ``Authorization: Bearer <token>`` (Prometheus:
``authorization: {credentials: …}``)."""

from __future__ import annotations

import hmac
import os
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.errors import NotFound, Unauthorized
from hotline.metrics import series
from hotline.metrics.collector import StateCollector
from hotline.metrics.workers import MULTIPROCESS_DIR
from hotline.services import Services

router = APIRouter(tags=["metrics"])
UNMATCHED_ROUTE = "unmatched"  # a path no route serves: never the raw path (it is unbounded)


class MetricsTokenRequired(Unauthorized):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.headers = {"WWW-Authenticate": "Bearer"}


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Every series: this process's (or, in multiprocess mode, every worker's) and the state
    read now."""
    check_token(request.app.state.services.settings.metrics_token, request)
    return await exposition(request.app.state.metrics_collector)


def check_token(token: str | None, request: Request) -> None:
    if token is None:
        raise NotFound("请求的资源不存在")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        raise MetricsTokenRequired("访问监控指标需要有效的令牌（HOTLINE_METRICS_TOKEN）")


async def exposition(state: StateCollector) -> Response:
    body = await run_in_threadpool(_exposition, state)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _exposition(state: StateCollector) -> bytes:
    directory = os.environ.get(MULTIPROCESS_DIR)
    if directory:  # the workers' files, summed; this process's registry holds no values
        workers = CollectorRegistry()
        MultiProcessCollector(workers, path=directory)
        counted = generate_latest(workers)
    else:
        counted = generate_latest(REGISTRY)
    now = CollectorRegistry()
    now.register(state)
    return counted + generate_latest(now)


class RequestMetrics:
    """Counts each HTTP request by its route's template and status, and the time to its
    response's first byte (a live stream's lifetime is not its latency). Pure ASGI, so
    streamed responses pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before any answer becomes a 500 further out

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                _observe(scope, status, time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        except BaseException:
            if status == 500:
                _observe(scope, status, time.perf_counter() - started)
            raise


def _observe(scope: Scope, status: int, seconds: float) -> None:
    route = scope.get("route")
    template = getattr(route, "path", None) or UNMATCHED_ROUTE
    method = scope["method"]
    series.HTTP_REQUESTS.labels(method=method, route=template, status=str(status)).inc()
    series.HTTP_LATENCY.labels(method=method, route=template).observe(seconds)


def install(app: FastAPI, services: Services) -> None:
    """The request counter, the ticket counters' hooks and the scrape-time collector."""
    app.add_middleware(RequestMetrics)
    series.count_on_commit(services.sessions)
    _add_once(services.ticket_created_hooks, series.ticket_created)
    _add_once(services.ticket_action_hooks, series.ticket_acted)
    app.state.metrics_collector = StateCollector(services, app.state)


def _add_once(hooks: list[Any], hook: Any) -> None:
    if hook not in hooks:
        hooks.append(hook)
