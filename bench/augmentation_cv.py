"""Choose the noisy-copy augmentation by cross-validation on the training split only.

Usage: nice -n 10 .venv/bin/python bench/augmentation_cv.py [--setting COPIES SHARE SCALE]...
       [--folds 5] [--seed 7] [--data classifier/data/corpus_train.csv]

For each setting — COPIES noisy copies for a SHARE of the training texts, made with the
training profile's rates times SCALE; default 0 1 1, 1 1 1 and 2 1 1 — each
stratified fold is held out in turn and the model trained on the rest is scored (department
top-1 and macro-F1) on the clean held-out fold AND on noisy copies of it made with the
evaluation profile and a different seed, as the recogniser-style test set is. Prints one line
per setting and fold and the means; the test split is never read.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sklearn.model_selection import StratifiedKFold  # noqa: E402

from classifier.evaluation import evaluate  # noqa: E402
from classifier.labelled import read_labelled_csv  # noqa: E402
from classifier.noise import (  # noqa: E402
    EVALUATION_PROFILE,
    EVALUATION_SEED,
    TRAINING_PROFILE,
    NoiseProfile,
    noisy_texts,
)
from classifier.training import Augmentation, train_routing_model  # noqa: E402

SCORES = ("accuracy", "macro_f1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "classifier/data/corpus_train.csv")
    parser.add_argument(
        "--setting", nargs=3, type=float, action="append", metavar=("COPIES", "SHARE", "SCALE")
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    settings = [
        Augmentation(int(copies), share, scaled(TRAINING_PROFILE, scale))
        for copies, share, scale in args.setting or [(0, 1, 1), (1, 1, 1), (2, 1, 1)]
    ]
    rows = read_labelled_csv(args.data, "department").rows
    labels = [row["department"] for row in rows]
    folds = list(
        StratifiedKFold(args.folds, shuffle=True, random_state=args.seed).split(rows, labels)
    )
    results: dict[str, dict[str, list[float]]] = {}
    for fold, (train_index, test_index) in enumerate(folds):
        held = [rows[i] for i in test_index]
        noisy = noisy_texts([row["text"] for row in held], EVALUATION_PROFILE, EVALUATION_SEED)
        held_noisy = [{**row, "text": text} for row, text in zip(held, noisy, strict=True)]
        for augmentation in settings:
            model = train_routing_model([rows[i] for i in train_index], augmentation=augmentation)
            clean = evaluate(model, held, "department")
            recogniser = evaluate(model, held_noisy, "department")
            name = describe(augmentation)
            scores = results.setdefault(name, {})
            for score in SCORES:
                scores.setdefault(f"clean_{score}", []).append(clean[score])
                scores.setdefault(f"noisy_{score}", []).append(recogniser[score])
            figures = " ".join(f"{k} {v[-1]:.4f}" for k, v in scores.items())
            print(f"fold {fold} {name}: {figures}", flush=True)
    for name, scores in results.items():
        figures = " ".join(f"{k} {statistics.mean(v):.4f}" for k, v in scores.items())
        print(f"mean {name}: {figures}")


def scaled(profile: NoiseProfile, scale: float) -> NoiseProfile:
    """``profile`` with every rate times ``scale``."""
    rates = {k: v * scale for k, v in profile.to_dict().items() if isinstance(v, float)}
    return replace(profile, **rates)


def describe(augmentation: Augmentation) -> str:
    scale = augmentation.profile.homophone / TRAINING_PROFILE.homophone
    return f"copies {augmentation.copies} share {augmentation.share:g} scale {scale:g}"


if __name__ == "__main__":
    main()
