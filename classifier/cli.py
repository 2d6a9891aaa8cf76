"""Command line: train, evaluate and query routing models (mounted as `hotline classifier`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from classifier.labelled import DEFAULT_LABEL_COLUMN, TrainingDataError, read_labelled_csv

app = typer.Typer(
    help="Routing classifier: train, evaluate and predict departments for 12345 texts."
)

ModelOption = Annotated[
    Path | None, typer.Option("--model", help="model directory (default: shipped model)")
]
LabelOption = Annotated[
    str, typer.Option("--label-column", help="column the department-style model learns")
]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _load(model: Path | None):
    from classifier.model import ModelDirectoryError, RoutingModel

    try:
        return RoutingModel.load(model)
    except ModelDirectoryError as exc:
        _fail(str(exc))


@app.command()
def train(
    data: Annotated[Path, typer.Argument(help="CSV with a text column and label columns")],
    out: Annotated[Path, typer.Option("--out", help="directory to write the model into")],
    label_column: LabelOption = DEFAULT_LABEL_COLUMN,
    eval_data: Annotated[
        Path | None, typer.Option("--eval-data", help="held-out CSV to report on in the card")
    ] = None,
) -> None:
    """Train a model from DATA.csv and save it, with its model card, into --out."""
    from classifier.training import train_and_save

    try:
        training = read_labelled_csv(data, label_column)
        held_out = read_labelled_csv(eval_data, label_column) if eval_data else None
        typer.echo(f"training on {len(training.rows)} rows …", err=True)
        card = train_and_save(training, out, label_column=label_column, eval_data=held_out)
    except TrainingDataError as exc:
        _fail(str(exc))
    typer.echo(
        f"model written to {out} ({card['training_data']['rows']} rows, "
        f"{card['training_seconds']} s)"
    )
    if "evaluation" in card:
        evaluation = card["evaluation"]
        alarm = evaluation.get("emergency_alarm_recall")
        typer.echo(
            (f"held-out emergency alarm recall {alarm}, " if alarm is not None else "held-out ")
            + f"accuracy {evaluation['accuracy']}, macro-F1 {evaluation['macro_f1']}"
        )


@app.command("eval")
def evaluate_command(
    data: Annotated[Path, typer.Argument(help="labelled CSV to score the model on")],
    model: ModelOption = None,
    label_column: LabelOption = DEFAULT_LABEL_COLUMN,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    report_dir: Annotated[
        Path | None, typer.Option("--report-dir", help="also write report files here")
    ] = None,
    noise_seed: Annotated[
        int | None,
        typer.Option(
            "--noise-seed",
            help="also score the clean and spoken rows through the noise model (register "
            "noise_model) made with this seed",
        ),
    ] = None,
) -> None:
    """Score a model: emergency figures (alarm recall first), accuracy, macro-F1, top-3
    accuracy, per-class report, confusion matrix, and per register when the data has a
    register column (or --noise-seed is given)."""
    from classifier.evaluation import confusion_text, emergency_lines_text, evaluate, write_report

    try:
        rows = read_labelled_csv(data, label_column).rows
    except TrainingDataError as exc:
        _fail(str(exc))
    report = evaluate(_load(model), rows, label_column, noise_seed=noise_seed)
    if report_dir:
        write_report(report, report_dir)
    if as_json:
        typer.echo(
            json.dumps(
                {k: v for k, v in report.items() if k != "per_class_text"}, ensure_ascii=False
            )
        )
        return
    for line in emergency_lines_text(report):  # alarm recall first
        typer.echo(line)
    for key in ("n", "accuracy", "macro_f1", "top3_accuracy", "coverage", "confident_accuracy"):
        typer.echo(f"{key}: {report[key]}")
    for register, scores in report.get("by_register", {}).items():
        figures = ", ".join(f"{k} {scores[k]}" for k in ("accuracy", "top3_accuracy", "macro_f1"))
        typer.echo(f"register {register} (n {scores['n']}): {figures}")
    typer.echo(report["per_class_text"])
    typer.echo(confusion_text(report["confusion"]["labels"], report["confusion"]["matrix"]))


def _jsonl_texts(path: Path) -> list[str]:
    texts = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            _fail(f"{path}:{number}: not JSON ({exc.msg})")
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            _fail(f'{path}:{number}: expected an object with a string "text"')
        texts.append(item["text"])
    return texts


@app.command()
def predict(
    text: Annotated[str | None, typer.Argument(help="text to route (or use --jsonl)")] = None,
    model: ModelOption = None,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help='file with one {"text": ...} per line')
    ] = None,
) -> None:
    """Print one JSON suggestion per text."""
    if (text is None) == (jsonl is None):
        _fail("give exactly one of TEXT or --jsonl FILE")
    if jsonl is not None and not jsonl.is_file():
        _fail(f"file not found: {jsonl}")
    texts = _jsonl_texts(jsonl) if jsonl is not None else [text or ""]
    routing = _load(model)
    for suggestion in routing.predict_many(texts):
        sys.stdout.write(json.dumps(suggestion.to_dict(), ensure_ascii=False) + "\n")
