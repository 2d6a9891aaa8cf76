"""Passwords (argon2) and signed bearer tokens; the current user as a workflow actor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.auth.models import (
    DISPLAY_NAME_MAX,
    EXTENSION_MAX,
    USERNAME_MAX,
    Setting,
    User,
)
from hotline.errors import Conflict, InvalidInput, NotFound, Unauthorized
from hotline.workflow import Actor, Role

_hasher = PasswordHasher()
STAFF_ROLES = (
    Role.OPERATOR,
    Role.DISPATCHER,
    Role.DEPARTMENT,
    Role.SUPERVISOR,
    Role.ADMIN,
    Role.MONITOR,
)
SECRET_KEY = "token_secret"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def add_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    *,
    department: str | None = None,
    display_name: str = "",
    extension: str | None = None,
    now: datetime,
) -> User:
    if role not in {r.value for r in STAFF_ROLES}:
        raise InvalidInput(f"未知角色：{role}", allowed=[r.value for r in STAFF_ROLES])
    if role == Role.DEPARTMENT and not department:
        raise InvalidInput("部门工作人员必须绑定一个部门（--department）")
    _check_lengths(username=username, display_name=display_name, extension=extension)
    if len(password) < 6:
        raise InvalidInput("密码至少 6 位")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"用户名已存在：{username}")
    user = User(
        username=username,
        role=role,
        password_hash=hash_password(password),
        department_code=department if role == Role.DEPARTMENT else None,
        display_name=display_name or username,
        extension=extension,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def _check_lengths(*, username: str, display_name: str, extension: str | None) -> None:
    """Within the columns: PostgreSQL refuses a longer value outright."""
    if not 1 <= len(username) <= USERNAME_MAX:
        raise InvalidInput(f"用户名须为 1 到 {USERNAME_MAX} 个字符", field="username")
    if len(display_name) > DISPLAY_NAME_MAX:
        raise InvalidInput(f"显示名称不能超过 {DISPLAY_NAME_MAX} 个字符", field="display_name")
    if extension is not None and not 1 <= len(extension) <= EXTENSION_MAX:
        raise InvalidInput(f"分机号须为 1 到 {EXTENSION_MAX} 个字符", field="extension")


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    failure = Unauthorized("用户名或密码错误")
    if user is None:
        raise failure
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    return user


def token_secret(session: Session) -> bytes:
    """One secret per installation, kept in the database so every worker signs alike."""
    row = session.get(Setting, SECRET_KEY)
    if row is None:
        row = Setting(key=SECRET_KEY, value=secrets.token_hex(32))
        session.add(row)
        session.flush()
    return bytes.fromhex(row.value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issue_token(secret: bytes, user: User, hours: float) -> str:
    body = _b64(json.dumps({"u": user.id, "exp": int(time.time() + hours * 3600)}).encode())
    signature = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def read_token(secret: bytes, token: str) -> int:
    """The user id a valid, unexpired token names."""
    invalid = Unauthorized("登录已失效，请重新登录")
    if not token.isascii():  # a token we issued is ASCII; hmac refuses to compare other text
        raise invalid
    body, _, signature = token.partition(".")
    expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        raise invalid
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        raise invalid from None
    if claims.get("exp", 0) < time.time():
        raise invalid
    return int(claims["u"])


def actor_of(user: User) -> Actor:
    return Actor(username=user.username, role=Role(user.role), department=user.department_code)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("用户不存在")
    return user
