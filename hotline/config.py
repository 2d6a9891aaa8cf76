"""Settings from the environment; every knob has a safe embedded default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///hotline.db"
    redis_url: str | None = None
    ami_url: str | None = None
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int | None = None
    vosk_model: str | None = None
    classifier_model: str | None = None
    token_hours: float = 12
    scan_interval_seconds: float = 60
    # The centre's time zone: deadlines, "today" and every date the pages show or send.
    time_zone: str = "Asia/Shanghai"
    # Requests per client to the public API (the `limits` notation); a service hall's kiosks or
    # a campus behind one address may need more.
    public_rate: str = "60/minute"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Raises InvalidSetting, naming the variable, for a value that cannot be used."""
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("HOTLINE_DATABASE_URL", cls.database_url),
            redis_url=env.get("HOTLINE_REDIS_URL") or None,
            ami_url=env.get("HOTLINE_AMI_URL") or None,
            audiosocket_host=env.get("HOTLINE_AUDIOSOCKET_HOST", cls.audiosocket_host),
            audiosocket_port=_port(env, "HOTLINE_AUDIOSOCKET_PORT"),
            vosk_model=env.get("HOTLINE_VOSK_MODEL") or None,
            classifier_model=env.get("HOTLINE_CLASSIFIER_MODEL") or None,
            token_hours=_positive(env, "HOTLINE_TOKEN_HOURS", cls.token_hours),
            scan_interval_seconds=_positive(
                env, "HOTLINE_SCAN_INTERVAL", cls.scan_interval_seconds
            ),
            time_zone=_time_zone(env, "HOTLINE_TIME_ZONE", cls.time_zone),
            public_rate=_rate(env, "HOTLINE_PUBLIC_RATE", cls.public_rate),
        )


class InvalidSetting(ValueError):
    """An environment variable whose value cannot be used; the message names it."""


def _port(env: dict[str, str], name: str) -> int | None:
    raw = env.get(name)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > 65535:
        raise InvalidSetting(f"{name} 必须是 0–65535 的端口号，而不是 {raw!r}")
    return int(raw)


def _positive(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:  # also refuses nan
        raise InvalidSetting(f"{name} 必须是正数，而不是 {raw!r}")
    return value


def _time_zone(env: dict[str, str], name: str, default: str) -> str:
    raw = env.get(name) or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSetting(
            f"{name} 必须是 IANA 时区名（如 Asia/Shanghai），而不是 {raw!r}"
        ) from None
    return raw


def _rate(env: dict[str, str], name: str, default: str) -> str:
    raw = env.get(name)
    if not raw:
        return default
    try:
        parse(raw)
    except ValueError:
        raise InvalidSetting(f"{name} 必须形如 60/minute、1000/hour，而不是 {raw!r}") from None
    return raw
