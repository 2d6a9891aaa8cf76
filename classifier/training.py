"""Training: read labelled CSV, fit one pipeline per output, save the model with its card."""

from __future__ import annotations

import csv
import hashlib
import json
import platform
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from tqdm import tqdm

from classifier.evaluation import evaluate, write_report
from classifier.features import build_pipeline
from classifier.model import NO_EMERGENCY, RoutingModel
from classifier.reference import REFERENCE_DIR, load_departments

TEXT_COLUMN = "text"
DEFAULT_LABEL_COLUMN = "department"
# Each department's mandate is added this many times so its vocabulary weighs like a few
# real examples without drowning them.
MANDATE_REPEATS = 2


class TrainingDataError(ValueError):
    """The training or evaluation file cannot be used; the message says why."""


@dataclass(frozen=True)
class LabelledData:
    rows: list[dict[str, str]]
    sha256: str
    skipped: int  # rows without text or label
    source: str


def read_labelled_csv(path: Path, label_column: str = DEFAULT_LABEL_COLUMN) -> LabelledData:
    """Rows with non-blank text and label; the rest are counted, not silently lost."""
    path = Path(path)
    if not path.is_file():
        raise TrainingDataError(f"data file not found: {path}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrainingDataError(f"{path} is not UTF-8 text: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    columns = reader.fieldnames or []
    for needed in (TEXT_COLUMN, label_column):
        if needed not in columns:
            raise TrainingDataError(
                f"{path} has no column {needed!r}; columns are {', '.join(columns) or 'none'}"
            )
    rows, skipped = [], 0
    for row in reader:
        if (row.get(TEXT_COLUMN) or "").strip() and (row.get(label_column) or "").strip():
            rows.append({k: (v or "").strip() for k, v in row.items() if k is not None})
        else:
            skipped += 1
    if not rows:
        raise TrainingDataError(f"{path} has no row with both text and {label_column!r}")
    return LabelledData(rows, hashlib.sha256(raw).hexdigest(), skipped, str(path))


def mandate_examples(labels: set[str]) -> list[tuple[str, str]]:
    """(text, code) pairs from the departments' scopes, for the codes being trained on."""
    examples = []
    for department in load_departments(REFERENCE_DIR):
        if department.code in labels:
            matters = department.scope.split()
            examples.append((f"{department.name} {department.scope}", department.code))
            examples.extend((matter, department.code) for matter in matters)
    return examples * MANDATE_REPEATS


def fit_output(texts: list[str], labels: list[str], name: str) -> Any:
    counts = Counter(labels)
    if len(counts) < 2:
        raise TrainingDataError(f"{name}: need at least two different labels, got {set(counts)}")
    rare = sorted(label for label, n in counts.items() if n < 2)
    if rare:
        raise TrainingDataError(f"{name}: labels with a single example cannot be learnt: {rare}")
    pipeline = build_pipeline(min(counts.values()))
    return pipeline.fit(texts, labels)


def _output_data(rows: list[dict[str, str]], column: str) -> tuple[list[str], list[str]]:
    if column == "emergency":
        return [r[TEXT_COLUMN] for r in rows], [r.get("emergency") or NO_EMERGENCY for r in rows]
    kept = [r for r in rows if r.get(column)]
    return [r[TEXT_COLUMN] for r in kept], [r[column] for r in kept]


def train_routing_model(
    rows: list[dict[str, str]],
    label_column: str = DEFAULT_LABEL_COLUMN,
    *,
    progress: bool = False,
    with_mandates: bool = True,
) -> RoutingModel:
    """Fit the department-style pipeline on ``label_column`` plus type, urgency and emergency
    pipelines for whichever of those columns the rows carry."""
    texts, labels = _output_data(rows, label_column)
    if with_mandates:
        for text, code in mandate_examples(set(labels)):
            texts.append(text)
            labels.append(code)
    jobs: list[tuple[str, list[str], list[str]]] = [("department", texts, labels)]
    for column in ("type", "urgency", "emergency"):
        if column in rows[0] and column != label_column:
            column_texts, column_labels = _output_data(rows, column)
            if len(set(column_labels)) >= 2:
                jobs.append((column, column_texts, column_labels))
    pipelines = {}
    for name, job_texts, job_labels in tqdm(
        jobs, desc="training", unit="model", disable=not progress
    ):
        pipelines[name] = fit_output(job_texts, job_labels, name)
    return RoutingModel(pipelines, label_column=label_column)


def library_versions() -> dict[str, str]:
    names = ("scikit-learn", "jieba", "numpy", "scipy", "joblib", "opencc")
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
    progress: bool = False,
) -> dict[str, Any]:
    """Train, save the model into ``out_dir`` and write its card; returns the card."""
    started = time.perf_counter()
    model = train_routing_model(data.rows, label_column, progress=progress)
    seconds = time.perf_counter() - started
    model.save(out_dir)
    card: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "label_column": label_column,
        "outputs": sorted(model.pipelines),
        "threshold": model.threshold,
        "training_data": {
            "source": data.source,
            "sha256": data.sha256,
            "rows": len(data.rows),
            "skipped_rows": data.skipped,
            "per_label": dict(sorted(Counter(r[label_column] for r in data.rows).items())),
        },
        "features": {
            name: len(pipeline.named_steps["features"].get_feature_names_out())
            for name, pipeline in model.pipelines.items()
        },
        "training_seconds": round(seconds, 2),
        "size_bytes": sum(p.stat().st_size for p in out_dir.glob("*.joblib")),
        "libraries": library_versions(),
    }
    if eval_data is not None:
        report = evaluate(model, eval_data.rows, label_column)
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
        f"- Features per output: {card['features']}",
        f"- Training time: {card['training_seconds']} s; size on disk: "
        f"{card['size_bytes'] / 1e6:.2f} MB",
        f"- Libraries: {card['libraries']}",
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
            "",
            "Per-class report: `classification_report.txt`; confusion matrix: "
            "`confusion_matrix.txt` and `confusion_matrix.png`.",
        ]
    (out_dir / "model_card.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
