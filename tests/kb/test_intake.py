"""At ticket creation: duplicate candidates, repeat callers; the KB answer of a 直接办结."""

from __future__ import annotations

from datetime import timedelta

from tests.app_fixtures import Api, Clock

NOISE = "小区门口夜间施工噪声扰民，工地晚上一直打桩"


def duplicates(api: Api, ticket_id: int, user: str = "disp") -> dict:  # type: ignore[type-arg]
    reply = api.get(user, f"/api/tickets/{ticket_id}/duplicates")
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_similar_open_ticket_at_the_same_place_is_offered_for_merging(api: Api) -> None:
    first = api.create(
        content="金桂园小区3号楼暖气不热",
        division="MY",
        address="牧野区金桂园小区3号楼",
        citizen_phone="13800000001",
    )
    second = api.create(
        content="我家在金桂园小区，暖气一点都不热",
        division="MY",
        address="金桂园小区5号楼",
        citizen_phone="13800000002",
    )
    elsewhere = api.create(
        content="胜利路路灯不亮", division="HQ", address="红旗区胜利路", citizen_phone="13800000003"
    )
    other_matter = api.create(
        content="金桂园小区门口路灯不亮",
        division="MY",
        address="金桂园小区",
        citizen_phone="13800000004",
    )
    found = duplicates(api, second["id"])
    assert [(c["id"], c["same_place"], c["mergeable"]) for c in found["candidates"]] == [
        (first["id"], True, True)
    ]
    # Offered from either side, for whichever ticket the dispatcher opens first.
    assert [c["id"] for c in duplicates(api, first["id"])["candidates"]] == [second["id"]]
    assert duplicates(api, elsewhere["id"])["candidates"] == []
    assert duplicates(api, other_matter["id"])["candidates"] == []

    merged = api.act("disp", second["id"], "merge", {"into": first["id"]})
    assert merged["status"] == "merged" and merged["merged_into"] == first["id"]
    after = duplicates(api, second["id"])["candidates"]
    assert [(c["id"], c["mergeable"]) for c in after] == [(first["id"], False)]


def test_old_or_finished_tickets_are_not_duplicates(api: Api, clock: Clock) -> None:
    old = api.create(
        content=NOISE, division="HQ", address="红旗区金穗小区", citizen_phone="13800000011"
    )
    closed = api.create(
        content=NOISE,
        division="HQ",
        address="红旗区金穗小区",
        type="咨询",
        citizen_phone="13800000012",
    )
    api.act("op", closed["id"], "close-direct", {"answer": "已告知"})
    clock.now += timedelta(days=31)
    fresh = api.create(
        content=NOISE, division="HQ", address="红旗区金穗小区", citizen_phone="13800000013"
    )
    assert old["status"] == "registered"
    assert duplicates(api, fresh["id"])["candidates"] == []


def test_department_staff_do_not_get_the_merge_desk(api: Api) -> None:
    ticket = api.create()
    assert api.get("zj", f"/api/tickets/{ticket['id']}/duplicates").status_code == 403
    missing = api.get("disp", "/api/tickets/999999/duplicates")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_the_same_number_about_the_same_matter_is_a_repeat_call(api: Api, clock: Clock) -> None:
    phone = "13912345678"
    first = api.create(content=NOISE, citizen_phone=phone, address="红旗区金穗小区")
    clock.now += timedelta(days=10)
    again = api.create(content="我们小区旁边工地晚上施工太吵了，还在打桩", citizen_phone=phone)
    other_matter = api.create(content="胜利路路灯不亮好几天了", citizen_phone=phone)
    stranger = api.create(content=NOISE, citizen_phone="13700000000")
    clock.now += timedelta(days=31)
    much_later = api.create(content=NOISE, citizen_phone=phone)

    flag = duplicates(api, again["id"])["repeat_call"]
    assert flag["previous_ticket"]["id"] == first["id"] and flag["text_similarity"] >= 0.3
    for ticket in (first, other_matter, stranger, much_later):
        assert duplicates(api, ticket["id"])["repeat_call"] is None

    lookup = api.get("op", "/api/intake/repeat", phone=phone).json()
    assert [t["id"] for t in lookup["tickets"]] == [
        much_later["id"],
        other_matter["id"],
        again["id"],
        first["id"],
    ]
    assert [t["repeat_of"] for t in lookup["tickets"]] == [None, None, first["id"], None]
    assert lookup["repeat_calls_30_days"] == 0  # the repeat was 31 days ago now

    figures = api.get(
        "sup",
        "/api/stats/repeat-calls",
        start=str((clock.now - timedelta(days=60)).date()),
        end=str(clock.now.date()),
    ).json()
    assert (figures["repeat_calls"], figures["repeat_callers"], figures["received"]) == (1, 1, 5)
    assert figures["repeat_call_rate"] == 0.2


