"""Learning from dispatchers' corrections, promoted only when it does not get worse."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from classifier.labelled import TEXT_COLUMN, read_labelled_csv
from classifier.model import RoutingModel
from classifier.training import train_routing_model

DEFAULT_SEED_CORPUS = Path(__file__).resolve().parent / "data" / "corpus_train.csv"
HOLDOUT_FRACTION = 0.3


@dataclass(frozen=True)
class RetrainResult:
    promoted: bool  # the new model did at least as well as the old on held-back corrections
    old_score: float
    new_score: float
    n_corrections: int
    out_dir: Path


def split_corrections(
    corrections: list[tuple[str, str]], seed: int = 0
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Hold back ~30% of each department's corrections (at least one per department that has
    two or more), so the score covers every corrected department where possible."""
    rng = random.Random(seed)
    by_label: dict[str, list[tuple[str, str]]] = {}
    for text, label in corrections:
        by_label.setdefault(label, []).append((text, label))
    learn, held = [], []
    for _label, items in sorted(by_label.items()):
        rng.shuffle(items)
        n_held = max(1, round(len(items) * HOLDOUT_FRACTION)) if len(items) > 1 else 0
        held.extend(items[:n_held])
        learn.extend(items[n_held:])
    if not held:  # every department corrected once: hold back a random part overall
        rng.shuffle(learn)
        cut = max(1, round(len(learn) * HOLDOUT_FRACTION))
        held, learn = learn[:cut], learn[cut:]
    return learn, held


def _accuracy(model: RoutingModel, held: list[tuple[str, str]]) -> float:
    suggestions = model.predict_many([text for text, _ in held])
    hits = sum(
        bool(s.top3) and s.top3[0][0] == label
        for s, (_, label) in zip(suggestions, held, strict=True)
    )
    return hits / len(held)


def retrain(
    corrections: list[tuple[str, str]],
    *,
    base_model: Path,
    out_dir: Path,
    seed_corpus: Path | None = None,
) -> RetrainResult:
    """Retrain on the seed corpus plus corrections (text, department).

    The whole pipeline is refitted (the shared features must see the corrections' words); the
    type, urgency and emergency heads learn from the seed corpus, whose rows carry those labels.
    The new model is written to ``out_dir`` either way; ``promoted`` says whether to switch.
    """
    if not corrections:
        raise ValueError("no corrections to learn from")
    out_dir = Path(out_dir)
    if out_dir.resolve() == Path(base_model).resolve():
        raise ValueError("out_dir must differ from base_model: the old model is the fallback")
    for index, item in enumerate(corrections):
        if len(item) != 2 or not all(isinstance(part, str) and part.strip() for part in item):
            raise ValueError(
                f"correction #{index} must be a (text, department) pair of non-blank strings"
            )
    old = RoutingModel.load(base_model)
    unknown = sorted({label for _, label in corrections} - set(old.departments))
    if unknown:
        raise ValueError(f"corrections name departments the model does not know: {unknown}")
    learn, held = split_corrections(list(corrections))
    seed = read_labelled_csv(seed_corpus or DEFAULT_SEED_CORPUS, old.label_column)
    rows = seed.rows + [{TEXT_COLUMN: text, old.label_column: label} for text, label in learn]
    new = train_routing_model(rows, old.label_column)
    new.threshold = old.threshold
    old_score, new_score = _accuracy(old, held), _accuracy(new, held)
    new.save(out_dir)
    return RetrainResult(new_score >= old_score, old_score, new_score, len(corrections), out_dir)
