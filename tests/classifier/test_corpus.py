"""The project's own corpus: size, balance, a fixed split, and a generator that reproduces it."""

from __future__ import annotations

import csv
from collections import Counter

from classifier.corpus_generator import COLUMNS, DATA_DIR, build_corpus, split_corpus
from classifier.reference import load_departments


def read(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_at_least_150_rows_for_every_department() -> None:
    counts = Counter(row["department"] for row in read("corpus.csv"))
    assert set(counts) == {d.code for d in load_departments()}
    assert min(counts.values()) >= 150


def test_committed_files_are_what_the_generator_produces() -> None:
    rows = build_corpus()
    train, test = split_corpus(rows)
    strip = [{k: r[k] for k in COLUMNS} for r in train]
    assert read("corpus_train.csv") == strip
    assert read("corpus_test.csv") == [{k: r[k] for k in COLUMNS} for r in test]


def test_split_is_about_20_percent_and_no_text_is_in_both() -> None:
    train, test = read("corpus_train.csv"), read("corpus_test.csv")
    assert 0.17 < len(test) / (len(train) + len(test)) < 0.23
    assert not {r["text"] for r in train} & {r["text"] for r in test}
    assert set(Counter(r["department"] for r in test)) == set(
        Counter(r["department"] for r in train)
    )
