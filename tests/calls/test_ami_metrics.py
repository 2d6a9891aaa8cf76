"""The AMI connection's state and reconnects at /metrics, with the bridge connected to the
switchboard simulator: Asterisk goes down, the series say so, it comes back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.services import Services
from tests.calls.conftest import Switchboard, eventually
from tests.metrics.scraping import scrape, with_metrics_token


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
