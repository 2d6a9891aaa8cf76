"""FastAPI dependencies: the services, and the signed-in user as a workflow actor."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from hotline.auth import service as auth
from hotline.auth.models import User
from hotline.errors import Forbidden, NotFound, Unauthorized
from hotline.services import Services
from hotline.workflow import Actor, Role

# A deactivated user or a changed role takes effect within this many seconds.
PRINCIPAL_CACHE_SECONDS = 30


async def services(request: Request) -> Services:
    # Async (it does no I/O) so that FastAPI calls it on the event loop, not in a worker thread.
    return request.app.state.services


@dataclass(frozen=True)
class Principal:
    user_id: int
    actor: Actor
    display_name: str
    extension: str | None


def _token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    # Pages keep the token in a cookie so that links and SSE work without headers.
    cookie = request.cookies.get("hotline_token")
    if cookie:
        return cookie
    raise Unauthorized("请先登录")


def _cached_principal(request: Request) -> Principal | None:
    secret: bytes | None = request.app.state.token_secret
    if secret is None:
        return None
    cached = request.app.state.principals.get(auth.read_token(secret, _token(request)))
    return cached[1] if cached and cached[0] > time.monotonic() else None


def load_principal(request: Request) -> Principal:
    """The signed-in user, from the cache or else the database: for synchronous callers."""
    cached = _cached_principal(request)
    if cached is not None:
        return cached
    svc: Services = request.app.state.services
    with svc.sessions() as session:
        if request.app.state.token_secret is None:
            secret = auth.token_secret(session)
            session.commit()
            request.app.state.token_secret = secret
        user_id = auth.read_token(request.app.state.token_secret, _token(request))
        try:
            user: User = auth.get_user(session, user_id)
        except NotFound:
            raise Unauthorized("账号已停用，请联系管理员") from None
    who = Principal(user.id, auth.actor_of(user), user.display_name, user.extension)
    request.app.state.principals[user_id] = (time.monotonic() + PRINCIPAL_CACHE_SECONDS, who)
    return who


async def principal(request: Request) -> Principal:
    """The dependency: a cached user (most requests) is checked on the event loop, which spares
    a hop to a worker thread; only a database read goes to one."""
    return _cached_principal(request) or await run_in_threadpool(load_principal, request)


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that lets only the given roles through (admin always)."""
    allowed = {*roles, Role.ADMIN}

    async def check(request: Request) -> Principal:
        who = await principal(request)
        if who.actor.role not in allowed:
            raise Forbidden("当前角色无权访问")
        return who

    return check
