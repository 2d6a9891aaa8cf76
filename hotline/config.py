"""Settings from the environment; every knob has a safe embedded default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


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
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        port = env.get("HOTLINE_AUDIOSOCKET_PORT")
        return cls(
            database_url=env.get("HOTLINE_DATABASE_URL", cls.database_url),
            redis_url=env.get("HOTLINE_REDIS_URL") or None,
            ami_url=env.get("HOTLINE_AMI_URL") or None,
            audiosocket_host=env.get("HOTLINE_AUDIOSOCKET_HOST", cls.audiosocket_host),
            audiosocket_port=int(port) if port else None,
            vosk_model=env.get("HOTLINE_VOSK_MODEL") or None,
            classifier_model=env.get("HOTLINE_CLASSIFIER_MODEL") or None,
            token_hours=float(env.get("HOTLINE_TOKEN_HOURS", cls.token_hours)),
            scan_interval_seconds=float(
                env.get("HOTLINE_SCAN_INTERVAL", cls.scan_interval_seconds)
            ),
        )
