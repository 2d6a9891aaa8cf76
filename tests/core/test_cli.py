"""The hotline command: migrate, seed, add users — and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from hotline.cli import app
from hotline.config import Settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    return url


def test_upgrade_seed_and_add_users(env: str) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "departments 31" in upgraded.output
    seeded = runner.invoke(app, ["seed-demo"])
    assert seeded.exit_code == 0 and "operator1" in seeded.output
    assert runner.invoke(app, ["seed-demo"]).exit_code == 0  # idempotent
    added = runner.invoke(
        app,
        [
            "users",
            "add",
            "liu",
            "--role",
            "department",
            "--department",
            "ZJ",
            "--password",
            "pw123456",
        ],
    )
    assert added.exit_code == 0, added.output
    scanned = runner.invoke(app, ["scan"])
    assert scanned.exit_code == 0 and "0 个事件" in scanned.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "wizard", "--password", "pw123456"], "未知角色"),
        (["--role", "department", "--password", "pw123456"], "必须绑定一个部门"),
        (["--role", "department", "--department", "NOPE", "--password", "pw123456"], "未知部门"),
        (["--role", "operator", "--password", "123"], "至少 6 位"),
    ],
)
def test_bad_users_are_refused_clearly(env: str, args: list[str], message: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["users", "add", "x", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_serve_refuses_a_malformed_ami_url_with_a_message(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_AMI_URL", "bogus")
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "HOTLINE_AMI_URL" in result.output and "ami://" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HOTLINE_AUDIOSOCKET_PORT", "abc", "HOTLINE_AUDIOSOCKET_PORT 必须是 0–65535 的端口号"),
        ("HOTLINE_AUDIOSOCKET_PORT", "70000", "HOTLINE_AUDIOSOCKET_PORT 必须是 0–65535 的端口号"),
        ("HOTLINE_TOKEN_HOURS", "twelve", "HOTLINE_TOKEN_HOURS 必须是正数"),
        ("HOTLINE_SCAN_INTERVAL", "0", "HOTLINE_SCAN_INTERVAL 必须是正数"),
        ("HOTLINE_SCAN_INTERVAL", "nan", "HOTLINE_SCAN_INTERVAL 必须是正数"),
        ("HOTLINE_HTTP_MAX_CONNECTIONS", "0", "HOTLINE_HTTP_MAX_CONNECTIONS 必须是正整数"),
        ("HOTLINE_HTTP_KEEP_ALIVE", "7.5", "HOTLINE_HTTP_KEEP_ALIVE 必须是正整数"),
        ("HOTLINE_HTTP_HEADER_TIMEOUT", "-1", "HOTLINE_HTTP_HEADER_TIMEOUT 必须是正数"),
        ("HOTLINE_HTTP_MAX_HEADER_BYTES", "16k", "HOTLINE_HTTP_MAX_HEADER_BYTES 必须是正整数"),
        ("HOTLINE_AUDIOSOCKET_MAX_STREAMS", "many", "HOTLINE_AUDIOSOCKET_MAX_STREAMS 必须是正整数"),
    ],
)
def test_a_bad_setting_stops_every_command_naming_it(
    env: str, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    for command in (["scan"], ["db", "upgrade"], ["serve"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output


def test_empty_settings_mean_their_defaults() -> None:
    settings = Settings.from_env(
        {"HOTLINE_AUDIOSOCKET_PORT": "", "HOTLINE_TOKEN_HOURS": "", "HOTLINE_SCAN_INTERVAL": ""}
    )
    assert settings.audiosocket_port is None
    assert (settings.token_hours, settings.scan_interval_seconds) == (12, 60)
    assert Settings.from_env({"HOTLINE_AUDIOSOCKET_PORT": "0"}).audiosocket_port == 0


def test_several_workers_need_redis_for_their_events(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: runs.append(options))
    monkeypatch.delenv("HOTLINE_REDIS_URL", raising=False)
    monkeypatch.delenv("HOTLINE_AUDIOSOCKET_PORT", raising=False)
    monkeypatch.delenv("HOTLINE_AMI_URL", raising=False)
    refused = CliRunner().invoke(app, ["serve", "--workers", "2"])
    assert refused.exit_code == 2 and runs == []
    assert "多个 API 进程（--workers N）需要 HOTLINE_REDIS_URL" in refused.output
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0  # one worker: its own bus is all
    monkeypatch.setenv("HOTLINE_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert CliRunner().invoke(app, ["serve", "--workers", "2"]).exit_code == 0
    assert [run.get("workers") for run in runs] == [None, 2]
