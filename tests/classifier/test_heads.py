"""The Naive-Bayes-scaled SVM head: its scales fold into one ordinary linear model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from classifier.heads import NaiveBayesScaledSVC


@pytest.fixture(scope="module")
def problem() -> tuple[sparse.csr_matrix, np.ndarray]:
    """Three classes, each marked by its own features, plus noise features shared by all."""
    rng = np.random.default_rng(7)
    labels = np.repeat(np.array(["a", "b", "c"]), 40)
    dense = rng.random((120, 12)) * (rng.random((120, 12)) < 0.3)
    for index, label in enumerate("abc"):
        dense[labels == label, index * 3 : index * 3 + 3] += rng.random(
            ((labels == label).sum(), 3)
        )
    return sparse.csr_matrix(dense), labels


def test_each_class_column_is_an_svm_on_its_scaled_features(problem) -> None:  # type: ignore[no-untyped-def]
    features, labels = problem
    head = NaiveBayesScaledSVC(C=0.5).fit(features, labels)
    assert head.coef_.shape == (3, 12)
    for column, label in enumerate(head.classes_):
        positive = labels == label
        scales = head._scales(features, positive)
        assert (scales > 0).all()  # the floor keeps every feature in play
        svm = head.binary_svm().fit(features @ sparse.diags(scales), positive)
        np.testing.assert_allclose(
            head.decision_function(features)[:, column],
            svm.decision_function(features @ sparse.diags(scales)),
            rtol=1e-6,
            atol=1e-8,
        )


def test_a_feature_that_marks_a_class_is_scaled_up_for_it(problem) -> None:  # type: ignore[no-untyped-def]
    features, labels = problem
    scales = NaiveBayesScaledSVC()._scales(features, labels == "b")
    assert scales[3:6].min() > scales[9:].max()


def test_it_separates_the_classes(problem) -> None:  # type: ignore[no-untyped-def]
    features, labels = problem
    head = NaiveBayesScaledSVC().fit(features, labels)
    assert (head.predict(features) == labels).mean() > 0.95


def test_two_classes_give_one_column_and_a_flat_decision_like_linear_svc(problem) -> None:  # type: ignore[no-untyped-def]
    features, labels = problem
    binary = np.where(labels == "a", "yes", "no")
    head = NaiveBayesScaledSVC().fit(features, binary)
    assert list(head.classes_) == ["no", "yes"]
    assert head.coef_.shape == (1, 12)
    decisions = head.decision_function(features)
    assert decisions.shape == (120,)
    assert (head.predict(features) == np.where(decisions > 0, "yes", "no")).all()
    assert (head.predict(features) == binary).mean() > 0.9


def test_one_class_is_refused(problem) -> None:  # type: ignore[no-untyped-def]
    features, _labels = problem
    with pytest.raises(ValueError, match="at least two classes"):
        NaiveBayesScaledSVC().fit(features, np.full(120, "a"))
