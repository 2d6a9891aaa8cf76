"""Bad input never crashes: empty, huge, foreign, emoji, HTML, control characters."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.model import MAX_TEXT_CHARS, ModelDirectoryError, RoutingModel

STRATEGY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("text", ["", " ", "\n\t  ", "\u3000\u3000", "，。！？"])
def test_blank_text_is_uncertain_with_a_reason(small_model: RoutingModel, text: str) -> None:
    suggestion = small_model.predict(text)
    assert suggestion.uncertain
    assert suggestion.reason
    assert suggestion.department is None


def test_huge_text_is_truncated_and_flagged(small_model: RoutingModel) -> None:
    text = "楼上邻居半夜吵闹扰民" * 10_000  # 100,000 characters
    suggestion = small_model.predict(text)
    assert suggestion.truncated
    assert suggestion.top3
    assert not small_model.predict(text[:MAX_TEXT_CHARS]).truncated


def test_non_text_is_a_clear_error(small_model: RoutingModel) -> None:
    with pytest.raises(TypeError, match="expected str"):
        small_model.predict(None)  # type: ignore[arg-type]


def test_missing_model_directory_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ModelDirectoryError, match="no routing model"):
        RoutingModel.load(tmp_path)


@STRATEGY_SETTINGS
@given(
    st.one_of(
        st.text(max_size=400),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
        st.from_regex(r"<[a-z]{1,6}>[^<]{0,40}</[a-z]{1,6}>", fullmatch=True),
        st.text(alphabet="😀🔥🚒🚑\u200b\u202e\x00\x1b\ufeff", max_size=50),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz 0123456789.,!?", max_size=200),
    )
)
def test_any_text_gives_a_prediction_or_uncertain(small_model: RoutingModel, text: str) -> None:
    data = small_model.predict(text).to_dict()
    assert data["uncertain"] or data["department"] in small_model.departments
    assert data["uncertain"] == (data["reason"] is not None)
    if data["top3"]:
        assert abs(sum(p for _, p in data["top3"])) <= 1.0001


@STRATEGY_SETTINGS
@given(st.lists(st.text(max_size=80), max_size=8))
def test_predict_many_matches_predict(small_model: RoutingModel, texts: list[str]) -> None:
    many = small_model.predict_many(texts)
    assert [s.to_dict() for s in many] == [small_model.predict(t).to_dict() for t in texts]
