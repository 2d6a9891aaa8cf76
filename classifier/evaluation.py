"""Evaluation: the emergency figures first (alarm recall, primary line, linked lines, false
alarms), then accuracy, macro-F1, top-3 accuracy, per-class report and confusion matrix."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score

from classifier.noise import EVALUATION_PROFILE, noisy_texts

if TYPE_CHECKING:
    from classifier.model import RoutingModel, Suggestion

# The registers of the separately written test split (clean / spoken / asr), and the one made
# here by the noise model.
REGISTER_COLUMN = "register"
NOISE_MODEL_REGISTER = "noise_model"
# The written registers the noise model is applied to (recogniser-style rows are noisy already).
NOISE_MODEL_SOURCES = ("clean", "spoken")


def _emergency_scores(pairs: list[tuple[dict[str, str], Suggestion]]) -> dict[str, Any]:
    """The four emergency figures over (row, suggestion) pairs; a figure with nothing to count
    (no emergency, no linked line, no calm row) is left out rather than reported as 0 or 1."""
    real = [(row, s) for row, s in pairs if row.get("emergency")]
    calm = [s for row, s in pairs if not row.get("emergency")]
    linked = [
        (line, s) for row, s in real for line in (row.get("lines") or "").split()[1:]
    ]  # the true linked lines, each with the suggestion that should name it
    scores: dict[str, Any] = {}
    if real:
        # The operator is alerted even where the suggested line is not the right one.
        scores["emergency_alarm_recall"] = round(
            sum(s.emergency is not None for _, s in real) / len(real), 4
        )
        scores["emergency_primary_accuracy"] = round(
            sum(s.emergency == row["emergency"] for row, s in real) / len(real), 4
        )
    if linked:
        scores["emergency_linked_recall"] = round(
            sum(line in s.emergency_lines for line, s in linked) / len(linked), 4
        )
    if calm:
        scores["emergency_false_alarm_rate"] = round(
            sum(s.emergency is not None for s in calm) / len(calm), 4
        )
    scores |= {"emergencies": len(real), "linked_lines": len(linked), "calm": len(calm)}
    return scores


def emergency_figures(
    rows: Sequence[dict[str, str]], suggestions: Sequence[Suggestion]
) -> dict[str, Any]:
    """Alarm recall (an alarm on any line), primary-line accuracy, linked-line recall (the share
    of the true linked lines of ``lines`` found in ``emergency_lines``) and false-alarm rate,
    overall and, when the rows carry a ``register`` column, per register (``by_register``)."""
    pairs = list(zip(rows, suggestions, strict=True))
    figures = _emergency_scores(pairs)
    registers = sorted({row.get(REGISTER_COLUMN) or "" for row in rows} - {""})
    if registers:
        figures["emergency_by_register"] = {
            register: _emergency_scores(
                [(row, s) for row, s in pairs if row.get(REGISTER_COLUMN) == register]
            )
            for register in registers
        }
    return figures


def evaluate(
    model: RoutingModel,
    rows: list[dict[str, str]],
    label_column: str,
    *,
    noise_seed: int | None = None,
) -> dict[str, Any]:
    """Score ``model`` on labelled rows. Accuracy uses the top-1 code even when the model says
    it is uncertain; ``coverage`` and ``confident_accuracy`` show what the threshold does.
    Rows with a ``register`` column are also scored per register (``by_register``); with
    ``noise_seed``, so is the noise-model set made from them (:func:`noise_model_rows`)."""
    if not rows:
        raise ValueError("nothing to evaluate: no labelled rows")
    suggestions = model.predict_many([row["text"] for row in rows])
    # Alarm recall is the first figure of every report: a missed emergency is the worst error.
    report: dict[str, Any] = emergency_figures(rows, suggestions) if "emergency" in rows[0] else {}
    truth = [row[label_column] for row in rows]
    predicted = [s.top3[0][0] if s.top3 else "" for s in suggestions]
    labels = sorted(set(truth) | (set(predicted) - {""}))
    report |= department_scores(truth, suggestions)
    by_register = register_scores(model, rows, suggestions, label_column, noise_seed)
    if by_register:
        report["by_register"] = by_register
    for column in ("type", "urgency"):
        scored = [(r[column], s) for r, s in zip(rows, suggestions, strict=True) if r.get(column)]
        if scored:
            correct = sum(label == getattr(s, column) for label, s in scored)
            report[f"{column}_accuracy"] = round(correct / len(scored), 4)
    report["per_class"] = classification_report(
        truth, predicted, labels=labels, output_dict=True, zero_division=0
    )
    report["per_class_text"] = classification_report(
        truth, predicted, labels=labels, zero_division=0, digits=3
    )
    report["confusion"] = {
        "labels": labels,
        "matrix": confusion_matrix(truth, predicted, labels=labels).tolist(),
    }
    return report


def emergency_lines_text(report: dict[str, Any]) -> list[str]:
    """The emergency figures as ``key: value`` lines, overall then per register."""
    lines = [f"{key}: {value}" for key, value in report.items() if key.startswith("emergency_")
             and not isinstance(value, dict)]  # fmt: skip
    for register, scores in report.get("emergency_by_register", {}).items():
        lines.append(f"[{register}] " + ", ".join(f"{k}: {v}" for k, v in scores.items()))
    return lines


def department_scores(truth: list[str], suggestions: list[Suggestion]) -> dict[str, Any]:
    """Department top-1 accuracy, macro-F1, top-3 accuracy, coverage and confident accuracy of
    ``suggestions`` against the true labels."""
    predicted = [s.top3[0][0] if s.top3 else "" for s in suggestions]
    in_top3 = [t in {code for code, _ in s.top3} for t, s in zip(truth, suggestions, strict=True)]
    confident = [i for i, s in enumerate(suggestions) if not s.uncertain]
    return {
        "n": len(truth),
        "accuracy": round(accuracy_score(truth, predicted), 4),
        "macro_f1": round(
            f1_score(truth, predicted, average="macro", labels=sorted(set(truth))), 4
        ),
        "top3_accuracy": round(sum(in_top3) / len(truth), 4),
        "coverage": round(len(confident) / len(truth), 4),
        "confident_accuracy": round(
            sum(truth[i] == predicted[i] for i in confident) / len(confident), 4
        )
        if confident
        else 0.0,
    }


def noise_model_rows(rows: list[dict[str, str]], seed: int) -> list[dict[str, str]]:
    """The written rows (register clean or spoken; every row where there is no register
    column) as the noise model's evaluation profile turns them into recogniser output, with
    ``seed``: a set made by another process than the training data's noisy copies."""
    written = [
        row
        for row in rows
        if row.get(REGISTER_COLUMN, NOISE_MODEL_SOURCES[0]) in NOISE_MODEL_SOURCES
    ]
    noisy = noisy_texts([row["text"] for row in written], EVALUATION_PROFILE, seed)
    return [
        {**row, "text": text, REGISTER_COLUMN: NOISE_MODEL_REGISTER}
        for row, text in zip(written, noisy, strict=True)
    ]


