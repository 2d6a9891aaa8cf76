"""The hotline command: migrate, seed, add users — and clear errors for bad input."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from typer.testing import CliRunner

from hotline.cli import app
from hotline.config import Settings
from hotline.services import Services
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


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
    assert "仅供演示" in seeded.output  # the demo's documented passwords are said to be demo-only
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
            "Lz-7c!qn4Vw2",
        ],
    )
    assert added.exit_code == 0, added.output
    scanned = runner.invoke(app, ["scan"])
    assert scanned.exit_code == 0 and "0 个事件" in scanned.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "wizard", "--password", "Lz-7c!qn4Vw2"], "未知角色"),
        (["--role", "department", "--password", "Lz-7c!qn4Vw2"], "必须绑定一个部门"),
        (
            ["--role", "department", "--department", "NOPE", "--password", "Lz-7c!qn4Vw2"],
            "未知部门",
        ),
        (["--role", "operator", "--password", "Ab3$"], "至少 8 位"),
        (["--role", "operator", "--password", "20261127"], "不能全是数字"),
        (["--role", "operator", "--password", "x-Wangfang-2026"], "不能包含用户名"),
        (["--role", "operator", "--password", "woaini1314"], "太容易被猜到"),
        (["--role", "operator", "--password", "P@ssw0rd!"], "太容易被猜到"),
        (["--role", "operator", "--password", "secret123"], "太容易被猜到"),
    ],
)
def test_bad_users_are_refused_clearly(env: str, args: list[str], message: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["users", "add", "wangfang", *args])
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


@pytest.mark.parametrize("command", [["bridge"], ["revisits", "run-once"]])
def test_commands_that_need_the_switchboard_say_so(
    env: str, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.delenv("HOTLINE_AMI_URL", raising=False)
    missing = CliRunner().invoke(app, command)
    assert missing.exit_code == 2
    assert "错误：请设置 HOTLINE_AMI_URL 或 --ami-url" in missing.output
    malformed = CliRunner().invoke(app, [*command, "--ami-url", "bogus"])
    assert malformed.exit_code == 2 and "ami://" in malformed.output
    assert "Traceback" not in missing.output + malformed.output


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HOTLINE_AUDIOSOCKET_PORT", "abc", "HOTLINE_AUDIOSOCKET_PORT 必须是 0–65535 的端口号"),
        ("HOTLINE_AUDIOSOCKET_PORT", "70000", "HOTLINE_AUDIOSOCKET_PORT 必须是 0–65535 的端口号"),
        ("HOTLINE_TOKEN_HOURS", "twelve", "HOTLINE_TOKEN_HOURS 必须是正数"),
        ("HOTLINE_SCAN_INTERVAL", "0", "HOTLINE_SCAN_INTERVAL 必须是正数"),
        ("HOTLINE_SCAN_INTERVAL", "nan", "HOTLINE_SCAN_INTERVAL 必须是正数"),
        ("HOTLINE_TIME_ZONE", "Mars/Olympus", "HOTLINE_TIME_ZONE 必须是 IANA 时区名"),
        ("HOTLINE_TIME_ZONE", "../etc/passwd", "HOTLINE_TIME_ZONE 必须是 IANA 时区名"),
        ("HOTLINE_PUBLIC_RATE", "lots", "HOTLINE_PUBLIC_RATE 必须形如 60/minute"),
        ("HOTLINE_OPEN311_RATE", "many", "HOTLINE_OPEN311_RATE 必须形如 60/minute"),
        ("HOTLINE_HTTP_MAX_CONNECTIONS", "0", "HOTLINE_HTTP_MAX_CONNECTIONS 必须是正整数"),
        ("HOTLINE_HTTP_KEEP_ALIVE", "7.5", "HOTLINE_HTTP_KEEP_ALIVE 必须是正整数"),
        ("HOTLINE_HTTP_HEADER_TIMEOUT", "-1", "HOTLINE_HTTP_HEADER_TIMEOUT 必须是正数"),
        ("HOTLINE_HTTP_MAX_HEADER_BYTES", "16k", "HOTLINE_HTTP_MAX_HEADER_BYTES 必须是正整数"),
        ("HOTLINE_AUDIOSOCKET_MAX_STREAMS", "many", "HOTLINE_AUDIOSOCKET_MAX_STREAMS 必须是正整数"),
        ("HOTLINE_REVISIT_CALLING_HOURS", "9-12", "HOTLINE_REVISIT_CALLING_HOURS：时段 '9-12'"),
        ("HOTLINE_REVISIT_CALLING_HOURS", "14:00-12:00", "的结束须晚于开始"),
        ("HOTLINE_REVISIT_CHANNEL", "fax", "HOTLINE_REVISIT_CHANNEL 必须是 call 或 sms"),
        ("HOTLINE_REVISIT_WEEKENDS", "sometimes", "HOTLINE_REVISIT_WEEKENDS 必须是 yes 或 no"),
        ("HOTLINE_REVISIT_MAX_ATTEMPTS", "0", "HOTLINE_REVISIT_MAX_ATTEMPTS 必须是正整数"),
        ("HOTLINE_REVISIT_RETRY_MINUTES", "-5", "HOTLINE_REVISIT_RETRY_MINUTES 必须是正数"),
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


def test_the_centres_clock_keeps_the_centres_zone() -> None:
    zone = "America/New_York"
    services = Services(Settings.from_env({"HOTLINE_TIME_ZONE": zone}))
    there = datetime.now(ZoneInfo(zone)).replace(tzinfo=None)
    assert abs(services.clock() - there) < timedelta(seconds=5)
    services.close()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is absent")
def test_make_run_takes_a_port() -> None:
    def planned(*args: str) -> str:
        dry_run = ["make", "--dry-run", "--always-make", "run", *args]
        return subprocess.run(dry_run, cwd=ROOT, capture_output=True, text=True, check=True).stdout

    assert "hotline demo --host 127.0.0.1 --port 8000" in planned()
    assert "hotline demo --host 127.0.0.1 --port 8080" in planned("PORT=8080")


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_taken_port_is_named_before_anything_starts(
    env: str, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: pytest.fail("uvicorn ran"))
    monkeypatch.setattr(asyncio, "run", lambda *args, **options: pytest.fail("demo started"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, [command, "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert "端口已被占用" in result.output and "make run PORT=" in result.output
    assert "Traceback" not in result.output


def test_several_workers_need_redis_for_their_events(
    env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runs: list[dict[str, object]] = []
    port = ["--port", str(free_port())]
    # serve --workers N points prometheus-client at a shared directory for the workers: keep
    # that out of this process's environment once the test is over (the metrics tests read it).
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: runs.append(options))
    monkeypatch.delenv("HOTLINE_REDIS_URL", raising=False)
    monkeypatch.delenv("HOTLINE_AUDIOSOCKET_PORT", raising=False)
    monkeypatch.delenv("HOTLINE_AMI_URL", raising=False)
    refused = CliRunner().invoke(app, ["serve", "--workers", "2", *port])
    assert refused.exit_code == 2 and runs == []
    assert "多个 API 进程（--workers N）需要 HOTLINE_REDIS_URL" in refused.output
    assert CliRunner().invoke(app, ["serve", *port]).exit_code == 0  # one worker: its own bus
    monkeypatch.setenv("HOTLINE_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert CliRunner().invoke(app, ["serve", "--workers", "2", *port]).exit_code == 0
    assert [run.get("workers") for run in runs] == [None, 2]
