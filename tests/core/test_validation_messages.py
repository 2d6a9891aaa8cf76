"""Every 422 says in Chinese which field and which limit; pydantic's English never reaches a user."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hotline.validation_messages import FIELD_LABELS
from tests.app_fixtures import Api

GOOD = {"content": "路灯不亮", "citizen_phone": "13812345678", "type": "求助"}
# (user or None for the public, method, path, JSON body or query, ASCII words the message may
# name because they are the values to choose from)
REFUSED: list[tuple[str | None, str, str, Any, set[str]]] = [
    ("op", "POST", "/api/tickets", {**GOOD, "citizen_name": "名" * 65}, set()),
    ("op", "POST", "/api/tickets", {"content": "x"}, set()),
    ("op", "POST", "/api/tickets", {**GOOD, "real_name": "maybe"}, set()),
    ("op", "POST", "/api/tickets", {**GOOD, "call_id": "abc"}, set()),
    ("op", "POST", "/api/tickets", {**GOOD, "call_id": 1.5}, set()),
    ("op", "POST", "/api/tickets", {**GOOD, "address": ["红旗路"]}, set()),
    ("op", "POST", "/api/tickets", [GOOD], set()),
    ("op", "POST", "/api/tickets", "路灯不亮", set()),
    ("op", "GET", "/api/tickets", {"page": "abc"}, set()),
    ("op", "GET", "/api/tickets", {"overdue": "maybe"}, set()),
    ("op", "GET", "/api/tickets", {"start": "2026-13-45"}, set()),
    ("op", "GET", "/api/tickets", {"q": "路" * 201}, set()),
    ("op", "GET", "/api/tickets/abc", None, set()),
    ("op", "POST", "/api/tickets/abc/actions/accept", {}, set()),
    ("op", "POST", "/api/tickets/1/actions/accept", [1, 2], set()),
    (None, "POST", "/api/public/tickets", {**GOOD, "address": "路" * 301}, set()),
    (None, "POST", "/api/public/tickets", {"type": "求助"}, set()),
    (None, "POST", "/api/public/tickets/20261123-000001/rating", {"rating": "满意"}, set()),
    (
        None,
        "POST",
        "/api/public/tickets/20261123-000001/rating",
        {"phone": "13812345678", "rating": "满意", "solved": "maybe", "note": "好" * 501},
        set(),
    ),
    (None, "POST", "/api/public/tickets/20261123-000001/supplement", {"phone": 1}, set()),
    (None, "GET", "/api/public/ratings", {"start": "yesterday"}, set()),
    ("sup", "GET", "/api/stats/departments", {"by": "street"}, {"department", "division"}),
    ("sup", "GET", "/api/stats/departments/export", {"format": "pdf"}, {"csv", "xlsx"}),
    (
        "op",
        "POST",
        "/api/calls/1/transfer",
        {"target": "", "mode": "teleport"},
        {"blind", "attended"},
    ),
    ("op", "POST", "/api/agents/me/status", {"paused": "perhaps", "reason": "x" * 65}, set()),
    ("op", "GET", "/api/calls", {"page_size": 0}, set()),
    ("op", "GET", "/api/calls/history", {}, set()),
    ("op", "GET", "/api/kb/search", {"q": "医保", "limit": 51}, set()),
    ("op", "POST", "/api/kb/search", {"q": "医保", "limit": 0}, set()),
    ("op", "POST", "/api/classify", {"text": "路" * 100_001}, set()),
    ("op", "POST", "/api/classify", {}, set()),
]


def _send(api: Api, user: str | None, method: str, path: str, data: Any):  # type: ignore[no-untyped-def]
    headers = api.headers(user) if user else {}
    if method == "GET":
        return api.client.get(path, params=data, headers=headers)
    return api.client.request(method, path, json=data, headers=headers)


@pytest.mark.parametrize(
    ("user", "method", "path", "data", "choices"),
    REFUSED,
    ids=[f"{method} {path} {i}" for i, (_, method, path, _, _) in enumerate(REFUSED)],
)
def test_a_refused_request_is_explained_in_chinese(
    api: Api, user: str | None, method: str, path: str, data: Any, choices: set[str]
) -> None:
    reply = _send(api, user, method, path, data)
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["code"] == "invalid_input"
    assert body["message"].startswith("请求参数不正确：")
    assert body["errors"] and body["field"] == body["errors"][0]["field"]
    for said in [body["message"], *(e["problem"] for e in body["errors"])]:
        assert set(re.findall(r"[A-Za-z]{2,}", said)) <= choices, said


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({**GOOD, "citizen_name": "名" * 65}, "姓名不能超过 64 个字"),
        ({**GOOD, "call_id": "abc"}, "来电记录必须是整数"),
        ({**GOOD, "real_name": "maybe"}, "是否实名必须是“是”或“否”（布尔值）"),
        ({"content": "x"}, "来电号码必须填写；类型必须填写"),
        ([GOOD], "请求体必须是对象（键值对）"),
    ],
)
def test_the_message_names_the_field_and_the_limit(api: Api, data: Any, said: str) -> None:
    reply = api.post("op", "/api/tickets", data)
    assert reply.json()["message"] == "请求参数不正确：" + said


def test_limits_from_the_request_models_are_named(api: Api) -> None:
    reply = api.get("op", "/api/kb/search", q="医保", limit=51)
    assert reply.json()["message"] == "请求参数不正确：条数上限不能大于 50"
    assert reply.json()["errors"] == [{"field": "limit", "problem": "条数上限不能大于 50"}]
    reply = api.get("sup", "/api/stats/departments/export", format="pdf")
    assert reply.json()["message"] == "请求参数不正确：导出格式必须是以下之一：csv、xlsx"
    reply = api.post("op", "/api/calls/1/transfer", {"target": "119", "mode": "teleport"})
    assert reply.json()["message"] == "请求参数不正确：转接方式必须是以下之一：blind、attended"
    reply = api.get("op", "/api/tickets", start="2026-13-45")
    assert reply.json()["message"] == "请求参数不正确：开始日期必须是日期，如 2026-11-23"


def test_a_list_item_is_named_by_its_position(api: Api) -> None:
    from tests.kb.conftest import entry_body

    reply = api.post("disp", "/api/kb/entries", entry_body(questions=["公租房怎么申请", 3]))
    assert reply.status_code == 422, reply.text
    assert reply.json()["errors"][0] == {
        "field": "questions.1",
        "problem": "常见问法第 2 项必须是文字",
    }


def test_every_label_is_chinese() -> None:
    assert all(not re.search(r"[A-Za-z]", label) for label in FIELD_LABELS.values())