def register_scores(
    model: RoutingModel,
    rows: list[dict[str, str]],
    suggestions: list[Suggestion],
    label_column: str,
    noise_seed: int | None,
) -> dict[str, dict[str, Any]]:
    """:func:`department_scores` for each register of ``rows`` (when they have a register
    column) and, given ``noise_seed``, for the noise-model set made from them."""
    by_register: dict[str, dict[str, Any]] = {}
    if rows and REGISTER_COLUMN in rows[0]:
        for register in sorted({row[REGISTER_COLUMN] for row in rows}):
            chosen = [i for i, row in enumerate(rows) if row[REGISTER_COLUMN] == register]
            by_register[register] = department_scores(
                [rows[i][label_column] for i in chosen], [suggestions[i] for i in chosen]
            )
    if noise_seed is not None:
        noisy = noise_model_rows(rows, noise_seed)
        if noisy:
            by_register[NOISE_MODEL_REGISTER] = department_scores(
                [row[label_column] for row in noisy],
                model.predict_many([row["text"] for row in noisy]),
            )
    return by_register


def confusion_text(labels: list[str], matrix: list[list[int]]) -> str:
    width = max(4, *(len(label) for label in labels), *(len(str(v)) for row in matrix for v in row))
    header = " " * (width + 1) + " ".join(label.rjust(width) for label in labels)
    lines = [
        "rows: true label, columns: predicted",
        header,
        *(
            label.rjust(width) + " " + " ".join(str(v).rjust(width) for v in row)
            for label, row in zip(labels, matrix, strict=True)
        ),
    ]
    return "\n".join(lines) + "\n"


def plot_confusion(labels: list[str], matrix: list[list[int]], path: Path) -> bool:
    """Write a PNG heat map; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    size = max(5.0, 0.4 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=90)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value:
                axes.text(j, i, str(value), ha="center", va="center", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def write_report(report: dict[str, Any], out_dir: Path) -> None:
    """evaluation.json, classification_report.txt, confusion_matrix.txt and .png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {k: v for k, v in report.items() if k != "per_class_text"}
    (out_dir / "evaluation.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out_dir / "classification_report.txt").write_text(report["per_class_text"], encoding="utf-8")
    labels, matrix = report["confusion"]["labels"], report["confusion"]["matrix"]
    (out_dir / "confusion_matrix.txt").write_text(confusion_text(labels, matrix), encoding="utf-8")
    plot_confusion(labels, matrix, out_dir / "confusion_matrix.png")
