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

import numpy as np
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
