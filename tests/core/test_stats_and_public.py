"""Supervision figures move with the work; exports and the public pages' API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from tests.app_fixtures import Api, Clock

PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}


def _row(api: Api, code: str) -> dict:  # type: ignore[type-arg]
    figures = api.get("sup", "/api/stats/departments", **PERIOD).json()
    return next(r for r in figures["departments"] if r["code"] == code)


def test_figures_follow_signing_replies_and_ratings(api: Api, clock: Clock) -> None:
    on_time = api.create(real_name=True)["id"]
    late = api.create()["id"]
    for tid in (on_time, late):
        api.act("disp", tid, "dispatch", {"department": "ZJ"})
    api.act("zj", on_time, "accept")
    api.act("zj", on_time, "reply", {"content": "已处理"})
    api.act("op", on_time, "revisit", {"rating": "满意", "solved": True})
    clock.now += timedelta(days=3)  # signing window of the second ticket has passed
    api.act("zj", late, "accept")
    api.act("zj", late, "reply", {"content": "已处理"})
    api.act("op", late, "revisit", {"rating": "不满意", "solved": False})
    api.act("op", late, "reopen", {"reason": "未解决"})

    zj = _row(api, "ZJ")
    assert zj["dispatched"] == 3  # two dispatches and one 重办
    assert zj["sign_on_time_rate"] == 0.5  # the 重办 dispatch is not yet due
    assert zj["satisfaction_rate"] == 0.5 and zj["solved_rate"] == 0.5
    assert zj["reopen_rate"] == 0.5
    assert zj["rank"] == 1 and zj["score"] is not None
    centre = api.get("sup", "/api/stats/departments", **PERIOD).json()["centre"]
    assert centre["received"] == 2 and centre["direct_close_rate"] == 0.0

    by_division = api.get("sup", "/api/stats/departments", by="division", **PERIOD).json()
    assert by_division["by"] == "division"


def test_exports_in_csv_and_xlsx(api: Api) -> None:
    tid = api.create()["id"]
    api.act("disp", tid, "dispatch", {"department": "HB"})
    reply = api.get("sup", "/api/stats/departments/export", format="csv", **PERIOD)
    assert reply.status_code == 200 and "attachment" in reply.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(reply.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["排名", "代码", "部门"]
    assert any(row[1] == "HB" and row[3] == "1" for row in rows[1:])
    xlsx = api.get("sup", "/api/stats/departments/export", format="xlsx", **PERIOD)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 3).value == "部门" and sheet.cell(2, 2).value == "HB"


def test_public_files_looks_up_and_rates(api: Api) -> None:
    filed = api.client.post(
        "/api/public/tickets",
        json={
            "content": "小区路灯坏了一周",
            "citizen_phone": "13900001111",
            "citizen_name": "陈",
            "real_name": True,
        },
    )
    assert filed.status_code == 201
    number = filed.json()["number"]
    wrong = api.client.get(f"/api/public/tickets/{number}", params={"phone": "13900002222"})
    assert wrong.status_code == 404
    found = api.client.get(f"/api/public/tickets/{number}", params={"phone": "13900001111"}).json()
    assert found["status"] == "registered" and found["can_rate"] is False

    tid = api.get("op", "/api/tickets", q=number).json()["items"][0]["id"]
    assert api.get("op", f"/api/tickets/{tid}").json()["channel"] == "web"
    api.act("disp", tid, "dispatch", {"department": "CG"})
    api.act("cg", tid, "accept")
    api.act("cg", tid, "reply", {"content": "已更换灯泡"})
    shown = api.client.get(f"/api/public/tickets/{number}", params={"phone": "13900001111"}).json()
    assert shown["reply"] == "已更换灯泡" and shown["can_rate"] is True
    rated = api.client.post(
        f"/api/public/tickets/{number}/rating",
        json={"phone": "13900001111", "rating": "非常满意", "solved": True},
    )
    assert rated.status_code == 200 and rated.json()["rating"] == "非常满意"
    again = api.client.post(
        f"/api/public/tickets/{number}/rating",
        json={"phone": "13900001111", "rating": "不满意", "solved": False},
    )
    assert again.status_code == 409
    published = api.client.get("/api/public/ratings", params=PERIOD).json()["departments"]
    assert published[0]["code"] == "CG" and published[0]["satisfaction_rate"] == 1.0
