"""What an operator installs from deploy/: systemd units that systemd accepts, running
``hotline`` commands that exist with those options, and settings the code really reads."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from hotline.cli import app as cli
from hotline.config import HttpLimits, Settings
from hotline.speech.decoder import DecoderSettings
from telephony.ami.client import parse_ami_url

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
ENV_EXAMPLE = ROOT / "deploy" / "hotline.env.example"
INSTALLED_COMMAND = "/opt/hotline/.venv/bin/hotline"


def directives(unit: Path) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit, repeated keys kept in order."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def settings_of(unit: Path) -> dict[str, str]:
    pairs = " ".join(directives(unit).get("Environment", [])).split()
    return dict(pair.split("=", 1) for pair in pairs)


def example_settings() -> dict[str, str]:
    lines = ENV_EXAMPLE.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def names_the_code_reads() -> set[str]:
    sources = [
        path.read_text()
        for package in ("hotline", "telephony", "classifier")
        for path in (ROOT / package).rglob("*.py")
    ]
    return set(re.findall(r"\"(HOTLINE_[A-Z0-9_]+)\"", "\n".join(sources)))


def test_there_is_a_unit_for_each_long_running_process() -> None:
    assert [unit.stem for unit in UNITS] == ["hotline-api", "hotline-bridge", "hotline-speech"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is absent")
@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.stem)
def test_systemd_accepts_the_unit(unit: Path, tmp_path: Path) -> None:
    # verify checks that ExecStart is executable: point it at this checkout's command.
    command = Path(sys.executable).parent / "hotline"
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace(INSTALLED_COMMAND, str(command)))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.stem)
def test_the_unit_runs_a_command_that_exists_with_its_options(unit: Path) -> None:
    [start] = directives(unit)["ExecStart"]
    command, *arguments = start.split()
    assert command == INSTALLED_COMMAND
    result = CliRunner().invoke(cli, [*arguments, "--help"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.stem)
def test_the_unit_reads_the_settings_file_and_sets_only_known_settings(unit: Path) -> None:
    found = directives(unit)
    assert found["EnvironmentFile"] == ["/etc/hotline/hotline.env"]
    assert set(settings_of(unit)) <= names_the_code_reads()


def test_only_the_speech_server_listens_for_audiosocket() -> None:
    # An API unit with the port set would not start with several workers (docs/deploy.md).
    listening = [unit.stem for unit in UNITS if "HOTLINE_AUDIOSOCKET_PORT" in settings_of(unit)]
    assert listening == ["hotline-speech"]
    assert "HOTLINE_AUDIOSOCKET_PORT" not in example_settings()


def test_every_setting_in_the_example_is_read_and_parses() -> None:
    example = example_settings()
    assert set(example) <= names_the_code_reads()
    settings = Settings.from_env(example)
    assert make_url(settings.database_url).get_backend_name() == "postgresql"
    assert settings.redis_url and settings.redis_url.startswith("redis://")
    assert parse_ami_url(settings.ami_url or "").port == 5038
    assert settings.token_hours == 12 and settings.scan_interval_seconds == 60
    assert DecoderSettings.from_mapping(example).workers == 4
    assert settings.http == HttpLimits()  # the example shows the defaults
    assert settings.audiosocket_max_streams == 12


@pytest.mark.parametrize("name", ["hotline-api", "hotline-speech"])
def test_a_unit_has_descriptors_for_every_connection_it_accepts(name: str) -> None:
    """systemd's default of 1024 descriptors ran out under 1,100 slow clients; a worker's
    connection cap plus its database pool and files must fit in the unit's limit."""
    [limit] = directives(ROOT / "deploy" / "systemd" / f"{name}.service")["LimitNOFILE"]
    settings = Settings.from_env(example_settings())
    assert int(limit) >= settings.http.max_connections + 1024


def test_the_proxy_keeps_upstream_connections_shorter_than_the_app() -> None:
    """nginx must drop an idle upstream connection before the app closes it, or it sends the
    next request on a connection that is closing."""
    site = (ROOT / "deploy" / "nginx" / "hotline.conf").read_text()
    [seconds] = re.findall(r"^\s*keepalive_timeout (\d+)s;", site, flags=re.MULTILINE)
    assert int(seconds) < Settings.from_env(example_settings()).http.keep_alive_seconds
