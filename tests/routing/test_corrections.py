"""Learning from corrections: labels from dispatches and re-dispatches, and their counts."""

from __future__ import annotations

from .test_classify_api import NIGHT_PILING


def test_a_dispatch_away_from_the_suggestion_stores_a_label(api, labels) -> None:  # type: ignore[no-untyped-def]
    ticket = api.create("op", content=NIGHT_PILING)
    assert ticket["suggested_department"] == "ZJ"
    dispatched = api.act("disp", ticket["id"], "dispatch", {"department": "HB"})
    [label] = labels()
    assert label.ticket_id == ticket["id"]
    assert (label.suggested, label.final, label.source) == (
        "ZJ",
        dispatched["department"],
        "dispatch",
    )
    assert label.final in {"HB"} or label.final.startswith("HB-")
    assert label.text == NIGHT_PILING


def test_a_dispatch_that_follows_the_suggestion_stores_nothing(api, labels) -> None:  # type: ignore[no-untyped-def]
    ticket = api.create("op", content=NIGHT_PILING)
    api.act("disp", ticket["id"], "dispatch", {"department": "ZJ"})
    assert labels() == []


def test_a_unit_of_the_suggested_department_is_not_a_correction(api, labels) -> None:  # type: ignore[no-untyped-def]
    ticket = api.create("op", content="卫辉市人民路上占道经营的小摊贩太多了", division="WH")
    assert ticket["suggested_department"] == "CG", ticket["suggestion"]
    dispatched = api.act("disp", ticket["id"], "dispatch", {"department": "CG"})
    assert dispatched["department"] == "CG-WH"
    assert labels() == []


def test_creating_and_dispatching_at_once_against_the_suggestion_stores_a_label(
    api, labels
) -> None:  # type: ignore[no-untyped-def]
    ticket = api.create("disp", content=NIGHT_PILING, department="GA")
    assert ticket["status"] == "dispatched"
    [label] = labels()
    assert (label.suggested, label.final, label.source) == ("ZJ", "GA", "dispatch")


def test_an_operators_proposed_department_counts_only_once_dispatched(api, labels) -> None:  # type: ignore[no-untyped-def]
    ticket = api.create("op", content=NIGHT_PILING, department="HB")
    assert ticket["status"] == "registered" and ticket["chosen_department"] == "HB"
    assert labels() == []
    api.act("disp", ticket["id"], "dispatch", {"department": "HB"})
    [label] = labels()
    assert (label.suggested, label.source) == ("ZJ", "dispatch")


def test_a_redispatch_after_a_return_stores_the_final_department(api, labels) -> None:  # type: ignore[no-untyped-def]
    ticket = api.create("op", content=NIGHT_PILING)
    tid = ticket["id"]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})  # as suggested: no label
    api.act("zj", tid, "return", {"reason": "夜间噪声归环保", "category": "职能不符"})
    ruled = api.act("disp", tid, "rule-return", {"decision": "redispatch", "department": "HB"})
    [label] = labels()
    assert (label.suggested, label.final, label.source) == ("ZJ", ruled["department"], "redispatch")


def test_an_insisted_return_stores_nothing(api, labels) -> None:  # type: ignore[no-untyped-def]
    tid = api.create("op", content=NIGHT_PILING)["id"]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})
    api.act("zj", tid, "return", {"reason": "不归我们", "category": "职能不符"})
    api.act("disp", tid, "rule-return", {"decision": "insist"})
    assert labels() == []


def test_corrections_endpoint_counts_per_department(api) -> None:  # type: ignore[no-untyped-def]
    for department in ("HB", "HB", "GA"):
        tid = api.create("op", content=NIGHT_PILING)["id"]
        api.act("disp", tid, "dispatch", {"department": department})
    tid = api.create("op", content=NIGHT_PILING)["id"]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})
    api.act("zj", tid, "return", {"reason": "不归我们", "category": "职能不符"})
    api.act("disp", tid, "rule-return", {"decision": "redispatch", "department": "HB"})

    reply = api.get("sup", "/api/routing/corrections")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["total"] == 4
    assert body["by_source"] == {"dispatch": 3, "redispatch": 1}
    rows = {row["code"]: row for row in body["departments"]}
    assert rows["HB"]["corrected_to"] == 3 and rows["HB"]["corrected_away"] == 0
    assert rows["GA"]["corrected_to"] == 1
    assert rows["ZJ"] == {"code": "ZJ", "name": rows["ZJ"]["name"], "corrected_to": 0,
                          "corrected_away": 4}  # fmt: skip
    assert rows["ZJ"]["name"] != "ZJ"
    assert api.get("disp", "/api/routing/corrections").status_code == 200


def test_corrections_endpoint_filters_by_day_and_guards_access(api) -> None:  # type: ignore[no-untyped-def]
    tid = api.create("op", content=NIGHT_PILING)["id"]
    api.act("disp", tid, "dispatch", {"department": "HB"})  # the clock says 2026-11-23
    assert (
        api.get("sup", "/api/routing/corrections", start="2026-11-23", end="2026-11-23").json()[
            "total"
        ]
        == 1
    )
    assert api.get("sup", "/api/routing/corrections", start="2026-11-24").json()["total"] == 0
    assert api.get("sup", "/api/routing/corrections", end="2026-11-22").json()["total"] == 0
    backwards = api.get("sup", "/api/routing/corrections", start="2026-11-24", end="2026-11-01")
    assert backwards.status_code == 422
    assert api.get("sup", "/api/routing/corrections", start="yesterday").status_code == 422
    assert api.get("op", "/api/routing/corrections").status_code == 403
    assert api.get("zj", "/api/routing/corrections").status_code == 403
