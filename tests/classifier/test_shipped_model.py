"""The shipped model on the project's stories, emergencies and its own held-out split."""

from __future__ import annotations

import json
import re

import pytest

from classifier.features import WORDS
from classifier.labelled import read_labelled_csv
from classifier.model import RoutingModel, default_model_dir

from .conftest import TEST_CSV
from .test_rules import INDIRECT_EMERGENCIES, NOT_EMERGENCIES

STORIES = [
    ("红旗区金桂园小区旁边的工地晚上十一点还在打桩，吵得睡不着", "ZJ", "投诉", "HQ"),
    ("邻居家每天半夜唱卡拉OK，噪音扰民", "GA", None, None),
    ("小区广场舞音响太吵", "GA", None, None),
    ("工厂机器轰鸣噪音扰民", "HB", None, None),
    ("我想问一下异地就医备案怎么办理", "YB", "咨询", None),
    ("我们小区停水了", "GS", None, None),
]


@pytest.mark.parametrize(("text", "department", "ticket_type", "division"), STORIES)
def test_stories(
    shipped_model: RoutingModel,
    text: str,
    department: str,
    ticket_type: str | None,
    division: str | None,
) -> None:
    suggestion = shipped_model.predict(text)
    assert suggestion.top3[0][0] == department
    if ticket_type:
        assert suggestion.type == ticket_type
    if division:
        assert suggestion.division == division
    assert suggestion.evidence, "the operator must see why"
    # Words, not fragments with punctuation ("不醒,") or lone characters.
    assert all(re.fullmatch(r"\w{2,}", word) for word in suggestion.evidence), suggestion.evidence


def test_night_piling_story_names_the_estate_and_explains_itself(
    shipped_model: RoutingModel,
) -> None:
    suggestion = shipped_model.predict("红旗区金桂园小区旁边的工地晚上十一点还在打桩，吵得睡不着")
    assert suggestion.place == "金桂园小区"
    assert any("打桩" in word or "工地" in word for word in suggestion.evidence)


@pytest.mark.parametrize(("text", "line"), INDIRECT_EMERGENCIES)
def test_shipped_model_transfers_indirect_emergencies(
    shipped_model: RoutingModel, text: str, line: str
) -> None:
    suggestion = shipped_model.predict(text)
    assert suggestion.emergency == line
    assert suggestion.urgency == "紧急"


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_shipped_model_no_false_alarm(shipped_model: RoutingModel, text: str) -> None:
    assert shipped_model.predict(text).emergency is None


def test_probabilities_are_ordered_and_bounded(shipped_model: RoutingModel) -> None:
    for suggestion in shipped_model.predict_many(["路口红绿灯坏了", "低保怎么申请", "宽带断网"]):
        probabilities = [p for _, p in suggestion.top3]
        assert len(probabilities) == 3
        assert probabilities == sorted(probabilities, reverse=True)
        assert all(0.0 <= p <= 1.0 for p in probabilities)
        json.dumps(suggestion.to_dict(), ensure_ascii=False)


def test_shipped_model_scores_on_its_own_test_split(shipped_model: RoutingModel) -> None:
    """Figures recorded in docs/benchmarks.md; a much worse model would fail this."""
    from classifier.evaluation import evaluate

    report = evaluate(shipped_model, read_labelled_csv(TEST_CSV).rows, "department")
    assert report["n"] > 800
    assert report["top3_accuracy"] >= 0.95
    assert report["macro_f1"] >= 0.88
    assert report["emergency_primary_accuracy"] >= 0.85
    assert report["emergency_alarm_recall"] >= 0.95  # the operator is alerted
    assert report["emergency_false_alarm_rate"] <= 0.04


def test_model_card_sits_beside_the_shipped_model() -> None:
    card = json.loads((default_model_dir() / "model_card.json").read_text(encoding="utf-8"))
    assert len(card["training_data"]["sha256"]) == 64
    assert card["training_data"]["rows"] > 3000
    assert {"scikit-learn", "jieba", "python"} <= set(card["libraries"])
    assert card["evaluation"]["n"] > 600
    assert (default_model_dir() / "confusion_matrix.png").stat().st_size > 1000


def test_environment_variable_overrides_the_model_dir(
    monkeypatch: pytest.MonkeyPatch, small_model_dir
) -> None:
    monkeypatch.setenv("HOTLINE_CLASSIFIER_MODEL", str(small_model_dir))
    assert default_model_dir() == small_model_dir
    assert RoutingModel.load().departments


def test_evidence_is_whole_words_and_none_holds_another(shipped_model: RoutingModel) -> None:
    suggestion = shipped_model.predict("小区门口那条路的路灯坏了好几天，晚上黑乎乎的走路不安全")
    assert suggestion.evidence
    pipeline = shipped_model.pipeline
    assert pipeline.dictionary is not None
    vocabulary = next(block.vocabulary for block in pipeline.blocks if block.analyzer == WORDS)
    dictionary_words = pipeline.dictionary.are_words(suggestion.evidence)
    for word, in_dictionary in zip(suggestion.evidence, dictionary_words, strict=True):
        assert in_dictionary or word in vocabulary, word  # never a fragment across words
    assert not [
        (a, b) for a in suggestion.evidence for b in suggestion.evidence if a != b and a in b
    ]
