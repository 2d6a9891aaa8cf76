"""The FastAPI application: JSON API, live event stream, and (when present) the web pages."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

import hotline.models  # noqa: F401  (registers every table, so foreign keys resolve)
from hotline import admin_views
from hotline.auth import views as auth_views
from hotline.calls import runner as calls_runner
from hotline.calls import views as call_views
from hotline.config import Settings
from hotline.deps import Principal, principal
from hotline.directory import views as directory_views
from hotline.errors import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_SECONDS,
    HotlineError,
    error_responses,
)
from hotline.events import Event, EventBusError
from hotline.events.core import SeenIds
from hotline.inputs import refuse_nul_bytes
from hotline.jobs import claim_job
from hotline.kb import install as install_kb
from hotline.kb import views as kb_views
from hotline.kb.hotspots import run_hot_topics
from hotline.metrics import views as metrics_views
from hotline.metrics.series import declare_jobs, job_pass
from hotline.open311 import views as open311_views
from hotline.public import views as public_views
from hotline.revisits import runner as revisits_runner
from hotline.revisits import views as revisit_views
from hotline.routing import install as install_routing
from hotline.routing import views as routing_views
from hotline.services import Services
from hotline.speech import live as speech_live
from hotline.speech import views as speech_views
from hotline.speech.masking import event_for
from hotline.stats import views as stats_views
from hotline.throttle import Throttle
from hotline.tickets import views as ticket_views
from hotline.tickets.sla import scan_deadlines
from hotline.validation_messages import validation_error
from hotline.wallboard import views as wallboard_views
from hotline.web import views as web_views
from hotline.web.views import FAVICON_URL
from hotline.workflow import Role

log = logging.getLogger(__name__)
HOT_TOPICS_INTERVAL_SECONDS = 3600
HTTP_CODES = {
    400: "malformed_body",  # FastAPI's body parser gave up: JSON nested past the stack, a bad form
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
}
HTTP_MESSAGES = {
    400: "请求体无法解析",
    404: "请求的资源不存在",
    405: "不支持该请求方法",
    401: "请先登录",
    403: "无权访问",
}
EXIT_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Event ids a live-stream connection remembers, to skip one the bus delivers again.
STREAM_SEEN_IDS = 1000


def run_deadline_scan(svc: Services, *, unless_ran_within: timedelta | None = None) -> int | None:
    """One pass of the deadline scan; returns how many flags changed, or None when it was
    skipped (another worker's pass is running, or one started within ``unless_ran_within``)."""
    with svc.unit() as (session, outbox):
        if not claim_job(
            session, "deadline scan", svc.clock(), unless_ran_within=unless_ran_within
        ):
            return None
        results = scan_deadlines(session, svc.context(session))
        for result in results:
            outbox.add(result.event, ticket_id=result.ticket_id)
    return len(results)


def _scan_forever(svc: Services, stop: threading.Event) -> None:
    """Deadlines every scan interval; hot topics hourly, so a whole 小区 without heating since
    noon is seen the same afternoon. Every worker wakes at its own phase; a job that another
    worker started less than 90 % of its interval ago is left to that worker's schedule."""
    interval = svc.settings.scan_interval_seconds
    jobs = (
        ("deadline scan", run_deadline_scan, timedelta(seconds=0.9 * interval)),
        (
            "hot-topic detection",
            run_hot_topics,
            timedelta(seconds=0.9 * HOT_TOPICS_INTERVAL_SECONDS),
        ),
    )
    declare_jobs(name for name, _, _ in jobs)
    while not stop.wait(interval):
        for name, job, recent in jobs:
            try:
                job_pass(name, partial(job, svc, unless_ran_within=recent))
            except Exception:  # a job must survive a bad pass; the next one retries
                log.exception("%s failed", name)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HotlineError)
    async def domain_error(_: Request, exc: HotlineError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status, headers=exc.headers)

    app.exception_handler(RequestValidationError)(validation_error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = exc.headers  # 401's WWW-Authenticate
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request, exc)}
        return JSONResponse(
            {
                "code": HTTP_CODES.get(exc.status_code, "http_error"),
                "message": HTTP_MESSAGES.get(exc.status_code, str(exc.detail)),
            },
            status_code=exc.status_code,
            headers=headers,
        )

    async def database_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("the database does not answer: %s", exc)
        return JSONResponse(
            {"code": "database_unavailable", "message": "数据库暂时无法访问，请稍后重试"},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, database_unavailable)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        # Starlette re-raises after this answer and uvicorn then drops the connection: tell the
        # client (or nginx's pooled upstream connection) not to send its next request on it.
        return JSONResponse(
            {"code": "internal", "message": "服务器内部错误"},
            status_code=500,
            headers={"Connection": "close"},
        )


