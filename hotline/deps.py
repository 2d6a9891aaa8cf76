"""FastAPI dependencies: the services, and the signed-in user as a workflow actor."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import Request

from hotline.auth import service as auth
from hotline.auth.models import User
from hotline.errors import Forbidden, NotFound, Unauthorized
from hotline.services import Services
from hotline.workflow import Actor, Role

# A deactivated user or a changed role takes effect within this many seconds.
PRINCIPAL_CACHE_SECONDS = 30


def services(request: Request) -> Services:
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


def principal(request: Request) -> Principal:
    svc = services(request)
    token = _token(request)
    cache: dict[int, tuple[float, Principal]] = request.app.state.principals
    with svc.sessions() as session:
        secret = request.app.state.token_secret or auth.token_secret(session)
        if request.app.state.token_secret is None:
            session.commit()
            request.app.state.token_secret = secret
        user_id = auth.read_token(secret, token)
        cached = cache.get(user_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            user: User = auth.get_user(session, user_id)
        except NotFound:
            raise Unauthorized("账号已停用，请联系管理员") from None
        who = Principal(user.id, auth.actor_of(user), user.display_name, user.extension)
        cache[user_id] = (time.monotonic() + PRINCIPAL_CACHE_SECONDS, who)
    return who


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that lets only the given roles through (admin always)."""
    allowed = {*roles, Role.ADMIN}

    def check(request: Request) -> Principal:
        who = principal(request)
        if who.actor.role not in allowed:
            raise Forbidden("当前角色无权访问")
        return who

    return check
