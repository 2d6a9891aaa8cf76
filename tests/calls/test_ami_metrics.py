"""The AMI connection's state and reconnects at /metrics, with the bridge connected to the
switchboard simulator: Asterisk goes down, the series say so, it comes back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hotline.app import create_app
from hotline.calls.runner import CallBridge
from hotline.cli import app as cli
from hotline.metrics.listener import metrics_listener
from hotline.services import Services
from telephony.ami import parse_ami_url
from tests.calls.conftest import Switchboard, eventually
from tests.metrics.scraping import Samples, bearer, scrape, with_metrics_token


@pytest.fixture
def metered_bridge(services: Services, switchboard: Switchboard) -> Iterator[TestClient]:
    services = with_metrics_token(services)
    app = create_app(replace(services.settings, ami_url=switchboard.ami_url), services=services)
    with TestClient(app) as client:
        eventually(lambda: app.state.call_bridge is not None and app.state.call_bridge.connected)
        yield client


def test_ami_state_and_reconnects(metered_bridge: TestClient, switchboard: Switchboard) -> None:
    samples = scrape(metered_bridge)
    assert samples("hotline_ami_connected") == 1
    assert samples("hotline_ami_reconnects_total") == 0

    switchboard.run(switchboard.sim.stop_listening())  # Asterisk goes down
    eventually(lambda: scrape(metered_bridge)("hotline_ami_connected") == 0)
    assert "hotline_ami_connected" in scrape(metered_bridge).names()  # 0, not absent

    switchboard.run(switchboard.sim.start())  # and comes back on its port
    eventually(lambda: scrape(metered_bridge)("hotline_ami_connected") == 1, timeout=15)
    assert scrape(metered_bridge)("hotline_ami_reconnects_total") == 1


def test_no_ami_series_without_a_bridge(services: Services) -> None:
    with TestClient(create_app(services=with_metrics_token(services))) as metered:
        assert "hotline_ami_connected" not in scrape(metered).names()


def test_hotline_bridge_serves_its_own_metrics(
    services: Services, switchboard: Switchboard
) -> None:
    """``hotline bridge --metrics-port``: the bridge's AMI state on a port of its own, behind
    the same token; the database's gauges stay with the API's scrape (not reported twice)."""
    services = with_metrics_token(services)

    async def scrape_the_bridge() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        call_bridge = CallBridge(services, parse_ami_url(switchboard.ami_url))
        call_bridge.start()
        try:
            await call_bridge.ami.client.wait_connected(timeout=10)
            async with metrics_listener(services, "127.0.0.1", 0, call_bridge=call_bridge) as port:
                url = f"http://127.0.0.1:{port}"
                async with httpx.AsyncClient() as http:
                    return (
                        await http.get(f"{url}/metrics", headers={"Authorization": "Bearer x"}),
                        await http.get(f"{url}/other"),
                        await http.get(f"{url}/metrics", headers=bearer()),
                    )
        finally:
            await call_bridge.stop()

    refused, unknown, scraped = asyncio.run(scrape_the_bridge())
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    samples = Samples(scraped.text)
    assert samples("hotline_ami_connected") == 1
    assert samples("hotline_ami_reconnects_total") == 0
    assert "hotline_bus_publish_failures_total" in samples.names()  # the process's own
    assert "hotline_tickets_overdue" not in samples.names()


def test_a_metrics_port_without_a_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_AMI_URL", "ami://u:s@127.0.0.1:5038")
    monkeypatch.delenv("HOTLINE_METRICS_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["bridge", "--metrics-port", "9109"])
    assert result.exit_code != 0 and "HOTLINE_METRICS_TOKEN" in result.output
