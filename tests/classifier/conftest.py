"""Fixtures for the classifier tests: a small model trained once per session, the shipped one."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from classifier.labelled import read_labelled_csv
from classifier.model import RoutingModel, default_model_dir
from classifier.training import save_with_card, train_routing_model

DATA_DIR = Path(__file__).resolve().parents[2] / "classifier" / "data"
TRAIN_CSV = DATA_DIR / "corpus_train.csv"
TEST_CSV = DATA_DIR / "corpus_test.csv"


def sample_corpus(path: Path, out: Path, per_department: int, seed: int = 7) -> Path:
    """A smaller CSV with ``per_department`` rows per department (all emergencies kept)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        rows = list(reader)
    random.Random(seed).shuffle(rows)
    kept, counts = [], {}
    for row in rows:
        department = row["department"]
        if row["emergency"] or counts.get(department, 0) < per_department:
            counts[department] = counts.get(department, 0) + 1
            kept.append(row)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(kept)
    return out


def scrambled_corpus(path: Path, out: Path, seed: int = 3) -> Path:
    """``path`` with its department labels shuffled: whatever a model learns from it does
    worse than a sane model on correctly labelled texts."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = [row["department"] for row in rows]
    random.Random(seed).shuffle(labels)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(
            {**row, "department": label} for row, label in zip(rows, labels, strict=True)
        )
    return out


@pytest.fixture(scope="session")
def small_train_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_corpus(TRAIN_CSV, tmp_path_factory.mktemp("data") / "small.csv", 40)


@pytest.fixture(scope="session")
def small_test_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_corpus(TEST_CSV, tmp_path_factory.mktemp("data") / "small_test.csv", 8)


@pytest.fixture(scope="session")
def small_trained(small_train_csv: Path) -> RoutingModel:
    """Trained in this process: its pipeline still holds the fitted scikit-learn parts."""
    return train_routing_model(read_labelled_csv(small_train_csv).rows)


@pytest.fixture(scope="session")
def small_model_dir(
    tmp_path_factory: pytest.TempPathFactory, small_train_csv: Path, small_trained: RoutingModel
) -> Path:
    out = tmp_path_factory.mktemp("small_model")
    save_with_card(small_trained, read_labelled_csv(small_train_csv), out, training_seconds=0.0)
    return out


@pytest.fixture(scope="session")
def small_model(small_model_dir: Path) -> RoutingModel:
    return RoutingModel.load(small_model_dir)


@pytest.fixture(scope="session")
def shipped_model() -> RoutingModel:
    directory = default_model_dir()
    assert (directory / "model.json").is_file(), f"the shipped model is missing from {directory}"
    return RoutingModel.load(directory)
