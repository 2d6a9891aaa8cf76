"""Settings from the environment; every knob has a safe embedded default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse

from hotline.revisits.policy import CallingHours


@dataclass(frozen=True)
class HttpLimits:
    """What one ``hotline serve`` worker allows its HTTP clients (docs/deploy.md, "Limits").

    max_connections: open connections (uvicorn's limit_concurrency; beyond it requests get
    503), below the unit's LimitNOFILE; keep_alive_seconds: an idle kept-alive connection is
    closed after this, longer than nginx's upstream keepalive_timeout (60 s) so nginx never
    reuses one the app is closing; header_seconds: a connection must deliver its request's
    headers within this (slowloris); max_header_bytes: request line and headers together."""

    max_connections: int = 1000
    keep_alive_seconds: int = 75
    header_seconds: float = 10.0
    max_header_bytes: int = 16384

    @classmethod
    def from_env(cls, env: dict[str, str]) -> HttpLimits:
        def whole(name: str, default: int) -> int:
            value = _whole(env, name)
            return default if value is None else value

        return cls(
            max_connections=whole("HOTLINE_HTTP_MAX_CONNECTIONS", cls.max_connections),
            keep_alive_seconds=whole("HOTLINE_HTTP_KEEP_ALIVE", cls.keep_alive_seconds),
            header_seconds=_positive(env, "HOTLINE_HTTP_HEADER_TIMEOUT", cls.header_seconds),
            max_header_bytes=whole("HOTLINE_HTTP_MAX_HEADER_BYTES", cls.max_header_bytes),
        )


@dataclass(frozen=True)
class RevisitSettings:
    """The automated revisits (docs/workflow.md, "Revisit plans"). calling_hours: when the
    citizens may be called, centre time, as "HH:MM-HH:MM,…"; weekends: also on ordinary
    Saturdays and Sundays (never on statutory holidays; working days of the statutory calendar
    always); max_attempts: automated attempts before the operators take over; retry_minutes:
    at least this long between two attempts; channel: the automated channel, call or sms;
    interval_seconds: how often each worker looks for attempts due."""

    calling_hours: str = "09:00-12:00,14:00-20:00"
    weekends: bool = False
    max_attempts: int = 3
    retry_minutes: float = 120
    channel: str = "call"
    interval_seconds: float = 30

    @classmethod
    def from_env(cls, env: dict[str, str]) -> RevisitSettings:
        hours = env.get("HOTLINE_REVISIT_CALLING_HOURS") or cls.calling_hours
        try:
            CallingHours.parse(hours)
        except ValueError as error:
            raise InvalidSetting(f"HOTLINE_REVISIT_CALLING_HOURS：{error}") from None
        channel = env.get("HOTLINE_REVISIT_CHANNEL") or cls.channel
        if channel not in ("call", "sms"):
            raise InvalidSetting(f"HOTLINE_REVISIT_CHANNEL 必须是 call 或 sms，而不是 {channel!r}")
        weekends = (env.get("HOTLINE_REVISIT_WEEKENDS") or "no").lower()
        if weekends not in ("yes", "no", "true", "false", "1", "0"):
            raise InvalidSetting(f"HOTLINE_REVISIT_WEEKENDS 必须是 yes 或 no，而不是 {weekends!r}")
        return cls(
            calling_hours=hours,
            weekends=weekends in ("yes", "true", "1"),
            max_attempts=_whole(env, "HOTLINE_REVISIT_MAX_ATTEMPTS") or cls.max_attempts,
            retry_minutes=_positive(env, "HOTLINE_REVISIT_RETRY_MINUTES", cls.retry_minutes),
            channel=channel,
            interval_seconds=_positive(env, "HOTLINE_REVISIT_INTERVAL", cls.interval_seconds),
        )


@dataclass(frozen=True)
class SmsSettings:
    """The text-message revisit link (docs/workflow.md, "The text-message link").
    gateway_url/gateway_secret: the HTTP gateway posted to, the body signed with the secret
    (no URL: texts are only logged); sending_hours: when texts may be sent, as the calling
    hours (None: the calling hours); link_days: how long a link stays usable; public_url: the
    address citizens open the centre's /public pages at; per_number: texts to one number,
    per_minute: texts in all, both in the ``limits`` notation."""

    gateway_url: str | None = None
    gateway_secret: str | None = field(default=None, repr=False)
    gateway_timeout_seconds: float = 10
    sending_hours: str | None = None
    link_days: float = 3
    public_url: str = "http://127.0.0.1:8000"
    per_number: str = "2/day"
    per_minute: str = "60/minute"

    @classmethod
    def from_env(cls, env: dict[str, str]) -> SmsSettings:
        url = env.get("HOTLINE_SMS_GATEWAY_URL") or None
        secret = env.get("HOTLINE_SMS_GATEWAY_SECRET") or None
        if url and not secret:
            raise InvalidSetting(
                "设置了 HOTLINE_SMS_GATEWAY_URL 时须设置 HOTLINE_SMS_GATEWAY_SECRET"
            )
        if url and not url.startswith(("http://", "https://")):
            raise InvalidSetting(f"HOTLINE_SMS_GATEWAY_URL 必须是 http(s) 地址，而不是 {url!r}")
        hours = env.get("HOTLINE_SMS_SENDING_HOURS") or None
        if hours:
            try:
                CallingHours.parse(hours)
            except ValueError as error:
                raise InvalidSetting(f"HOTLINE_SMS_SENDING_HOURS：{error}") from None
        return cls(
            gateway_url=url,
            gateway_secret=secret,
            gateway_timeout_seconds=_positive(
                env, "HOTLINE_SMS_GATEWAY_TIMEOUT", cls.gateway_timeout_seconds
            ),
            sending_hours=hours,
            link_days=_positive(env, "HOTLINE_SMS_LINK_DAYS", cls.link_days),
            public_url=(env.get("HOTLINE_PUBLIC_URL") or cls.public_url).rstrip("/"),
            per_number=_rate(env, "HOTLINE_SMS_PER_NUMBER", cls.per_number),
            per_minute=_rate(env, "HOTLINE_SMS_PER_MINUTE", cls.per_minute),
        )


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///hotline.db"
    redis_url: str | None = None
    ami_url: str | None = None
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int | None = None
    # Streams open at once on one speech host; None: 3 per recognition thread.
    audiosocket_max_streams: int | None = None
    vosk_model: str | None = None
    classifier_model: str | None = None
    token_hours: float = 12
    scan_interval_seconds: float = 60
    # The centre's time zone: deadlines, "today" and every date the pages show or send.
    time_zone: str = "Asia/Shanghai"
    # Requests per client to the public API (the `limits` notation); a service hall's kiosks or
    # a campus behind one address may need more.
    public_rate: str = "60/minute"
    # Requests per Open311 api_key (a city app files for many citizens at once).
    open311_rate: str = "600/minute"
    # The bearer token a Prometheus scrape of /metrics sends; None: no /metrics (404).
    metrics_token: str | None = field(default=None, repr=False)
    http: HttpLimits = field(default_factory=HttpLimits)
    revisit: RevisitSettings = field(default_factory=RevisitSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
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
            audiosocket_max_streams=_whole(env, "HOTLINE_AUDIOSOCKET_MAX_STREAMS"),
            vosk_model=env.get("HOTLINE_VOSK_MODEL") or None,
            classifier_model=env.get("HOTLINE_CLASSIFIER_MODEL") or None,
            token_hours=_positive(env, "HOTLINE_TOKEN_HOURS", cls.token_hours),
            scan_interval_seconds=_positive(
                env, "HOTLINE_SCAN_INTERVAL", cls.scan_interval_seconds
            ),
            time_zone=_time_zone(env, "HOTLINE_TIME_ZONE", cls.time_zone),
            public_rate=_rate(env, "HOTLINE_PUBLIC_RATE", cls.public_rate),
            open311_rate=_rate(env, "HOTLINE_OPEN311_RATE", cls.open311_rate),
            metrics_token=env.get("HOTLINE_METRICS_TOKEN") or None,
            http=HttpLimits.from_env(env),
            revisit=RevisitSettings.from_env(env),
            sms=SmsSettings.from_env(env),
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


def _whole(env: dict[str, str], name: str) -> int | None:
    raw = env.get(name)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidSetting(f"{name} 必须是正整数，而不是 {raw!r}")
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
