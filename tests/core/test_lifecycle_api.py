"""A ticket driven through every branch of the regulation's cycle over the HTTP contract."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.events import Event
from tests.app_fixtures import Api, Clock


def test_the_whole_cycle_from_intake_to_closure(
    api: Api, clock: Clock, events: list[Event]
) -> None:
    ticket = api.create(citizen_name="张丽", real_name=True, division="HQ")
    assert ticket["status"] == "registered"
    assert ticket["number"].startswith("20261123-")
    tid = ticket["id"]

    dispatched = api.act("disp", tid, "dispatch", {"department": "ZJ"})
    assert dispatched["status"] == "dispatched"
    # Monday 09:00 + 1 working day → end of Tuesday; 投诉 → 15 working days.
    assert dispatched["sign_due"] == "2026-11-24T23:59:59"
    assert dispatched["reply_due"].startswith("2026-12-14")

    clock.now += timedelta(hours=2)
    assert api.act("zj", tid, "accept")["status"] == "accepted"
    replied = api.act("zj", tid, "reply", {"content": "已责令工地停止夜间施工"})
    assert replied["status"] == "replied"
    revisited = api.act("op", tid, "revisit", {"rating": "满意", "solved": True})
    assert revisited["status"] == "revisited"
    closed = api.act("op", tid, "close")
    assert closed["status"] == "closed"
    assert [h["action"] for h in closed["history"]] == [
        "create",
        "dispatch",
        "accept",
        "reply",
        "revisit",
        "close",
    ]
    assert {
        "ticket.created",
        "ticket.dispatched",
        "ticket.accepted",
        "ticket.replied",
        "ticket.revisited",
        "ticket.rated",
        "ticket.closed",
    } <= {e.type for e in events}


def test_illegal_transition_answers_409_with_the_allowed_actions(api: Api) -> None:
    tid = api.create()["id"]
    reply = api.post("zj", f"/api/tickets/{tid}/actions/reply", {"content": "x"})
    # Department staff cannot see a ticket that is not yet theirs.
    assert reply.status_code == 404
    reply = api.post("op", f"/api/tickets/{tid}/actions/close", {})
    assert reply.status_code == 409
    body = reply.json()
    assert body["code"] == "illegal_transition"
    assert "dispatch" in body["allowed"] and "close" not in body["allowed"]
    assert "不能" in body["message"]


def test_return_redispatch_and_insist_are_ruled_and_counted(api: Api) -> None:
    tid = api.create(division="WH")["id"]
    api.act("disp", tid, "dispatch", {"department": "CG", "level": "exact"})
    returned = api.act("cg", tid, "return", {"reason": "这条路归卫辉市管", "category": "属地不符"})
    assert returned["status"] == "returned"
    # Re-dispatch to CG resolves to 卫辉市's unit through the 权责清单.
    ruled = api.act("disp", tid, "rule-return", {"decision": "redispatch", "department": "CG"})
    assert ruled["department"] == "CG-WH"
    assert ruled["returns"][0]["improper"] is False

    tid2 = api.create()["id"]
    api.act("disp", tid2, "dispatch", {"department": "CG"})
    first_due = api.get("disp", f"/api/tickets/{tid2}").json()["reply_due"]
    api.act("cg", tid2, "return", {"reason": "不归我们", "category": "职能不符"})
    insisted = api.act("disp", tid2, "rule-return", {"decision": "insist"})
    assert insisted["department"] == "CG" and insisted["status"] == "dispatched"
    assert insisted["returns"][0]["improper"] is True
    assert insisted["reply_due"] == first_due  # an overruled return buys no time

    stats = api.get("sup", "/api/stats/departments", start="2026-11-01", end="2026-11-30").json()
    cg = next(row for row in stats["departments"] if row["code"] == "CG")
    assert cg["returns"] == 2 and cg["improper_returns"] == 1


def test_extension_before_the_deadline_moves_it(api: Api, clock: Clock) -> None:
    tid = api.create(type="求助", content="工厂排放异味，需要检测")["id"]
    api.act("disp", tid, "dispatch", {"department": "HB"})
    api.act("hb", tid, "accept")
    before = api.get("disp", f"/api/tickets/{tid}").json()["reply_due"]
    api.act("hb", tid, "request-extension", {"days": 10, "reason": "需要第三方检测"})
    decided = api.act("disp", tid, "decide-extension", {"approved": True})
    assert decided["reply_due"] > before
    assert decided["extension_pending_days"] is None
    clock.now = datetime.fromisoformat(decided["reply_due"]) + timedelta(minutes=1)
    late = api.post(
        "hb", f"/api/tickets/{tid}/actions/request-extension", {"days": 3, "reason": "再延"}
    )
    assert late.status_code == 409


def test_bad_real_name_rating_reopens_and_opens_rectification(api: Api) -> None:
    tid = api.create(citizen_name="李娜", real_name=True)["id"]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})
    api.act("zj", tid, "accept")
    api.act("zj", tid, "reply", {"content": "已处理"})
    revisited = api.act("op", tid, "revisit", {"rating": "不满意", "solved": False})
    assert revisited["rectification_open"] is True
    assert revisited["rectification_due"] == "2026-11-24T23:59:59"
    reopened = api.act("op", tid, "reopen", {"reason": "群众不满意，重办"})
    assert reopened["status"] == "dispatched" and reopened["department"] == "ZJ"
    done = api.act(
        "zj",
        tid,
        "rectify",
        {"verification": "属实", "rectification": "夜间停工", "feedback": "已电话告知"},
    )
    assert done["rectification_open"] is False
    assert done["rectifications"][0]["feedback"] == "已电话告知"


def test_direct_close_merge_withdraw_supervise_remind(api: Api) -> None:
    consult = api.create(type="咨询", content="异地就医备案怎么办理")["id"]
    closed = api.act("op", consult, "close-direct", {"answer": "可在医保APP办理备案"})
    assert closed["status"] == "closed" and closed["closed_how"] == "direct"
    complaint = api.create()["id"]
    refused = api.post("op", f"/api/tickets/{complaint}/actions/close-direct", {"answer": "x"})
    assert refused.status_code == 409

    lead = api.create(content="小区没有暖气")["id"]
    dup = api.create(content="我们小区也没暖气")["id"]
    merged = api.act("disp", dup, "merge", {"into": lead})
    assert merged["status"] == "merged" and merged["merged_into"] == lead
    assert api.post("disp", f"/api/tickets/{lead}/actions/merge", {"into": lead}).status_code == 409

    api.act("disp", lead, "dispatch", {"department": "ZJ"})
    supervised = api.act("sup", lead, "supervise", {"reason": "群体性诉求", "days": 2})
    assert supervised["supervised"] is True and supervised["supervision_due"]
    assert (
        api.post("op", f"/api/tickets/{lead}/actions/supervise", {"reason": "x"}).status_code == 403
    )
    reminded = api.act("disp", lead, "remind", {"note": "请尽快签收"})
    assert [s["kind"] for s in reminded["supervisions"]] == ["supervise", "remind"]

    gone = api.create()["id"]
    assert api.act("op", gone, "withdraw", {"reason": "群众撤回"})["status"] == "withdrawn"
