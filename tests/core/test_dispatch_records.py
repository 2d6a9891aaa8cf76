"""The dispatch records each action leaves (the supervision figures are computed from them), and
the side records a ticket's detail shows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.services import Services
from hotline.tickets.models import Dispatch
from tests.app_fixtures import Api, Clock


def dispatches(services: Services, ticket_id: int) -> list[Dispatch]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(Dispatch).where(Dispatch.ticket_id == ticket_id).order_by(Dispatch.id)
            )
        )


def test_each_dispatch_is_opened_signed_extended_and_ended_once(
    api: Api, services: Services, clock: Clock
) -> None:
    tid = api.create(type="求助", content="工厂排放异味，需要检测")["id"]
    api.act("disp", tid, "dispatch", {"department": "CG", "level": "exact"})
    clock.now += timedelta(hours=1)
    api.act("cg", tid, "return", {"reason": "不归我们", "category": "职能不符"})
    (first,) = dispatches(services, tid)
    assert (first.department_code, first.outcome, first.ended_at) == ("CG", "returned", clock.now)
    assert first.signed_at is None

    api.act("disp", tid, "rule-return", {"decision": "redispatch", "department": "HB"})
    clock.now += timedelta(hours=1)
    api.act("hb", tid, "accept")
    api.act("hb", tid, "request-extension", {"days": 10, "reason": "需要第三方检测"})
    extended = api.act("disp", tid, "decide-extension", {"approved": True})
    clock.now += timedelta(hours=1)
    api.act("hb", tid, "reply", {"content": "已检测，责令整改"})

    first_again, second = dispatches(services, tid)
    assert first_again.outcome == "returned"  # an ended dispatch is never written again
    assert second.department_code == "HB"
    assert second.signed_at == clock.now - timedelta(hours=1)
    assert second.reply_due.isoformat() == extended["reply_due"]
    assert (second.replied_at, second.ended_at, second.outcome) == (clock.now, clock.now, "replied")


def test_a_reopened_ticket_opens_a_new_dispatch_and_the_detail_lists_its_records(
    api: Api, services: Services
) -> None:
    tid = api.create(citizen_name="李娜", real_name=True)["id"]
    fresh = api.get("op", f"/api/tickets/{tid}").json()
    assert [fresh[k] for k in ("returns", "ratings", "supervisions", "rectifications")] == [
        [],
        [],
        [],
        [],
    ]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})
    api.act("sup", tid, "supervise", {"reason": "群众多次来电", "days": 3})
    api.act("zj", tid, "accept")
    api.act("zj", tid, "reply", {"content": "已处理"})
    api.act("op", tid, "revisit", {"rating": "不满意", "solved": False})
    detail = api.act("op", tid, "reopen", {"reason": "群众不满意，重办"})

    ended, reopened = dispatches(services, tid)
    assert ended.outcome == "replied" and reopened.ended_at is None
    assert [r["level"] for r in detail["ratings"]] == ["不满意"]
    assert [s["kind"] for s in detail["supervisions"]] == ["supervise"]
    assert len(detail["rectifications"]) == 1 and detail["returns"] == []


def test_a_withdrawn_or_merged_ticket_ends_its_dispatch_and_counts_only_clocks_already_missed(
    api: Api, services: Services, clock: Clock
) -> None:
    withdrawn = api.create(content="路灯不亮", type="求助")["id"]
    merged = api.create(content="路灯还是不亮", type="求助")["id"]
    lead = api.create(content="整条街路灯不亮", type="求助")["id"]
    late = api.create(content="井盖缺失", type="求助")["id"]
    for tid in (withdrawn, merged, lead, late):
        api.act("disp", tid, "dispatch", {"department": "CG", "level": "exact"})
    clock.now += timedelta(hours=1)  # before any signing deadline
    api.act("op", withdrawn, "withdraw", {"reason": "市民来电撤回：路灯已修好"})
    api.act("disp", merged, "merge", {"into": lead})
    assert [(d.outcome, d.ended_at) for d in dispatches(services, withdrawn)] == [
        ("withdrawn", clock.now)
    ]
    assert [d.outcome for d in dispatches(services, merged)] == ["merged"]
    api.act("cg", lead, "accept")
    api.act("cg", lead, "reply", {"content": "已更换整条街的路灯"})
    clock.now += timedelta(days=3)  # CG let the signing deadline of the last one pass
    api.act("op", late, "withdraw", {"reason": "市民撤回"})

    clock.now += timedelta(days=40)  # every deadline long past
    period = {"start": "2026-11-23", "end": "2026-11-23"}
    (cg,) = [
        row
        for row in api.get("sup", "/api/stats/departments", **period).json()["departments"]
        if row["code"] == "CG"
    ]
    assert cg["dispatched"] == 4
    # Signing: the lead ticket was signed in time, the last one missed it before its
    # withdrawal; the two that left CG's inbox in time count neither way.
    assert cg["sign_on_time_rate"] == 0.5
    assert cg["close_on_time_rate"] == 1.0
    assert cg["overdue_now"] == 0
