"""Training: read labelled CSV, fit the one routing pipeline, save the model with its card."""

from __future__ import annotations

import json
import platform
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from classifier.evaluation import evaluate, write_report
from classifier.features import DEFAULT_C, RoutingPipeline
from classifier.labelled import (
    DEFAULT_LABEL_COLUMN,
    TEXT_COLUMN,
    LabelledData,
    TrainingDataError,
)
from classifier.model import MODEL_FILE, NO_EMERGENCY, RoutingModel
from classifier.noise import EVALUATION_SEED, TRAINING_PROFILE, NoiseProfile, noisy_texts
from classifier.reference import REFERENCE_DIR, load_departments

# Each department's mandate is added this many times so its vocabulary weighs like a few
# real examples without drowning them.
MANDATE_REPEATS = 2


@dataclass(frozen=True)
class Augmentation:
    """Noisy copies of the training texts (``classifier.noise``) added to the training data,
    each with its row's labels: ``copies`` per text for a ``share`` of the rows (picked with
    ``seed``), the k-th copy made with seed ``seed + k``."""

    copies: int
    share: float = 1.0
    profile: NoiseProfile = field(default=TRAINING_PROFILE)
    seed: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "copies": self.copies,
            "share": self.share,
            "profile": self.profile.to_dict(),
            "seed": self.seed,
        }

    def augment(self, rows: list[dict[str, str]]) -> list[dict[str, str]]:
        """``rows`` followed by the noisy copies."""
        picker = random.Random(self.seed)
        chosen = [row for row in rows if picker.random() < self.share]
        texts = [row[TEXT_COLUMN] for row in chosen]
        copies = []
        for k in range(self.copies):
            noisy = noisy_texts(texts, self.profile, self.seed + k)
            copies += [{**row, TEXT_COLUMN: text} for row, text in zip(chosen, noisy, strict=True)]
        return rows + copies


NO_AUGMENTATION = Augmentation(copies=0)
# Chosen by 5-fold cross-validation on the training split (bench/augmentation_cv.py,
# docs/classifier.md), scored on clean held-out folds and on noisy copies of them made with
# the evaluation profile and another seed: one copy of half the texts at the training
# profile's rates, top-1 -0.003 on clean folds and +0.012 on noisy ones — as much as a copy of
# every text or two (within the folds' spread) for a third of the extra training time.
DEFAULT_AUGMENTATION = Augmentation(copies=1, share=0.5)


def default_augmentation(label_column: str) -> Augmentation:
    """The department model reads call texts and is trained with noisy copies; a model for
    another label column (e.g. the public benchmark's domains, whose text is not speech) is not:
    the setting was chosen on the project's corpus only."""
    return DEFAULT_AUGMENTATION if label_column == DEFAULT_LABEL_COLUMN else NO_AUGMENTATION


def mandate_examples(labels: set[str]) -> list[tuple[str, str]]:
    """(text, code) pairs from the departments' scopes, for the codes being trained on."""
    examples = []
    for department in load_departments(REFERENCE_DIR):
        if department.code in labels:
            matters = department.scope.split()
            examples.append((f"{department.name} {department.scope}", department.code))
            examples.extend((matter, department.code) for matter in matters)
    return examples * MANDATE_REPEATS


def check_labels(labels: list[str | None], name: str) -> None:
    """Every output needs two labels and at least two examples of each."""
    counts = Counter(label for label in labels if label is not None)
    if len(counts) < 2:
        raise TrainingDataError(f"{name}: need at least two different labels, got {set(counts)}")
    rare = sorted(label for label, n in counts.items() if n < 2)
    if rare:
        raise TrainingDataError(f"{name}: labels with a single example cannot be learnt: {rare}")


def _output_label(row: dict[str, str], column: str) -> str | None:
    """The row's label for one output; ``None`` when the row does not say (e.g. a correction
    carries only its department). A row with an emergency column but no code is "none"."""
    if column == "emergency" and "emergency" in row:
        return row["emergency"] or NO_EMERGENCY
    return row.get(column) or None


