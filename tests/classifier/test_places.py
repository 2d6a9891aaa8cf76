"""Division and street/小区 extraction from the divisions.csv gazetteer."""

from __future__ import annotations

import pytest

from classifier.places import extract_places
from classifier.text import normalize


@pytest.mark.parametrize(
    ("text", "division", "place"),
    [
        ("红旗区胜利路金桂园小区旁边工地晚上打桩", "HQ", "胜利路 金桂园小区"),
        ("卫辉市人民路十字路口红绿灯坏了", "WH", "人民路"),
        ("我家是新乡县和谐家园的", "XX", "和谐家园"),
        ("平原新区的学校乱收费", "PY", None),
        ("高新区的公司不给工资", "GX", None),
        ("来电人反映：卫滨区书香名邸物业不作为", "WB", "书香名邸"),
        ("辉县 市 榆林村 停电", "HX", "榆林村"),
    ],
)
def test_divisions_and_places(text: str, division: str, place: str | None) -> None:
    found = extract_places(normalize(text))
    assert found.division == division
    assert found.place == place


@pytest.mark.parametrize("text", ["牧野大道上堵车", "红旗渠精神", "我们小区旁边的工地"])
def test_road_names_and_generic_words_are_not_divisions(text: str) -> None:
    assert extract_places(normalize(text)).division is None
