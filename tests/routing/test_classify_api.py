"""POST /api/classify and the suggestion stored with a new ticket (the shipped model)."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from hotline.app import create_app
from hotline.routing.router import load_router

NIGHT_PILING = "红旗区金桂园小区旁边的工地晚上十一点还在打桩，吵得睡不着"
CONTRACT_KEYS = {"department", "top3", "type", "urgency", "emergency", "utility", "division",
                 "uncertain"}  # fmt: skip


def test_night_construction_next_to_an_estate_goes_to_zj_in_hongqi(api) -> None:  # type: ignore[no-untyped-def]
    reply = api.post("op", "/api/classify", {"text": NIGHT_PILING})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert set(body) >= CONTRACT_KEYS
    assert body["department"] == "ZJ"
    assert body["division"] == "HQ"
    assert body["uncertain"] is False and body["emergency"] is None
    assert body["top3"][0][0] == "ZJ" and len(body["top3"]) == 3
    assert body["evidence"], "the operator sees why"


@pytest.mark.parametrize(
    ("text", "line"), [("楼道里全是烟，快来人啊", "119"), ("我爸突然晕倒了叫不醒", "120")]
)
def test_an_emergency_phrase_gives_the_emergency_line(api, text: str, line: str) -> None:  # type: ignore[no-untyped-def]
    body = api.post("disp", "/api/classify", {"text": text}).json()
    assert body["emergency"] == line
    assert body["urgency"] == "紧急"


def test_an_emergency_names_every_line_to_alert_primary_first(api) -> None:  # type: ignore[no-untyped-def]
    # The linked lines come from the rules, so this holds for the shipped model too.
    crash = "路口两辆车撞了，有个人卡在车里出不来，头上一直在流血"
    body = api.post("op", "/api/classify", {"text": crash}).json()
    assert body["emergency"] == "122"
    assert body["emergency_lines"] == ["122", "120", "119"]
    calm = api.post("op", "/api/classify", {"text": NIGHT_PILING}).json()
    assert calm["emergency_lines"] == []


def test_the_openapi_schema_documents_the_suggestion_with_its_lines(client) -> None:  # type: ignore[no-untyped-def]
    operation = client.get("/openapi.json").json()["paths"]["/api/classify"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/SuggestionOut"}
    fields = client.get("/openapi.json").json()["components"]["schemas"]["SuggestionOut"]
    assert {"emergency", "emergency_lines", "top3", "department"} <= set(fields["properties"])


@pytest.mark.parametrize("text", ["", "   ", "。。。"])
def test_blank_text_is_uncertain_with_a_reason(api, text: str) -> None:  # type: ignore[no-untyped-def]
    reply = api.post("sup", "/api/classify", {"text": text})
    assert reply.status_code == 200
    body = reply.json()
    assert body["uncertain"] is True
    assert body["department"] is None
    assert body["reason"]


def test_bad_requests_are_clear_errors(api, client) -> None:  # type: ignore[no-untyped-def]
    missing = api.post("op", "/api/classify", {"content": "x"})
    assert missing.status_code == 422 and missing.json()["code"] == "invalid_input"
    wrong_type = api.post("op", "/api/classify", {"text": 12})
    assert wrong_type.status_code == 422
    assert client.post("/api/classify", json={"text": "停水了"}).status_code == 401
    assert api.post("zj", "/api/classify", {"text": "停水了"}).status_code == 403


def test_ticket_creation_stores_the_suggestion_beside_the_choice(api) -> None:  # type: ignore[no-untyped-def]
    ticket = api.create("op", content=NIGHT_PILING, department="HB")
    assert ticket["suggestion"]["department"] == "ZJ"
    assert ticket["suggestion"]["division"] == "HQ"
    assert ticket["suggested_department"] == "ZJ"
    assert ticket["chosen_department"] == "HB"


def test_a_stored_emergency_suggestion_keeps_its_lines(api) -> None:  # type: ignore[no-untyped-def]
    ticket = api.create("op", content="有个男的站在楼顶边上说要往下跳", department="GA")
    assert ticket["suggestion"]["emergency_lines"] == ["110", "119", "120"]


def test_without_a_model_the_app_starts_and_says_so(
    api, services, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "no-model"
    empty.mkdir()
    with caplog.at_level(logging.WARNING, logger="hotline.routing.router"):
        assert load_router(str(empty)) is None
    assert "routing suggestions are off" in caplog.text
    services.settings = replace(services.settings, classifier_model=str(empty))
    assert create_app(services=services).routes  # builds, with suggestions off
    reply = api.post("op", "/api/classify", {"text": "停水了"})
    assert reply.status_code == 503
    assert reply.json()["code"] == "classifier_unavailable"
    ticket = api.create("op", content="停水了", type="求助")
    assert ticket["suggestion"] is None
