"""Search as the operator uses it: typing, a streaming transcript, validity, bad queries."""

from __future__ import annotations

import threading
from datetime import timedelta

from hotline.kb.search import MAX_QUERY_CHARS, parts
from tests.app_fixtures import Api, Clock
from tests.kb.conftest import entry_body


def titles(api: Api, q: str, user: str = "op", **params: object) -> list[str]:
    reply = api.get(user, "/api/kb/search", q=q, **params)
    assert reply.status_code == 200, reply.text
    return [item["title"] for item in reply.json()["items"]]


def test_typing_finds_the_entry_from_its_first_characters(api: Api, seeded: int) -> None:
    assert seeded >= 60
    assert titles(api, "异地就医")[0] == "异地就医备案"
    assert titles(api, "异地就")[0] == "异地就医备案"  # still typing
    assert titles(api, "居住")[0] == "居住证办理"
    assert titles(api, "暖气不热")[0] == "暖气不热报修"
    assert titles(api, "养老金认证")[0] == "养老金领取资格认证"


def test_a_spoken_transcript_finds_the_matter(api: Api, seeded: int) -> None:
    transcript = "喂你好，嗯，我想问一下，我退休了要去儿子那边长住，那个看病的话医保怎么弄"
    assert titles(api, transcript)[0] == "异地就医备案"
    assert titles(api, "我们小区今天怎么停水了，什么时候来水")[0] == "停水查询"


def test_the_answer_carries_the_guide_and_the_matched_words(api: Api, seeded: int) -> None:
    item = api.get("op", "/api/kb/search", q="异地就医备案").json()["items"][0]
    assert item["department"] == "YB" and item["offered"] is True
    assert "本人有效身份证件或社会保障卡" in item["materials"]
    assert "异地就医备案" in item["matched"] and item["score"] > 0


def test_question_variants_outweigh_a_mention_in_an_answer_and_cover_more(api: Api) -> None:
    asked = entry_body(title="甲", questions=["电梯加装怎么申请"], answer="向街道提出。")
    mentioned = entry_body(
        title="乙", questions=["维修资金怎么用"], answer="电梯加装也可申请维修资金。"
    )
    for body in (mentioned, asked):
        created = api.post("disp", "/api/kb/entries", body).json()
        api.post("disp", f"/api/kb/entries/{created['id']}/publish", {"version": 1})
    items = api.get("op", "/api/kb/search", q="电梯加装").json()["items"]
    assert [item["title"] for item in items] == ["甲", "乙"]
    coverage = {item["title"]: item["coverage"] for item in items}
    assert coverage["甲"] == 1.0 > coverage["乙"] > 0


def test_only_published_entries_within_their_validity_are_offered(api: Api, clock: Clock) -> None:
    today = clock.now.date()
    bodies = {
        "草稿": entry_body(title="草稿", questions=["公租房草稿问法"]),
        "已过期": entry_body(
            title="已过期",
            questions=["公租房过期问法"],
            valid_from=str(today - timedelta(days=60)),
            valid_to=str(today - timedelta(days=1)),
        ),
        "未生效": entry_body(
            title="未生效",
            questions=["公租房未生效问法"],
            valid_from=str(today + timedelta(days=3)),
        ),
        "有效": entry_body(title="有效", questions=["公租房有效问法"]),
    }
    for title, body in bodies.items():
        created = api.post("disp", "/api/kb/entries", body).json()
        if title != "草稿":
            api.post("disp", f"/api/kb/entries/{created['id']}/publish", {"version": 1})
    assert titles(api, "公租房") == ["有效"]
    clock.now += timedelta(days=5)  # the future entry starts to apply
    assert sorted(titles(api, "公租房")) == ["有效", "未生效"]


def test_the_index_follows_edits_and_withdrawals(api: Api, seeded: int) -> None:
    entry = api.get("op", "/api/kb/search", q="结婚登记").json()["items"][0]
    assert entry["title"] == "结婚登记"
    changed = {**entry_body(department="MZ", title="结婚登记", questions=["领证预约怎么约"])}
    reply = api.client.put(
        f"/api/kb/entries/{entry['id']}",
        json={**changed, "answer": "在豫事办预约。", "version": entry["version"]},
        headers=api.headers("disp"),
    )
    assert reply.status_code == 200, reply.text
    assert titles(api, "领证预约")[0] == "结婚登记"
    api.post(
        "disp", f"/api/kb/entries/{entry['id']}/withdraw", {"version": reply.json()["version"]}
    )
    assert "结婚登记" not in titles(api, "领证预约")


