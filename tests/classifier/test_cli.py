"""The CLI contract, in process through Typer's runner (one real `python -m classifier`)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from classifier.cli import app
from classifier.training import DEFAULT_AUGMENTATION

from .conftest import TEST_CSV


class Outcome:
    """A finished command: ``returncode``, ``stdout`` and ``stderr`` like a subprocess."""

    def __init__(self, result: Result) -> None:
        self.returncode = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr


def run_cli(*args: object) -> Outcome:
    return Outcome(CliRunner().invoke(app, [str(arg) for arg in args]))


def test_module_entry_point_runs(small_model_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "classifier", "predict", "低保怎么申请", "--model", small_model_dir],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["top3"]


def test_train_writes_a_model_with_its_card(
    tmp_path: Path, small_train_csv: Path, small_test_csv: Path
) -> None:
    out = tmp_path / "model"
    result = run_cli("train", small_train_csv, "--out", out, "--eval-data", small_test_csv)
    assert result.returncode == 0, result.stderr
    for name in ("model.json", "model.pickle.z", "model_card.json", "model_card.md",
                 "confusion_matrix.txt", "confusion_matrix.png"):  # fmt: skip
        assert (out / name).is_file(), name
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    assert 0 < card["evaluation"]["accuracy"] <= 1
    assert result.stdout.splitlines()[-1].startswith("held-out emergency alarm recall ")
    assert card["augmentation"] == DEFAULT_AUGMENTATION.to_dict()
    assert card["command"] == (
        f"python -m classifier train {small_train_csv} --out {out} --eval-data {small_test_csv}"
    )
    # The written clean and spoken rows go through the noise model; asr rows are noisy already.
    with small_test_csv.open(encoding="utf-8", newline="") as handle:
        registers = Counter(row["register"] for row in csv.DictReader(handle))
    by_register = card["evaluation"]["by_register"]
    assert by_register["noise_model"]["n"] == registers["clean"] + registers["spoken"]
    assert {k: by_register[k]["n"] for k in registers} == dict(registers)
    markdown = (out / "model_card.md").read_text(encoding="utf-8")
    assert "Augmentation" in markdown and "| noise_model |" in markdown


def test_eval_json(small_model_dir: Path) -> None:
    result = run_cli("eval", TEST_CSV, "--model", small_model_dir, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == sum(1 for _ in TEST_CSV.open(encoding="utf-8")) - 1
    for key in ("accuracy", "macro_f1", "top3_accuracy"):
        assert 0.0 < report[key] <= 1.0
    assert report["top3_accuracy"] >= report["accuracy"]
    # Alarm recall is the first figure of the report.
    assert next(iter(report)) == "emergency_alarm_recall"


def test_eval_prints_the_emergency_figures_first(small_model_dir: Path) -> None:
    result = run_cli("eval", TEST_CSV, "--model", small_model_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("emergency_alarm_recall: ")


def test_eval_scores_the_noise_model_set_with_a_seed(small_model_dir: Path) -> None:
    result = run_cli("eval", TEST_CSV, "--model", small_model_dir, "--noise-seed", 3)
    assert result.returncode == 0, result.stderr
    assert "register noise_model (n " in result.stdout
    plain = run_cli("eval", TEST_CSV, "--model", small_model_dir)
    assert "register spoken (n " in plain.stdout
    assert "noise_model" not in plain.stdout


def test_predict_one_text(small_model_dir: Path) -> None:
    result = run_cli("predict", "我想问一下异地就医备案怎么办理", "--model", small_model_dir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in ("department", "top3", "type", "urgency", "emergency", "utility", "division",
                "uncertain"):  # fmt: skip
        assert key in data
    assert data["top3"][0][0] == "YB"
    assert all(isinstance(code, str) and 0 <= p <= 1 for code, p in data["top3"])


def test_predict_jsonl(tmp_path: Path, small_model_dir: Path) -> None:
    texts = ["楼道里全是烟", "", "我们小区停水了", "三楼着火了，屋里还有个老人出不来"]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"text": t}) for t in texts) + "\n", encoding="utf-8")
    result = run_cli("predict", "--jsonl", source, "--model", small_model_dir)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[0]["emergency"] == "119"
    assert lines[1]["uncertain"] is True
    assert lines[2]["utility"] == "WATER"
    # The contract's addition: every line to alert, primary first; [] without an emergency.
    assert [line["emergency_lines"] for line in lines] == [["119"], [], [], ["119", "120"]]


def test_label_column_trains_on_another_column(tmp_path: Path, small_train_csv: Path) -> None:
    out = tmp_path / "by_type"
    assert run_cli("train", small_train_csv, "--out", out, "--label-column", "type").returncode == 0
    result = run_cli("eval", TEST_CSV, "--model", out, "--label-column", "type", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accuracy"] > 0.5
    predicted = json.loads(run_cli("predict", "低保怎么申请", "--model", out).stdout)
    assert predicted["top3"][0][0] in {"咨询", "求助", "投诉", "举报", "建议", "表扬"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("words,department\nabc,GA\n", "no column 'text'"),
        ("text,department\n,\n", "no row with both text"),
        ("text,department\n低保,XYZ\n户口,GA\n", "single example"),
    ],
)
def test_bad_training_data_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(content, encoding="utf-8")
    result = run_cli("train", data, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "out" / "model.json").exists()


def test_bad_predict_input_is_a_clear_error(tmp_path: Path, small_model_dir: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "ok"}\nnot json\n', encoding="utf-8")
    result = run_cli("predict", "--jsonl", broken, "--model", small_model_dir)
    assert result.returncode == 2 and "broken.jsonl:2" in result.stderr
    assert run_cli("predict", "--model", small_model_dir).returncode == 2
    missing = run_cli("predict", "x", "--model", tmp_path / "none")
    assert missing.returncode == 2 and "no routing model" in missing.stderr