def _allowed_methods(request: Request, exc: StarletteHTTPException) -> str:
    """Every method the path answers to: the router's own Allow names only those of the first
    route matching the path (POST /api/tickets hid GET /api/tickets)."""
    allow = (exc.headers or {}).get("Allow", "")
    methods = {method.strip() for method in allow.split(",") if method.strip()}
    for path, operations in request.app.openapi()["paths"].items():
        if compile_path(path)[0].fullmatch(request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    svc = services or Services(settings)
    install_kb(svc)  # duplicate, repeat-call and KB-answer hooks; the KB search index
    install_routing(svc)  # correction-label hooks; the routing model starts loading
    background: list[Any] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        scanner = threading.Thread(target=_scan_forever, args=(svc, stop), daemon=True)
        scanner.start()
        stop_relay = svc.relay.start()
        background.append(lambda: asyncio.to_thread(stop_relay))
        app.state.closing = closing = asyncio.Event()
        loop = asyncio.get_running_loop()
        restore_signals = _on_exit_signal(lambda: loop.call_soon_threadsafe(closing.set))
        for starter in app.state.startups:
            background.append(await starter(app))
        yield
        closing.set()
        restore_signals()
        stop.set()
        for stopper in reversed(background):
            if stopper is not None:
                await stopper()
        svc.close()

    # /docs with Swagger UI served from the installed package, not a CDN. No ReDoc: it
    # fetches its logo from its own CDN whatever it is told (/redoc leads to /docs).
    app = FastAPIOffline(
        redoc_url=None,
        title="12345 政务服务便民热线平台",
        version="0.1.0",
        description="受理、派单、签收、办理、反馈、回访、办结 — 12345 热线工单系统 API",
        lifespan=lifespan,
        favicon_url=FAVICON_URL,
        # Swagger UI would otherwise send the spec to its online validator.
        swagger_ui_parameters={"validatorUrl": None},
        dependencies=[Depends(refuse_nul_bytes)],
    )
    app.state.services = svc
    app.state.principals = {}
    # Logins and the public API.
    app.state.throttle = Throttle(svc.settings.redis_url, public_rate=svc.settings.public_rate)
    app.state.token_secret = None
    # Parts that run beside the API (AMI bridge, AudioSocket server) register async starters
    # here; each returns an async stopper.
    app.state.startups = []
    calls_runner.install(app, settings, svc)  # ticket↔call link; the AMI bridge if configured
    revisits_runner.install(app, settings, svc)  # plans on reply; the revisit worker (AMI)
    speech_live.install(app, settings, svc)  # shared model; AudioSocket server if a port is set
    metrics_views.install(app, svc)  # request counts, ticket counters, scrape-time gauges
    _install_error_handlers(app)
    for module in (
        auth_views,
        ticket_views,
        stats_views,
        directory_views,
        public_views,
        admin_views,
        kb_views,
        routing_views,
        call_views,
        revisit_views,
        speech_views,
        open311_views,
        wallboard_views,
        metrics_views,
        web_views,
    ):
        app.include_router(module.router)

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/api/health/ready", tags=["health"], responses=error_responses(503))
    async def ready(request: Request) -> JSONResponse:
        """Readiness, for a load balancer: 503 unless the database answers. The bus and the
        AMI connection are reported, not required: while the bus is down every write still
        succeeds and its events wait in the outbox (taking every worker out of the balancer
        for it would stop the centre for nothing); without AMI only one-key transfers and
        示忙/示闲 fail."""
        checks = await run_in_threadpool(_readiness, svc)
        bridge = request.app.state.call_bridge
        if bridge is None:
            checks["ami"] = "off"
        else:
            checks["ami"] = "connected" if bridge.connected else "disconnected"
        is_ready = checks["database"] == "ok"
        return JSONResponse(
            {"status": "ready" if is_ready else "unavailable", "checks": checks},
            status_code=200 if is_ready else 503,
        )

    @app.get("/api/events/stream", tags=["events"], responses=error_responses(401, 503))
    async def stream(request: Request, who: Principal = Depends(principal)) -> StreamingResponse:
        """Server-sent events: every ticket and call event, live, for the pages. A message's
        `id:` is its event's: delivery is at least once, and an id already sent on this stream
        is not sent again. The stream ends when the server is told to stop."""
        closing: asyncio.Event = request.app.state.closing

        async def events() -> AsyncIterator[str]:
            yield ": connected\n\n"
            sent = SeenIds(STREAM_SEEN_IDS)
            async for event in until_set(closing, svc.bus.listen()):
                if await request.is_disconnected():
                    break
                if event.id in sent or not event_visible_to(who, event):
                    continue
                sent.add(event.id)
                shown = event_for(who.actor, event)  # callers' spoken numbers masked
                body = json.dumps({"event": shown.type, **shown.payload}, ensure_ascii=False)
                yield f"id: {event.id}\nevent: {event.type}\ndata: {body}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


async def until_set(flag: asyncio.Event, source: AsyncIterator[Event]) -> AsyncIterator[Event]:
    """The items of `source` until `flag` is set, even while waiting for the next one."""
    stopping = asyncio.ensure_future(flag.wait())
    step: asyncio.Future[Event] | None = None
    try:
        while True:
            step = asyncio.ensure_future(anext(source))
            await asyncio.wait((step, stopping), return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                return
            try:
                item = step.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        # Also when the page went away (this generator cancelled): the source must not be
        # left waiting, or it would listen for nobody.
        stopping.cancel()
        if step is not None and not step.done():
            step.cancel()
            await asyncio.wait((step,))
        await source.aclose()  # type: ignore[attr-defined]


def _on_exit_signal(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` first when the server is told to stop (SIGTERM, SIGINT). uvicorn waits
    for open connections to close before the lifespan ends, and a live stream never closes by
    itself, so the lifespan's exit is too late. Chains to the handler the server installed;
    only in the main thread, where signal handlers live. Returns the undoing function."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in EXIT_SIGNALS}

    def handler(sig: int, frame: Any) -> None:
        callback()
        chained = previous[sig]
        if callable(chained):
            chained(sig, frame)

    wrapped = [sig for sig, installed in previous.items() if callable(installed)]
    for sig in wrapped:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig in wrapped:
            if signal.getsignal(sig) is handler:
                signal.signal(sig, previous[sig])

    return restore


def _readiness(svc: Services) -> dict[str, str]:
    """Each dependency "ok" or "unavailable"; the reason goes to the log, not to whoever asks
    (the check needs no login and the reason can name hosts)."""
    checks = {}
    try:
        with svc.sessions() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError:
        log.warning("readiness: the database does not answer", exc_info=True)
        checks["database"] = "unavailable"
    try:
        svc.bus.check()
        checks["bus"] = "ok"
    except EventBusError:
        log.warning("readiness: the event bus cannot publish", exc_info=True)
        checks["bus"] = "unavailable"
    return checks


def event_visible_to(who: Principal, event: Event) -> bool:
    """Who hears what on the live stream. The centre hears everything. Department staff hear
    their own department's ticket events (as lead or co-handler), and those that name no
    department; not the centre's
    calls, and above all not transcripts and routing suggestions, which carry what every caller
    said. Social supervisors read figures, not the live stream. An operator hears the calls
    their own softphone answered, not the queue's or a colleague's (the screen pop)."""
    role = who.actor.role
    if role == Role.MONITOR:
        return False
    if role == Role.OPERATOR and event.type.startswith("call."):
        return who.extension is not None and event.payload.get("answered_by") == who.extension
    if role != Role.DEPARTMENT:
        return True
    return event.type.startswith("ticket.") and (
        event.payload.get("department") in (None, who.actor.department)
        or who.actor.department in event.payload.get("co_handlers", ())  # 协办
    )
