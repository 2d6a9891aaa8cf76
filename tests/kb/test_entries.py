"""Entries: department ownership, review, versions, conflicts, Art. 17 material lists, flags."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.app_fixtures import Api, Clock
from tests.kb.conftest import entry_body


def create(api: Api, user: str = "zj", **fields: object) -> dict:  # type: ignore[type-arg]
    reply = api.post(user, "/api/kb/entries", entry_body(**fields))
    assert reply.status_code == 201, reply.text
    return reply.json()


def publish(api: Api, entry: dict) -> dict:  # type: ignore[type-arg]
    reply = api.post(
        "disp", f"/api/kb/entries/{entry['id']}/publish", {"version": entry["version"]}
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_department_writes_a_draft_the_centre_publishes_and_history_is_kept(api: Api) -> None:
    draft = create(api, department="")  # department staff may leave their own department implicit
    assert (draft["department"], draft["status"], draft["version"]) == ("ZJ", "draft", 1)
    assert api.get("op", f"/api/kb/entries/{draft['id']}").status_code == 404  # not yet reviewed

    refused = api.post("zj", f"/api/kb/entries/{draft['id']}/publish", {"version": 1})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"

    published = publish(api, draft)
    assert published["status"] == "published" and published["offered"] is True
    assert api.get("op", f"/api/kb/entries/{draft['id']}").json()["title"] == "公租房申请"

    edited = api.client.put(
        f"/api/kb/entries/{draft['id']}",
        json={**entry_body(answer="新的答复口径"), "version": published["version"]},
        headers=api.headers("zj"),
    )
    assert edited.status_code == 200, edited.text
    # A department's edit goes back to the centre for review.
    assert edited.json()["status"] == "draft"

    history = api.get("zj", f"/api/kb/entries/{draft['id']}/versions").json()["items"]
    assert [(h["version"], h["change"], h["changed_by"]) for h in history] == [
        (1, "create", "zj"),
        (2, "publish", "disp"),
        (3, "edit", "zj"),
    ]
    assert history[0]["entry"]["answer"] == "向户籍所在地街道办事处提出申请。"
    assert history[2]["entry"]["answer"] == "新的答复口径"


def test_another_departments_entry_does_not_exist_for_department_staff(api: Api) -> None:
    entry = create(api)
    for path in (f"/api/kb/entries/{entry['id']}", f"/api/kb/entries/{entry['id']}/versions"):
        reply = api.get("cg", path)
        assert reply.status_code == 404
        assert reply.json() == {"code": "not_found", "message": "知识条目不存在"}
    edit = api.client.put(
        f"/api/kb/entries/{entry['id']}",
        json={**entry_body(), "version": 1},
        headers=api.headers("cg"),
    )
    assert edit.status_code == 404
    assert api.get("cg", "/api/kb/entries").json()["items"] == []
    assert [e["id"] for e in api.get("zj", "/api/kb/entries").json()["items"]] == [entry["id"]]
    # Nor may they write entries for another department.
    assert api.post("cg", "/api/kb/entries", entry_body(department="ZJ")).status_code == 403


@pytest.mark.parametrize(
    ("field", "item"),
    [
        ("materials", "其他材料"),
        ("materials", "户口簿等相关材料"),
        ("materials", "其它需要提供的证明"),
        ("materials", "有关材料"),
        ("conditions", "符合规定的其他条件"),
    ],
)
def test_catch_all_clauses_are_rejected(api: Api, field: str, item: str) -> None:
    body = entry_body()
    body[field] = [*body[field], item]
    reply = api.post("zj", "/api/kb/entries", body)
    assert reply.status_code == 422
    problem = reply.json()
    assert problem["code"] == "invalid_input" and problem["field"] == field
    assert "兜底" in problem["message"] and problem["item"] == len(body[field]) - 1
    assert api.get("zj", "/api/kb/entries").json()["total"] == 0  # nothing half-written


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"questions": []}, "questions"),
        ({"questions": ["  "]}, "questions"),
        ({"title": ""}, "title"),
        ({"answer": "x" * 5001}, "answer"),
        ({"materials": ["户口簿", "户口簿"]}, "materials"),
        ({"department": "NOPE"}, "department"),
        ({"valid_from": "2026-12-01", "valid_to": "2026-11-01"}, "valid_to"),
    ],
)
def test_bad_entries_get_a_clear_error(api: Api, fields: dict, field: str) -> None:  # type: ignore[type-arg]
    reply = api.post("disp", "/api/kb/entries", entry_body(**fields))
    assert reply.status_code == 422, reply.text
    assert reply.json()["field"] == field
    assert reply.json()["message"]


def test_operators_and_supervisors_cannot_write(api: Api) -> None:
    for user in ("op", "sup"):
        assert api.post(user, "/api/kb/entries", entry_body()).status_code == 403


def test_html_is_stored_and_returned_verbatim(api: Api) -> None:
    answer = '<script>alert("x")</script><b>带上身份证</b> & 户口簿'
    entry = create(api, answer=answer, title="<i>标题</i>")
    shown = api.get("zj", f"/api/kb/entries/{entry['id']}").json()
    assert shown["answer"] == answer and shown["title"] == "<i>标题</i>"


def test_stale_version_gets_409_and_changes_nothing(api: Api) -> None:
    entry = create(api)
    first = api.client.put(
        f"/api/kb/entries/{entry['id']}",
        json={**entry_body(answer="甲的修改"), "version": 1},
        headers=api.headers("zj"),
    )
    assert first.status_code == 200
    second = api.client.put(
        f"/api/kb/entries/{entry['id']}",
        json={**entry_body(answer="乙的修改"), "version": 1},
        headers=api.headers("disp"),
    )
    assert second.status_code == 409
    assert second.json()["code"] == "stale_version" and second.json()["current_version"] == 2
    assert api.get("zj", f"/api/kb/entries/{entry['id']}").json()["answer"] == "甲的修改"
    missing = api.client.put(
        f"/api/kb/entries/{entry['id']}", json=entry_body(), headers=api.headers("zj")
    )
    assert missing.status_code == 422 and missing.json()["field"] == "version"
    assert "版本号" in missing.json()["message"]


def test_concurrent_edits_of_one_entry_one_wins(api: Api) -> None:
    entry = create(api)
    headers = {user: api.headers(user) for user in ("zj", "disp")}
    start = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def edit(user: str) -> None:
        start.wait()
        reply = api.client.put(
            f"/api/kb/entries/{entry['id']}",
            json={**entry_body(answer=f"{user} 的修改"), "version": 1},
            headers=headers[user],
        )
        statuses[user] = reply.status_code

    threads = [threading.Thread(target=edit, args=(u,)) for u in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses.values()) == [200, 409]
    winner = next(u for u, s in statuses.items() if s == 200)
    final = api.get("disp", f"/api/kb/entries/{entry['id']}").json()
    assert final["answer"] == f"{winner} 的修改" and final["version"] == 2
    assert len(api.get("disp", f"/api/kb/entries/{entry['id']}/versions").json()["items"]) == 2


def test_expired_and_overdue_entries_are_flagged(api: Api, clock: Clock) -> None:
    today = clock.now.date()
    expired = publish(
        api,
        create(
            api,
            title="旧政策",
            valid_to=str(today - timedelta(days=1)),
            valid_from=str(today - timedelta(days=30)),
        ),
    )
    overdue = create(api, title="待复核", review_due=str(today - timedelta(days=1)))
    create(api, title="正常条目")
    flagged = api.get("zj", "/api/kb/flags").json()["items"]
    assert {f["title"]: (f["expired"], f["review_overdue"]) for f in flagged} == {
        "旧政策": (True, False),
        "待复核": (False, True),
    }
    assert expired["offered"] is False and overdue["status"] == "draft"
    assert api.get("cg", "/api/kb/flags").json()["items"] == []  # only their own department's
