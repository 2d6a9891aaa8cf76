"""The one fitted pipeline: its fast path equals scikit-learn, and it survives a save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.features import (
    CHAR_NGRAMS,
    OPENING_CHARS,
    RoutingPipeline,
    pack_term,
    packed_char_ngrams,
    packed_char_ngrams_many,
)
from classifier.labelled import read_labelled_csv
from classifier.model import RoutingModel
from classifier.text import normalize

from .conftest import TEST_CSV

ODD_TEXTS = ["", "Ｈｅｌｌｏ  WORLD 123", "红旗区  金桂园小区", "a\tb\n\nc", "😀😀", "x"]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [row["text"] for row in read_labelled_csv(TEST_CSV).rows[:150]] + ODD_TEXTS


def test_packed_char_ngrams_are_scikit_learns(texts: list[str]) -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    reference = CountVectorizer(analyzer="char", ngram_range=CHAR_NGRAMS).build_analyzer()
    for text in [normalize(t) for t in texts] + ["  A  b\t\tC  ", "𠀀😀\U0010ffff"]:
        expected = sorted(pack_term(gram) for gram in reference(text))
        assert sorted(packed_char_ngrams(text).tolist()) == expected


def test_packed_char_ngrams_of_a_batch_keep_texts_apart() -> None:
    texts = ["停水", "", "a b", "x\x00y"]  # a text may even hold the separator character
    owners, keys = packed_char_ngrams_many(texts)
    for index, text in enumerate(texts):
        assert sorted(keys[owners == index].tolist()) == sorted(packed_char_ngrams(text).tolist())
    grams = ["x", "\x00", "y", "x\x00", "\x00y", "x\x00y"]
    assert sorted(packed_char_ngrams("x\x00y").tolist()) == sorted(
        pack_term(gram) for gram in grams if CHAR_NGRAMS[0] <= len(gram) <= CHAR_NGRAMS[1]
    )


def test_packed_keys_of_different_ngrams_differ() -> None:
    grams = ["a", "\x00", "\x00a", "a\x00", "ab", "abc", "\U0010ffff", "\U0010ffff" * 3, "𠀀b"]
    assert len({pack_term(gram) for gram in grams}) == len(grams)


def test_features_equal_scikit_learns_vectorizers(small_trained: RoutingModel, texts) -> None:  # type: ignore[no-untyped-def]
    pipeline = small_trained.pipeline
    assert pipeline.fitted_ is not None
    reference = pipeline.fitted_.transform([normalize(t) for t in texts])
    np.testing.assert_allclose(pipeline.transform(texts).toarray(), reference.toarray(), atol=1e-6)


def test_opening_blocks_read_only_the_start_of_a_text(small_trained: RoutingModel) -> None:
    pipeline = small_trained.pipeline
    opening = "我们小区门口的路灯坏了好几天晚上特别黑走路害怕"
    assert len(normalize(opening)) > OPENING_CHARS
    same_start = pipeline.transform([opening + "垃圾也没人清理", opening + "楼上装修噪音扰民"])
    first, second = same_start.toarray()
    assert {block.opening for block in pipeline.blocks} == {None, OPENING_CHARS}
    for block in pipeline.blocks:
        columns = slice(block.offset, block.offset + len(block.idf))
        if block.opening is None:
            assert not np.array_equal(first[columns], second[columns])
        else:
            assert first[columns].any()
            np.testing.assert_array_equal(first[columns], second[columns])


def test_probabilities_equal_each_heads_predict_proba(small_trained: RoutingModel, texts) -> None:  # type: ignore[no-untyped-def]
    pipeline = small_trained.pipeline
    assert pipeline.fitted_ is not None
    features = pipeline.fitted_.transform([normalize(t) for t in texts])
    probabilities = pipeline.predict_proba(texts)
    assert set(probabilities) == {"department", "type", "urgency", "emergency"}
    for name, head in pipeline.fitted_.heads.items():
        np.testing.assert_allclose(probabilities[name], head.predict_proba(features), atol=1e-5)
        assert list(pipeline.classes_[name]) == list(head.classes_)


def test_saved_and_loaded_model_predicts_the_same(
    small_trained: RoutingModel, small_model_dir: Path, texts: list[str]
) -> None:
    loaded = RoutingModel.load(small_model_dir)
    assert loaded.pipeline.fitted_ is None  # only the arrays prediction needs are persisted
    assert [s.to_dict() for s in loaded.predict_many(texts)] == [
        s.to_dict() for s in small_trained.predict_many(texts)
    ]


def test_a_batch_predicts_as_its_texts_one_by_one(
    small_trained: RoutingModel, texts: list[str]
) -> None:
    together = small_trained.predict_many(texts)
    assert [s.to_dict() for s in together] == [small_trained.predict(t).to_dict() for t in texts]


def test_one_object_from_raw_text_to_every_output(small_trained: RoutingModel) -> None:
    predicted = small_trained.pipeline.predict(["我想问一下异地就医备案怎么办理", "家里暖气不热"])
    assert predicted["department"] == ["YB", "RL"]
    assert set(predicted) == {"department", "type", "urgency", "emergency"}


def test_fit_refuses_mismatched_or_missing_labels() -> None:
    with pytest.raises(ValueError, match="no output labels"):
        RoutingPipeline().fit(["a", "b"], {})
    with pytest.raises(ValueError, match="1 labels for 2 texts"):
        RoutingPipeline().fit(["a", "b"], {"department": ["GA"]})
    with pytest.raises(ValueError, match="at least 2 examples"):
        RoutingPipeline().fit(["户口", "低保", "医保"], {"department": ["GA", "MZ", "MZ"]})
