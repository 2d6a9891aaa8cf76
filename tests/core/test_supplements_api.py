"""补正 and 容缺受理 over the HTTP contract, on SQLite and PostgreSQL: the department's one-time
notice, the citizen's answer on the public page, the clock that stood still, the scan that ends
a lapsed wait (and withdraws a 容缺 application), the figures that do not count a waiting ticket
overdue, and bad input that changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest

from hotline.app import run_deadline_scan
from hotline.events import Event
from hotline.services import Services
from tests.app_fixtures import Api, Clock

PHONE = "13900001111"
ITEMS = ["施工工地的具体位置（门牌号或路口）", "夜间施工的大致时间段"]


def accepted(api: Api, **fields: object) -> dict:  # type: ignore[type-arg]
    number = api.client.post(
        "/api/public/tickets",
        json={
            "content": "工地每晚施工到凌晨两点",
            "citizen_phone": PHONE,
            "type": "投诉",
            **fields,
        },
    ).json()["number"]
    ticket = api.get("op", "/api/tickets", q=number).json()["items"][0]
    api.act("disp", ticket["id"], "dispatch", {"department": "ZJ"})
    return api.act("zj", ticket["id"], "accept")


def public(api: Api, number: str) -> dict:  # type: ignore[type-arg]
    reply = api.client.get(f"/api/public/tickets/{number}", params={"phone": PHONE})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_the_citizen_answers_the_notice_on_the_public_page(
    api: Api, clock: Clock, events: list[Event]
) -> None:
    ticket = accepted(api)
    tid, number, first_due = ticket["id"], ticket["number"], ticket["reply_due"]
    assert "request-supplement" in ticket["actions"]

    asked = api.act("zj", tid, "request-supplement", {"items": ITEMS, "days": 3, "note": "请补充"})
    assert asked["supplement_due"] == "2026-11-26T23:59:59" and asked["supplement_asked"]
    assert "request-supplement" not in asked["actions"] and "supplement" in asked["actions"]
    assert asked["supplements"] == [
        {
            "department": "ZJ",
            "items": ITEMS,
            "note": "请补充",
            "tolerated": False,
            "commitment": "",
            "requested_at": "2026-11-23T09:00:00",
            "requested_by": "zj",
            "due": "2026-11-26T23:59:59",
            "outcome": None,
            "ended_at": None,
            "content": "",
        }
    ]
    shown = public(api, number)
    assert shown["supplement"] == {
        "items": ITEMS,
        "note": "请补充",
        "due": "2026-11-26T23:59:59",
        "tolerated": False,
    }

    clock.now = datetime(2026, 11, 25, 20, 0)  # Wednesday evening: two working days later
    answered = api.client.post(
        f"/api/public/tickets/{number}/supplement",
        json={"phone": PHONE, "content": "红旗路 88 号旁工地，每晚 22 点到次日 2 点"},
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["supplement"] is None

    detail = api.get("zj", f"/api/tickets/{tid}").json()
    assert detail["supplement_due"] is None
    assert detail["reply_due"] > first_due  # moved on by the two working days
    notice = detail["supplements"][0]
    assert notice["outcome"] == "supplied" and notice["content"].startswith("红旗路 88 号")
    assert notice["ended_at"] == "2026-11-25T20:00:00"
    assert [h["action"] for h in detail["history"]][-2:] == ["request-supplement", "supplement"]
    assert {"ticket.supplement_requested", "ticket.supplement_ended", "ticket.supplemented"} <= {
        e.type for e in events
    }
    # The notice is one-time: asking again is refused with the reason.
    again = api.post("zj", f"/api/tickets/{tid}/actions/request-supplement", {"items": ["照片"]})
    assert again.status_code == 409 and "一次性告知" in again.json()["message"]
    # The dispatch record, which the figures read, carries the moved deadline.
    replied = api.act("zj", tid, "reply", {"content": "已责令停止夜间施工"})
    assert replied["status"] == "replied"


def test_a_lapsed_wait_is_ended_by_the_scan_and_the_clock_runs_again(
    api: Api, services: Services, clock: Clock
) -> None:
    tid = accepted(api)["id"]
    api.act("zj", tid, "request-supplement", {"items": ITEMS, "days": 1})  # due Tue 23:59:59
    clock.now = datetime(2026, 11, 24, 12, 0)
    assert run_deadline_scan(services) == 0
    clock.now = datetime(2026, 11, 25, 9, 0)
    assert run_deadline_scan(services) == 1
    detail = api.get("zj", f"/api/tickets/{tid}").json()
    assert detail["supplement_due"] is None and detail["supplements"][0]["outcome"] == "lapsed"
    assert detail["history"][-1]["actor"] == "system"
    late = api.client.post(
        f"/api/public/tickets/{detail['number']}/supplement",
        json={"phone": PHONE, "content": "晚了"},
    )
    assert late.status_code == 409 and late.json()["code"] == "illegal_transition"


def test_a_waiting_ticket_is_not_overdue_in_lists_or_figures(
    api: Api, services: Services, clock: Clock
) -> None:
    ticket = accepted(api, type="咨询")  # reply due in 2 working days: Wednesday
    tid = ticket["id"]
    api.act("zj", tid, "request-supplement", {"items": ITEMS, "days": 10})
    clock.now = datetime(2026, 11, 30, 9, 0)  # past the original reply deadline, still waiting
    run_deadline_scan(services)
    detail = api.get("disp", f"/api/tickets/{tid}").json()
    assert detail["sla_flag"] == "green" and detail["supervisions"] == []
    assert api.get("sup", "/api/tickets", overdue="true").json()["items"] == []
    assert api.get("sup", "/api/stats/overdue").json() == []
    period = {"start": "2026-11-23", "end": "2026-11-30"}
    row = api.get("sup", "/api/stats/departments", **period).json()["departments"][0]
    assert row["code"] == "ZJ" and row["overdue_now"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": "  \n "}, "items"),
        ({"items": [1]}, "items"),
        ({"items": ["照片"], "days": 0}, "days"),
        ({"items": ["照片"], "days": "三天"}, "days"),
        ({"items": ["长" * 201]}, "items"),
    ],
)
def test_a_bad_notice_is_a_422_and_changes_nothing(
    api: Api, body: dict[str, object], field: str
) -> None:
    tid = accepted(api)["id"]
    before = api.get("zj", f"/api/tickets/{tid}").json()
    reply = api.post("zj", f"/api/tickets/{tid}/actions/request-supplement", body)
    assert reply.status_code == 422 and reply.json()["field"] == field
    after = api.get("zj", f"/api/tickets/{tid}").json()
    assert after["version"] == before["version"] and after["supplements"] == []
    assert after["history"] == before["history"]


def test_bad_public_answers_are_refused(api: Api) -> None:
    ticket = accepted(api)
    number = ticket["number"]
    path = f"/api/public/tickets/{number}/supplement"
    # Nothing was asked yet.
    nothing = api.client.post(path, json={"phone": PHONE, "content": "x"})
    assert nothing.status_code == 409
    api.act("zj", ticket["id"], "request-supplement", {"items": ITEMS})
    wrong_phone = api.client.post(path, json={"phone": "13900002222", "content": "x"})
    assert wrong_phone.status_code == 404
    blank = api.client.post(path, json={"phone": PHONE, "content": "   "})
    assert blank.status_code == 422
    too_long = api.client.post(path, json={"phone": PHONE, "content": "字" * 5001})
    assert too_long.status_code == 422
    assert public(api, number)["supplement"]["items"] == ITEMS  # still waiting


def test_a_tolerated_application_runs_on_its_clock_and_is_withdrawn_when_the_material_lapses(
    api: Api, services: Services, clock: Clock
) -> None:
    ticket = accepted(api, type="咨询")  # reply due Wednesday
    tid = ticket["id"]
    tolerated = api.act(
        "zj",
        tid,
        "request-supplement",
        {
            "items": ["房屋产权证明原件"],
            "days": 3,
            "tolerated": True,
            "commitment": "承诺书 2026-118 号",
        },
    )
    assert tolerated["supplement_tolerated"] and tolerated["reply_due"] == ticket["reply_due"]
    notice = tolerated["supplements"][0]
    assert notice["tolerated"] is True and notice["commitment"] == "承诺书 2026-118 号"
    assert public(api, tolerated["number"])["supplement"]["tolerated"] is True

    clock.now = datetime(
        2026, 11, 26, 9, 0
    )  # Thursday: past the reply deadline; the material is due tonight
    run_deadline_scan(services)
    assert api.get("disp", f"/api/tickets/{tid}").json()["sla_flag"] == "red"  # the clock ran

    assert api.get("sup", "/api/tickets", overdue="true").json()["total"] == 1
    clock.now = datetime(2026, 11, 27, 9, 0)  # past the material's deadline (Thu 23:59:59)
    run_deadline_scan(services)
    withdrawn = api.get("zj", f"/api/tickets/{tid}").json()
    assert withdrawn["status"] == "withdrawn" and withdrawn["supplements"][0]["outcome"] == "lapsed"
    assert "视为撤回申请" in withdrawn["history"][-1]["data"]["reason"]
    assert api.get("sup", "/api/tickets", overdue="true").json()["total"] == 0


def test_a_tolerated_application_needs_the_written_commitment(api: Api) -> None:
    tid = accepted(api)["id"]
    for body in (
        {"items": ["原件"], "tolerated": True},
        {"items": ["原件"], "tolerated": True, "commitment": "  "},
        {"items": ["原件"], "tolerated": "yes", "commitment": "承诺书"},
    ):
        reply = api.post("zj", f"/api/tickets/{tid}/actions/request-supplement", body)
        assert reply.status_code == 422, reply.text
        assert reply.json()["field"] in {"commitment", "tolerated"}
    assert api.get("zj", f"/api/tickets/{tid}").json()["supplements"] == []
