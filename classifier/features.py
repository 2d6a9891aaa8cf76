"""The scikit-learn pipeline used for every output: normalise → word + char TF-IDF → linear SVM.

Word features are jieba words and word bigrams; character 1–3-grams are robust to the wrong
characters speech recognition produces. A LinearSVC is calibrated (Platt sigmoid, one model
fitted on all data plus cross-validated calibrators) so the probabilities can be shown to the
operator and thresholded, while the single underlying linear model still explains itself.
Everything here is module-level so the persisted pipelines unpickle anywhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn import config_context
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from classifier.text import normalize, tokenize_normalized

MAX_CHAR_FEATURES = 200_000


def normalize_all(texts: Iterable[str]) -> list[str]:
    return [normalize(text) for text in texts]


def words_and_bigrams(normalized: str) -> list[str]:
    words = tokenize_normalized(normalized)
    return [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]


def build_features() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    analyzer=words_and_bigrams, sublinear_tf=True, min_df=1, dtype=np.float32
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=(1, 3),
                    sublinear_tf=True,
                    min_df=2,
                    max_features=MAX_CHAR_FEATURES,
                    dtype=np.float32,
                ),
            ),
        ]
    )


def build_pipeline(smallest_class: int, c: float = 0.5) -> Pipeline:
    """A fresh, unfitted pipeline; ``smallest_class`` sets how many calibration folds fit."""
    if smallest_class < 2:
        raise ValueError("every label needs at least 2 examples to calibrate probabilities")
    classifier = CalibratedClassifierCV(
        LinearSVC(C=c, class_weight="balanced"),
        method="sigmoid",
        cv=min(3, smallest_class),
        ensemble=False,
    )
    return Pipeline(
        [
            ("normalize", FunctionTransformer(normalize_all)),
            ("features", build_features()),
            ("classifier", classifier),
        ]
    )


def linear_weights(pipeline: Pipeline) -> np.ndarray:
    """The (n_classes_or_1, n_features) weights of the pipeline's underlying LinearSVC."""
    calibrated = pipeline.named_steps["classifier"]
    return calibrated.calibrated_classifiers_[0].estimator.coef_


def feature_names(pipeline: Pipeline) -> np.ndarray:
    names = pipeline.named_steps["features"].get_feature_names_out()
    return np.array([name.split("__", 1)[1] for name in names], dtype=object)


def fast_predict_proba(pipeline: Pipeline, normalized: list[str]) -> tuple[Any, np.ndarray]:
    """Features and calibrated probabilities for already-normalised texts.

    Same numbers as ``pipeline.predict_proba`` (a test holds them equal) without scikit-learn's
    per-call input validation of every one-vs-rest calibrator, which dominates the latency of
    one short text.
    """
    union = pipeline.named_steps["features"]
    with config_context(assume_finite=True, skip_parameter_validation=True):
        features = sparse.hstack(
            [vectorizer.transform(normalized) for _, vectorizer in union.transformer_list],
            format="csr",
        )
    calibrated = pipeline.named_steps["classifier"].calibrated_classifiers_[0]
    estimator = calibrated.estimator
    decision = np.asarray(features @ estimator.coef_.T) + estimator.intercept_
    slopes = np.array([c.a_ for c in calibrated.calibrators])
    offsets = np.array([c.b_ for c in calibrated.calibrators])
    positive = expit(-(slopes * decision + offsets))
    if positive.shape[1] == 1:  # binary: one calibrator for the positive class
        return features, np.hstack([1.0 - positive, positive])
    totals = positive.sum(axis=1, keepdims=True)
    uniform = np.full_like(positive, 1.0 / positive.shape[1])
    return features, np.where(totals > 0, positive / np.where(totals > 0, totals, 1), uniform)
