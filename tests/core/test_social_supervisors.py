"""社会监督员 (Art. 34): the figures and their exports for third-party evaluation, and nothing
of the tickets or the citizens behind them."""

from __future__ import annotations

import pytest

from tests.app_fixtures import Api

PERIOD = {"start": "2026-11-23", "end": "2026-11-23"}


def test_social_supervisors_read_the_figures_and_export_them(api: Api) -> None:
    tid = api.create()["id"]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})
    figures = api.get("mon", "/api/stats/departments", **PERIOD)
    assert figures.status_code == 200
    assert [row["dispatched"] for row in figures.json()["departments"] if row["code"] == "ZJ"] == [
        1
    ]
    exported = api.get("mon", "/api/stats/departments/export", format="csv", **PERIOD)
    assert exported.status_code == 200 and "ZJ" in exported.text
    assert api.get("mon", "/api/stats/calls", **PERIOD).status_code == 200
    assert api.client.get("/api/public/ratings", params=PERIOD).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/tickets"),
        ("GET", "/api/tickets/{tid}"),
        ("POST", "/api/tickets/{tid}/actions/supervise"),
        ("POST", "/api/tickets"),
        ("GET", "/api/stats/overdue"),
        ("GET", "/api/hotspots"),
        ("GET", "/api/calls"),
        ("GET", "/api/kb/entries"),
    ],
)
def test_social_supervisors_see_no_ticket_and_no_citizen(api: Api, method: str, path: str) -> None:
    tid = api.create()["id"]
    url = path.format(tid=tid)
    body = {"reason": "监督", "content": "x", "citizen_phone": "13812345678", "type": "投诉"}
    reply = (
        api.get("mon", url)
        if method == "GET"
        else api.client.post(url, json=body, headers=api.headers("mon"))
    )
    assert reply.status_code == 403, reply.text
    assert reply.json()["code"] == "forbidden" and "13812345678" not in reply.text