def _training_set(
    rows: list[dict[str, str]], label_column: str, with_mandates: bool
) -> tuple[list[str], dict[str, list[str | None]]]:
    """The texts and each output's labels (``None`` where a row does not say), mandates added."""
    texts = [row[TEXT_COLUMN] for row in rows]
    targets: dict[str, list[str | None]] = {
        "department": [_output_label(row, label_column) for row in rows]
    }
    for column in ("type", "urgency", "emergency"):
        if column == label_column:
            continue
        labels = [_output_label(row, column) for row in rows]
        if len({label for label in labels if label is not None}) >= 2:
            targets[column] = labels
    if with_mandates:
        mandates = mandate_examples(set(targets["department"]) - {None})
        texts.extend(text for text, _ in mandates)
        targets["department"].extend(code for _, code in mandates)
        for name in targets.keys() - {"department"}:
            targets[name].extend([None] * len(mandates))
    return texts, targets


def train_routing_model(
    rows: list[dict[str, str]],
    label_column: str = DEFAULT_LABEL_COLUMN,
    *,
    with_mandates: bool = True,
    c: float = DEFAULT_C,
    augmentation: Augmentation | None = None,
) -> RoutingModel:
    """Fit the shared features and a department-style head on ``label_column``, plus type,
    urgency and emergency heads for whichever of those columns the rows carry; the training
    rows get noisy copies per ``augmentation`` (default: :func:`default_augmentation`)."""
    augmentation = augmentation or default_augmentation(label_column)
    kept = [row for row in rows if _output_label(row, label_column)]
    # Labels are checked on the rows as given: a noisy copy is not a second example.
    for name, labels in _training_set(kept, label_column, with_mandates)[1].items():
        check_labels(labels, name)
    texts, targets = _training_set(augmentation.augment(kept), label_column, with_mandates)
    pipeline = RoutingPipeline(c=c).fit(texts, targets)
    return RoutingModel(pipeline, label_column=label_column)


def library_versions() -> dict[str, str]:
    names = ("scikit-learn", "jieba", "numpy", "scipy", "opencc")
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def train_and_save(
    data: LabelledData,
    out_dir: Path,
    *,
    label_column: str = DEFAULT_LABEL_COLUMN,
    eval_data: LabelledData | None = None,
) -> dict[str, Any]:
    """Train, save the model into ``out_dir`` and write its card; returns the card."""
    augmentation = default_augmentation(label_column)
    started = time.perf_counter()
    model = train_routing_model(data.rows, label_column, augmentation=augmentation)
    seconds = time.perf_counter() - started
    return save_with_card(
        model,
        data,
        out_dir,
        training_seconds=seconds,
        eval_data=eval_data,
        augmentation=augmentation,
    )


def save_with_card(
    model: RoutingModel,
    data: LabelledData,
    out_dir: Path,
    *,
    training_seconds: float,
    eval_data: LabelledData | None = None,
    augmentation: Augmentation | None = None,
) -> dict[str, Any]:
    """Save a model trained on ``data`` (with ``augmentation``, when known) with its card (and,
    given held-out data, its evaluation report); returns the card."""
    label_column = model.label_column
    model.save(out_dir)
    card: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "label_column": label_column,
        "outputs": model.outputs,
        "threshold": model.threshold,
        "training_data": {
            "source": data.source,
            "sha256": data.sha256,
            "rows": len(data.rows),
            "skipped_rows": data.skipped,
            "per_label": dict(sorted(Counter(r[label_column] for r in data.rows).items())),
        },
        "augmentation": augmentation.to_dict() if augmentation else None,
        "features": model.pipeline.n_features,
        "training_seconds": round(training_seconds, 2),
        "size_bytes": (out_dir / MODEL_FILE).stat().st_size,
        "libraries": library_versions(),
        "command": _train_command(data.source, out_dir, label_column, eval_data),
    }
    if eval_data is not None:
        report = evaluate(model, eval_data.rows, label_column, noise_seed=EVALUATION_SEED)
        write_report(report, out_dir)
        card["evaluation"] = {
            "source": eval_data.source,
            "sha256": eval_data.sha256,
            **{
                k: v
                for k, v in report.items()
                if k not in {"per_class", "per_class_text", "confusion"}
            },
        }
    write_model_card(card, out_dir)
    return card


