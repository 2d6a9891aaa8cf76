"""Passwords (argon2) and signed bearer tokens; the current user as a workflow actor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

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
MIN_PASSWORD_LENGTH = 8
# zxcvbn's 0–4: 3 is "safely unguessable" (about 10^10 guesses); 2 still lets common Chinese
# passwords such as "woaini1314" through.
MIN_PASSWORD_SCORE = 3


def check_password(password: str, username: str) -> None:
    """Refuses (InvalidInput) a password that is short, all digits, the username, or easy to
    guess by zxcvbn's estimate (common passwords, words, keyboard runs, dates)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD_LENGTH} 位", field="password")
    if password.isdigit():
        raise InvalidInput("密码不能全是数字", field="password")
    if len(username) >= 3 and username.casefold() in password.casefold():
        raise InvalidInput("密码不能包含用户名", field="password")
    # zxcvbn's time grows fast with length; a hundred characters are unguessable anyway.
    if zxcvbn(password[:100], user_inputs=[username])["score"] < MIN_PASSWORD_SCORE:
        raise InvalidInput(
            "密码太容易被猜到（常见密码、单词、键盘顺序或日期）：请用更长、更无规律的密码",
            field="password",
        )


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
    allow_weak_password: bool = False,
) -> User:
    """``allow_weak_password`` is for the demo's and the tests' documented logins only."""
    if role not in {r.value for r in STAFF_ROLES}:
        raise InvalidInput(f"未知角色：{role}", allowed=[r.value for r in STAFF_ROLES])
    if role == Role.DEPARTMENT and not department:
        raise InvalidInput("部门工作人员必须绑定一个部门（--department）")
    _check_lengths(username=username, display_name=display_name, extension=extension)
    if not allow_weak_password:
        check_password(password, username)
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


def digest_secret(secret: str) -> str:
    """How a bearer secret that is shown once (a kiosk token, an Open311 api_key) is kept: its
    SHA-256, so a copy of the database opens nothing. (A random 32-byte secret needs no slow
    hash, unlike a password.)"""
    return hashlib.sha256(secret.encode()).hexdigest()


@cache
def _stand_in_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


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
    try:
        # An unknown user costs the same as a known one, so the answer's time does not tell
        # which usernames exist.
        _hasher.verify(user.password_hash if user else _stand_in_hash(), password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise Unauthorized("用户名或密码错误")
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
