"""Login, the current user, and user administration."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from hotline.audit.service import record
from hotline.auth import service
from hotline.auth.models import User
from hotline.deps import Principal, principal, require, services
from hotline.directory.service import department
from hotline.errors import STAFF_ERRORS, InvalidInput, Unauthorized, error_responses
from hotline.services import Services
from hotline.throttle import (
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_CLIENT,
    Throttle,
    client_of,
)

router = APIRouter(
    prefix="/api", tags=["auth"], responses=STAFF_ERRORS | error_responses(429)
)  # 429: login throttling


async def _credentials(request: Request) -> tuple[str, str]:
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        try:
            data = json.loads(await request.body() or b"{}")
        except (ValueError, RecursionError):  # RecursionError: JSON nested beyond Python's stack
            raise InvalidInput("请求体不是合法的 JSON") from None
    else:
        data = dict(await request.form())
    if not isinstance(data, dict):
        raise InvalidInput("请提供用户名和密码")
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise InvalidInput("请提供用户名和密码")
    return username, password


@router.post("/auth/token")
async def login(request: Request) -> dict[str, Any]:
    """OAuth2-style password login (form or JSON) → a bearer token. Wrong passwords are
    throttled per account and per client (429 with Retry-After; the lock is audited)."""
    username, password = await _credentials(request)
    svc: Services = await services(request)
    throttle: Throttle = request.app.state.throttle
    client = client_of(request)
    counted = (
        (LOGIN_FAILURES_PER_CLIENT, "client", client),
        (LOGIN_FAILURES_PER_ACCOUNT, "user", username.casefold()[:64]),
    )

    # In a worker thread: the password hash takes a while, and Redis counts are network calls.
    def attempt() -> dict[str, Any]:
        throttle.refuse_if_any_spent(counted)
        try:
            return _sign_in(svc, username, password)
        except Unauthorized:
            throttle.count_failure(svc, "auth.locked", client, counted)
            raise

    return await run_in_threadpool(attempt)


def _sign_in(svc: Services, username: str, password: str) -> dict[str, Any]:
    with svc.unit() as (session, _):
        user = service.authenticate(session, username, password)
        token = service.issue_token(service.token_secret(session), user, svc.settings.token_hours)
        return {
            "access_token": token,
            "token_type": "bearer",
            "role": user.role,
            "department": user.department_code,
            "username": user.username,
            "display_name": user.display_name,
        }


@router.get("/me")
def me(who: Principal = Depends(principal)) -> dict[str, Any]:
    return {
        "username": who.actor.username,
        "role": who.actor.role.value,
        "department": who.actor.department,
        "display_name": who.display_name,
        "extension": who.extension,
    }


class UserIn(BaseModel):
    username: str
    role: str
    password: str
    department: str | None = None
    display_name: str = ""
    extension: str | None = None


@router.get("/users")
def list_users(
    _: Principal = Depends(require()), svc: Services = Depends(services)
) -> list[dict[str, Any]]:
    with svc.sessions() as session:
        return [
            {
                "username": u.username,
                "role": u.role,
                "department": u.department_code,
                "display_name": u.display_name,
                "extension": u.extension,
                "active": u.active,
            }
            for u in session.scalars(select(User).order_by(User.id))
        ]


@router.post("/users", status_code=201)
def add_user(
    body: UserIn, who: Principal = Depends(require()), svc: Services = Depends(services)
) -> dict[str, Any]:
    with svc.unit() as (session, _):
        if body.department:
            department(session, body.department)
        user = service.add_user(
            session,
            body.username,
            body.role,
            body.password,
            department=body.department,
            display_name=body.display_name,
            extension=body.extension,
            now=svc.clock(),
        )
        record(session, who.actor, "user.add", "user", user.id, svc.clock(), role=user.role)
        return {"username": user.username, "role": user.role, "department": user.department_code}