def test_empty_and_huge_queries(api: Api, seeded: int) -> None:
    for q in ("", "   ", "，。！"):
        reply = api.get("op", "/api/kb/search", q=q)
        assert reply.status_code == 200 and reply.json()["items"] == []
    question = "身份证丢了怎么补办"
    # A streaming transcript is posted; only its latest part is searched.
    transcript = "医保" * 4_000 + "啊" * (2_000 - len(question)) + question
    assert len(transcript) == 10_000 > MAX_QUERY_CHARS
    reply = api.post("op", "/api/kb/search", {"q": transcript})
    assert reply.status_code == 200, reply.text
    assert reply.json()["items"][0]["title"] == "身份证补领换领"
    typed = ("x " * 5_000)[: 10_000 - len(question)] + question
    assert len(typed) == 10_000
    assert titles(api, typed)[0] == "身份证补领换领"
    too_long_limit = api.post("op", "/api/kb/search", {"q": "医保", "limit": 500})
    assert too_long_limit.status_code == 422
    bad_limit = api.get("op", "/api/kb/search", q="医保", limit=0)
    assert bad_limit.status_code == 422 and bad_limit.json()["code"] == "invalid_input"


def test_markup_in_a_query_is_ignored(api: Api, seeded: int) -> None:
    assert titles(api, '<b class="x">居住证</b>')[0] == "居住证办理"
    assert titles(api, "<script></script>") == []


def test_every_staff_role_may_search_the_public_may_not(api: Api, seeded: int) -> None:
    for user in ("op", "disp", "sup", "zj"):
        assert titles(api, "居住证", user=user)[0] == "居住证办理"
    assert api.client.get("/api/kb/search", params={"q": "居住证"}).status_code == 401


def test_searches_while_entries_change_all_answer(api: Api, seeded: int) -> None:
    entry = api.get("op", "/api/kb/search", q="停水").json()["items"][0]
    headers = api.headers("op")
    failures: list[int] = []

    def search() -> None:
        for _ in range(10):
            reply = api.client.get("/api/kb/search", params={"q": "停水"}, headers=headers)
            if reply.status_code != 200 or not reply.json()["items"]:
                failures.append(reply.status_code)

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    version = entry["version"]
    for n in range(3):
        body = {**entry_body(department="GS", title="停水查询", questions=[f"停水第{n}次问法"])}
        reply = api.client.put(
            f"/api/kb/entries/{entry['id']}",
            json={**body, "version": version},
            headers=api.headers("disp"),
        )
        version = reply.json()["version"]
    for thread in threads:
        thread.join()
    assert failures == []


def test_an_entry_sharing_one_word_is_weak_and_no_answer_is_said(api: Api, seeded: int) -> None:
    reply = api.get("op", "/api/kb/search", q="社保转移").json()
    assert reply["answer_found"] is False
    by_title = {item["title"]: item for item in reply["items"]}
    transfer = by_title["二手房不动产转移登记"]  # shares 转移, is about a house
    assert transfer["match"] == "weak" and "转移" in transfer["matched"]
    assert all(item["match"] == "weak" for item in reply["items"])
    assert transfer["coverage"] < 0.8 and transfer["score"] > 0


def test_a_strong_hit_means_an_answer(api: Api, seeded: int) -> None:
    reply = api.get("op", "/api/kb/search", q="居住证怎么办").json()
    assert reply["answer_found"] is True
    first = reply["items"][0]
    assert first["title"] == "居住证办理"
    assert first["match"] == "strong" and first["coverage"] == 1.0
    empty = api.get("op", "/api/kb/search", q="量子计算机").json()
    assert empty == {"items": [], "answer_found": False}


def test_synonyms_and_abbreviations_find_the_entry(api: Api, seeded: int) -> None:
    for query, title in (
        ("暂住证怎么办", "居住证办理"),  # the old name
        ("户籍迁入新乡", "户口迁入新乡"),
        ("社会保障卡在哪领", "社保卡办理与补换"),
    ):
        first = api.get("op", "/api/kb/search", q=query).json()["items"][0]
        assert (first["title"], first["match"]) == (title, "strong"), query


def test_a_compound_is_indexed_by_the_words_it_is_made_of() -> None:
    assert parts("结婚登记") == ("结婚", "登记")
    assert parts("医保电子凭证") == ("医保", "电子", "凭证")
    assert "来水" not in parts("自来水")  # 自来 + 水: 来水 is no word
    assert parts("登记") == () and parts("12345") == ()


def test_a_word_met_only_through_its_parts_is_covered_in_part(api: Api) -> None:
    created = api.post(
        "disp", "/api/kb/entries", entry_body(title="甲", questions=["结婚登记怎么办"])
    )
    api.post("disp", f"/api/kb/entries/{created.json()['id']}/publish", {"version": 1})
    whole = api.get("op", "/api/kb/search", q="结婚登记").json()["items"][0]
    assert (whole["coverage"], whole["match"]) == (1.0, "strong")
    # 结婚证 is no word of the entry: its part 结婚 is, which is not the certificate.
    part = api.get("op", "/api/kb/search", q="结婚证").json()["items"][0]
    assert (part["title"], part["match"]) == ("甲", "weak") and 0 < part["coverage"] < 1
