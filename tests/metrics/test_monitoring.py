"""deploy/monitoring/: the alert rules pass promtool (syntax and their own unit tests: each
alert fires when it should), and the rules and the Grafana dashboard name only series the app
exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.services import Services
from tests.app_fixtures import Api, Clock
from tests.conftest import IN_CI
from tests.metrics.scraping import scrape, with_metrics_token
from tests.metrics.test_metrics import feed_call

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"
SERIES_NAME = re.compile(r"\bhotline_[a-z0-9_]+")
# What Prometheus appends to a histogram's or counter's name.
SUFFIXES = ("_bucket", "_count", "_sum")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        message = "promtool is not installed (Debian: apt-get install prometheus)"
        if IN_CI:  # scripts/install-system-deps.sh installs it
            pytest.fail(f"{message}; in CI this is a failure, not a skip", pytrace=False)
        pytest.skip(message)
    return subprocess.run(
        [binary, *args], cwd=MONITORING, capture_output=True, text=True, timeout=60
    )


def test_the_alert_rules_are_valid() -> None:
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_alert_fires_when_it_should() -> None:
    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())["groups"][0]["rules"]
    tests = (MONITORING / "alerts.test.yml").read_text()
    untested = [rule["alert"] for rule in rules if f"alertname: {rule['alert']}" not in tests]
    assert untested == []


def referenced_series() -> dict[str, set[str]]:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    expressions = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())["groups"][0]["rules"]
    return {
        "grafana-dashboard.json": {n for e in expressions for n in SERIES_NAME.findall(e)},
        "alerts.yml": {n for rule in rules for n in SERIES_NAME.findall(rule["expr"])},
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_dashboard_and_rules_name_only_exposed_series(services: Services, clock: Clock) -> None:
    app = create_app(services=with_metrics_token(services))
    with TestClient(app) as client:
        api = Api(client)
        ticket = api.create()
        api.act("disp", ticket["id"], "dispatch", {"department": "ZJ"})
        api.post("op", "/api/classify", {"text": "路灯不亮"})
        feed_call(services, clock, "queue_call")
        clock.now += timedelta(seconds=30)
        # Stand-ins for the AMI bridge and the speech server this process does not run.
        app.state.call_bridge = SimpleNamespace(
            connected=True, ami=SimpleNamespace(client=SimpleNamespace(connections=1))
        )
        app.state.speech_service = SimpleNamespace(
            stats=lambda: {
                "streams_active": 0,
                "audio_seconds_backlog": 0.0,
                "partials_dropped": 0,
                "audio_seconds_dropped": 0.0,
            }
        )
        exposed = scrape(client).names()
        app.state.call_bridge = app.state.speech_service = None
    exposed |= {name.removesuffix(suffix) for name in exposed for suffix in SUFFIXES}
    for source, names in referenced_series().items():
        assert names, source
        assert names - exposed == set(), source
