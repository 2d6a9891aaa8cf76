"""Scraping /metrics in tests: the samples by name and labels."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from hotline.services import Services

TOKEN = "scrape-token-for-tests"


def with_metrics_token(services: Services) -> Services:
    services.settings = replace(services.settings, metrics_token=TOKEN)
    return services


class Samples:
    def __init__(self, text: str) -> None:
        self.text = text
        self.values: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                key = (sample.name, frozenset(sample.labels.items()))
                assert key not in self.values, f"{key} reported twice"
                self.values[key] = sample.value

    def __call__(self, name: str, **labels: str) -> float:
        """The sample's value; 0 for a labelled series not seen yet."""
        return self.values.get((name, frozenset(labels.items())), 0.0)

    def grew(self, earlier: Samples, name: str, **labels: str) -> float:
        """How much the sample moved since the ``earlier`` scrape."""
        return self(name, **labels) - earlier(name, **labels)

    def names(self) -> set[str]:
        return {name for name, _ in self.values}

    def labels(self, name: str) -> list[dict[str, str]]:
        return [dict(labels) for sample, labels in self.values if sample == name]


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def scrape(client: TestClient) -> Samples:
    reply = client.get("/metrics", headers=bearer())
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain")
    return Samples(reply.text)