def _train_command(
    source: str, out_dir: Path, label_column: str, eval_data: LabelledData | None
) -> str:
    """The command that makes this model and its figures again (training is deterministic)."""
    command = f"python -m classifier train {source} --out {out_dir}"
    if label_column != DEFAULT_LABEL_COLUMN:
        command += f" --label-column {label_column}"
    if eval_data is not None:
        command += f" --eval-data {eval_data.source}"
    return command


def _emergency_register_table(by_register: dict[str, dict[str, Any]]) -> list[str]:
    """The emergency figures per register (clean, spoken, asr) as a Markdown table."""
    if not by_register:
        return []
    keys = list(dict.fromkeys(key for scores in by_register.values() for key in scores))
    return [
        "",
        "Emergency figures per register:",
        "",
        "| register | " + " | ".join(keys) + " |",
        "|---|" + "---|" * len(keys),
        *(
            f"| {register} | " + " | ".join(str(scores.get(key, "—")) for key in keys) + " |"
            for register, scores in by_register.items()
        ),
    ]


def register_table(by_register: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown lines: department figures per register (``noise_model``: the written rows
    through the noise model's evaluation profile, seed ``EVALUATION_SEED``)."""
    if not by_register:
        return []
    return [
        "",
        "By register (`noise_model`: the clean and spoken rows, or all rows where the data "
        f"has no register, through the noise model's evaluation profile, seed {EVALUATION_SEED}):",
        "",
        "| register | n | accuracy | top-3 accuracy | macro-F1 |",
        "|---|---|---|---|---|",
        *(
            f"| {register} | {scores['n']} | {scores['accuracy']} | {scores['top3_accuracy']} "
            f"| {scores['macro_f1']} |"
            for register, scores in by_register.items()
        ),
    ]


def write_model_card(card: dict[str, Any], out_dir: Path) -> None:
    (out_dir / "model_card.json").write_text(
        json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    lines = [
        "# Routing model card",
        "",
        f"- Created: {card['created']}",
        f"- Label column: `{card['label_column']}`; outputs: {', '.join(card['outputs'])}",
        f"- Uncertainty threshold (top-1 probability): {card['threshold']}",
        f"- Training data: `{card['training_data']['source']}` "
        f"({card['training_data']['rows']} rows, {card['training_data']['skipped_rows']} skipped),"
        f" sha256 `{card['training_data']['sha256']}`",
        f"- Shared features (word + character n-gram TF-IDF): {card['features']}",
        f"- Training time: {card['training_seconds']} s; size on disk: "
        f"{card['size_bytes'] / 1e6:.2f} MB",
        f"- Libraries: {card['libraries']}",
        f"- Made by: `{card['command']}`",
        f"- Augmentation (noisy copies of the training texts, `classifier.noise`): "
        f"{card['augmentation']}",
    ]
    evaluation = card.get("evaluation")
    if evaluation:
        lines += [
            "",
            "## Evaluation",
            "",
            f"On `{evaluation['source']}` (sha256 `{evaluation['sha256']}`), n = {evaluation['n']}:",
            "",
            "| metric | value |",
            "|---|---|",
            *(
                f"| {key} | {value} |"
                for key, value in evaluation.items()
                if isinstance(value, int | float) and key != "n"
            ),
            *_emergency_register_table(evaluation.get("emergency_by_register", {})),
            *register_table(evaluation.get("by_register", {})),
            "",
            "Per-class report: `classification_report.txt`; confusion matrix: "
            "`confusion_matrix.txt` and `confusion_matrix.png`.",
        ]
    (out_dir / "model_card.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
