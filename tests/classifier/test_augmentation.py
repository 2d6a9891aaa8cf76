"""Noisy copies of the training texts, and which models get them."""

from __future__ import annotations

import pytest

from classifier.labelled import read_labelled_csv
from classifier.noise import TRAINING_PROFILE, noisy_texts
from classifier.training import (
    DEFAULT_AUGMENTATION,
    NO_AUGMENTATION,
    Augmentation,
    default_augmentation,
)

from .conftest import TEST_CSV


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return read_labelled_csv(TEST_CSV).rows[:40]


def test_copies_follow_the_rows_with_their_labels(rows: list[dict[str, str]]) -> None:
    augmented = Augmentation(copies=2, seed=4).augment(rows)
    assert augmented[: len(rows)] == rows
    first, second = augmented[len(rows) : 2 * len(rows)], augmented[2 * len(rows) :]
    assert [row["text"] for row in first] == noisy_texts(
        [row["text"] for row in rows], TRAINING_PROFILE, 4
    )
    assert [row["text"] for row in second] == noisy_texts(
        [row["text"] for row in rows], TRAINING_PROFILE, 5
    )
    for copy in (first, second):
        for original, noisy in zip(rows, copy, strict=True):
            assert {**noisy, "text": original["text"]} == original


def test_a_share_of_the_rows_gets_copies(rows: list[dict[str, str]]) -> None:
    augmented = Augmentation(copies=1, share=0.5, seed=4).augment(rows)
    assert len(rows) + 5 < len(augmented) < 2 * len(rows) - 5
    assert augmented == Augmentation(copies=1, share=0.5, seed=4).augment(rows)


def test_no_augmentation_is_the_rows_alone(rows: list[dict[str, str]]) -> None:
    assert NO_AUGMENTATION.augment(rows) == rows


def test_only_the_department_model_is_augmented_by_default() -> None:
    assert default_augmentation("department") == DEFAULT_AUGMENTATION
    assert default_augmentation("label") == NO_AUGMENTATION
