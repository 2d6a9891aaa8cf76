"""Evaluation per register (clean, spoken, asr) and on the noise model's evaluation set."""

from __future__ import annotations

from classifier.evaluation import (
    NOISE_MODEL_REGISTER,
    REGISTER_COLUMN,
    department_scores,
    evaluate,
)
from classifier.labelled import read_labelled_csv
from classifier.model import RoutingModel
from classifier.noise import EVALUATION_PROFILE, noisy_texts

from .conftest import TEST_CSV

REGISTERS = ("clean", "spoken", "asr")


def registered_rows() -> list[dict[str, str]]:
    rows = read_labelled_csv(TEST_CSV).rows[:90]
    return [{**row, "register": REGISTERS[i % 3]} for i, row in enumerate(rows)]


def test_each_register_is_scored_on_its_own_rows(small_trained: RoutingModel) -> None:
    rows = registered_rows()
    report = evaluate(small_trained, rows, "department")
    assert list(report["by_register"]) == sorted(REGISTERS)
    for register in REGISTERS:
        own = [row for row in rows if row["register"] == register]
        scores = report["by_register"][register]
        expected = department_scores(
            [row["department"] for row in own],
            small_trained.predict_many([row["text"] for row in own]),
        )
        assert scores == expected
        assert scores["n"] == 30
    assert report["n"] == 90


def test_the_noise_model_set_is_the_written_rows_made_noisy(small_trained: RoutingModel) -> None:
    rows = registered_rows()
    report = evaluate(small_trained, rows, "department", noise_seed=11)
    written = [row for row in rows if row["register"] in ("clean", "spoken")]
    noisy = noisy_texts([row["text"] for row in written], EVALUATION_PROFILE, 11)
    expected = department_scores(
        [row["department"] for row in written], small_trained.predict_many(noisy)
    )
    assert report["by_register"][NOISE_MODEL_REGISTER] == expected
    assert report["by_register"][NOISE_MODEL_REGISTER]["n"] == 60


def test_rows_without_registers_get_no_register_report(small_trained: RoutingModel) -> None:
    rows = [
        {key: value for key, value in row.items() if key != REGISTER_COLUMN}
        for row in read_labelled_csv(TEST_CSV).rows[:30]
    ]
    assert "by_register" not in evaluate(small_trained, rows, "department")
