"""``/metrics`` for the processes that run no web server (``hotline bridge``, ``hotline
speech-server``), on a port of their own (``--metrics-port``) behind the same token: their own
counters and their AMI or speech state. The database's gauges stay with the API's scrape."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import typer
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hotline.cli_errors import refuse, refuse_unless_port_free
from hotline.config import Settings
from hotline.errors import HotlineError
from hotline.metrics.collector import StateCollector
from hotline.metrics.views import check_token, exposition
from hotline.services import Services

METRICS_HOST = typer.Option("127.0.0.1", help="监控指标（/metrics）监听地址")
METRICS_PORT = typer.Option(
    None, help="在此端口提供监控指标 /metrics（需设置 HOTLINE_METRICS_TOKEN）；不设则不提供"
)


def refuse_unless_metrics_can_listen(settings: Settings, host: str, port: int | None) -> None:
    """Before anything slow starts: a metrics port needs the token, and must be free."""
    if port is None:
        return
    if settings.metrics_token is None:
        refuse("--metrics-port 需要 HOTLINE_METRICS_TOKEN：没有令牌时不提供监控指标")
    refuse_unless_port_free(host, port)


@asynccontextmanager
async def metrics_listener(
    services: Services,
    host: str,
    port: int | None,
    *,
    call_bridge: Any = None,
    speech_service: Any = None,
) -> AsyncIterator[int | None]:
    """Serve /metrics on ``host``:``port`` (0: any free port; None: nothing) while the block
    runs; yields the port."""
    if port is None:
        yield None
        return
    state = SimpleNamespace(call_bridge=call_bridge, speech_service=speech_service)
    collector = StateCollector(services, state, database=False)

    async def metrics(request: Request) -> Response:
        try:
            check_token(services.settings.metrics_token, request)
        except HotlineError as error:
            return JSONResponse(error.to_dict(), status_code=error.status, headers=error.headers)
        return await exposition(collector)

    async def not_found(_request: Request, _error: Exception) -> JSONResponse:
        return JSONResponse({"code": "not_found", "message": "请求的资源不存在"}, status_code=404)

    app = Starlette(routes=[Route("/metrics", metrics)], exception_handlers={404: not_found})
    config = uvicorn.Config(app, host=host, port=port, lifespan="off", log_level="warning")
    server = _QuietServer(config)
    serving = asyncio.create_task(server.serve(), name="metrics-listener")
    while not server.started:
        if serving.done():
            await serving  # it could not start: its error
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await serving


class _QuietServer(uvicorn.Server):
    """uvicorn's server leaving the process's signal handlers alone: SIGTERM and SIGINT are
    the bridge's and the speech server's to handle."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
