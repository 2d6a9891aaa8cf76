"""Cross-validated emergency figures on the written corpus's training split (never its test split).

For each of ``--folds`` stratified folds (department × emergency line), per ``--seed``, a model is
fitted on the other folds and the held-out fold is predicted; the pooled figures are printed:
alarm recall (an alarm on any line) first, then primary-line accuracy, linked-line recall and the
false-alarm rate — for the rules alone and for rules + model at each model threshold. Used to
choose ``EMERGENCY_MODEL_MIN_PROBABILITY`` and to compare ways of finding the linked lines
(docs/classifier.md, "Emergency").

    PYTHONPATH=$PWD nice -n 10 python bench/emergency_cv.py --seed 0 --seed 1
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sklearn.model_selection import StratifiedKFold

from classifier import model as routing_model
from classifier import rules
from classifier.corpus import read_written, split_corpus
from classifier.evaluation import emergency_figures
from classifier.model import Suggestion
from classifier.text import normalize
from classifier.training import train_routing_model

THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3)


def rules_only(text: str) -> Suggestion:
    """What the rules alone suggest: only the emergency fields are filled."""
    normalized = normalize(text)
    hit = rules.detect_emergency(normalized)
    primary = hit.code if hit else None
    return Suggestion(
        department=None,
        top3=[],
        type="",
        urgency="",
        emergency=primary,
        utility=None,
        division=None,
        place=None,
        uncertain=True,
        reason=None,
        emergency_lines=rules.emergency_lines(primary, normalized),
    )


def cross_validate(rows: list[dict[str, str]], folds: int, seed: int) -> dict[str, Any]:
    strata = [f"{row['department']}:{row['emergency']}" for row in rows]
    held_out: list[dict[str, str]] = []
    by_threshold: dict[float, list[Suggestion]] = {t: [] for t in THRESHOLDS}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(rows, strata):
        fitted = train_routing_model([rows[i] for i in train_index])
        fold = [rows[i] for i in test_index]
        held_out += fold
        for threshold in THRESHOLDS:
            routing_model.EMERGENCY_MODEL_MIN_PROBABILITY = threshold
            by_threshold[threshold] += fitted.predict_many([row["text"] for row in fold])
    return {
        "rules": emergency_figures(held_out, [rules_only(row["text"]) for row in held_out]),
        **{
            f"rules+model p>={t}": emergency_figures(held_out, suggestions)
            for t, suggestions in by_threshold.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, action="append", help="repeat per seed (default 0)")
    args = parser.parse_args()
    train, _test = split_corpus(read_written())
    for seed in args.seed or [0]:
        results = cross_validate(train, args.folds, seed)
        print(json.dumps({"seed": seed, "rows": len(train), **results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