def test_same_matter_category_makes_a_repeat_call_whatever_the_words(api: Api) -> None:
    phone = "13912340000"
    api.create(content="工资拖欠三个月", citizen_phone=phone, matter_category="拖欠工资")
    again = api.create(content="老板还是不给钱", citizen_phone=phone, matter_category="拖欠工资")
    flag = duplicates(api, again["id"])["repeat_call"]
    assert flag["same_category"] is True


def test_repeat_lookup_rejects_bad_numbers_and_other_roles(api: Api) -> None:
    bad = api.get("op", "/api/intake/repeat", phone="12ab")
    assert bad.status_code == 422 and bad.json()["message"].startswith("电话号码格式不正确")
    assert api.get("zj", "/api/intake/repeat", phone="13912345678").status_code == 403
    assert api.get("sup", "/api/intake/repeat", phone="13912345678").status_code == 403


def test_a_direct_close_records_its_entry_and_the_figures_show_use_and_gaps(
    api: Api, seeded: int, clock: Clock
) -> None:
    entry = api.get("op", "/api/kb/search", q="异地就医备案").json()["items"][0]
    answered = api.create(content="退休后去外地长住，看病怎么备案", type="咨询")
    api.act(
        "op",
        answered["id"],
        "close-direct",
        {"answer": entry["answer"], "kb_entry_id": entry["id"]},
    )
    no_entry = api.create(content="问一下新开的公园几点关门", type="咨询")
    api.act("op", no_entry["id"], "close-direct", {"answer": "已告知"})
    dispatched = api.create(user="disp", content="问一下学校收费标准", type="咨询", department="JY")

    wrong = api.create(content="医保怎么交", type="咨询")
    for bad in (999_999, "abc", True):
        reply = api.post(
            "op",
            f"/api/tickets/{wrong['id']}/actions/close-direct",
            {"answer": "x", "kb_entry_id": bad},
        )
        assert reply.status_code == 422 and reply.json()["field"] == "kb_entry_id"
    assert api.get("op", f"/api/tickets/{wrong['id']}").json()["status"] == "registered"

    today = str(clock.now.date())
    stats = api.get("sup", "/api/kb/stats", start=today, end=today).json()
    assert stats["answers_by_entry"] == [
        {"id": entry["id"], "title": "异地就医备案", "department": "YB", "answers": 1}
    ]
    never = {e["id"] for e in stats["never_used"]}
    assert entry["id"] not in never and len(never) == seeded - 1
    assert stats["consultations"] == {
        "received": 4,
        "answered_from_kb": 1,
        "closed_direct_without_entry": 1,
        "dispatched": 1,
        "kb_answer_rate": 0.25,
    }
    assert [(g["ticket_id"], g["why"]) for g in stats["gaps"]] == [
        (no_entry["id"], "closed_direct_without_entry"),
        (dispatched["id"], "dispatched"),
    ]
    assert api.get("op", "/api/kb/stats").status_code == 403
    reversed_period = api.get("sup", "/api/kb/stats", start=today, end="2020-01-01")
    assert reversed_period.status_code == 422
