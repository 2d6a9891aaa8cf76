"""`hotline classifier …`: the classifier's contract through the mounted app, and retrain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli import app
from hotline.routing.cli import EXIT_REFUSED
from tests.classifier.conftest import TEST_CSV, TRAIN_CSV, sample_corpus, scrambled_corpus

from .test_classify_api import CONTRACT_KEYS, NIGHT_PILING

# Dispatchers keep sending this matter, which the corpus never mentions, to CG.
SHARED_BIKES = [
    f"{place}的共享单车{problem}"
    for place in ("人民路", "胜利路", "平原路", "金穗大道", "和平路", "健康路")
    for problem in ("堆成了山没人收", "横七竖八挡住盲道")
]
# Matters the shipped model already routes right.
KNOWN_MATTERS = [
    ("我想问一下异地就医备案怎么办理", "YB"), ("医保卡丢了怎么补", "YB"),
    ("低保怎么申请", "MZ"), ("结婚登记需要什么材料", "MZ"),
    ("家里暖气不热", "RL"), ("今年什么时候开始供暖", "RL"),
]  # fmt: skip


def run(*args: object, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["classifier", *map(str, args)], env=env)


@pytest.fixture(scope="module")
def seed_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small seed corpus (25 rows per department) so retraining takes seconds."""
    return sample_corpus(TRAIN_CSV, tmp_path_factory.mktemp("seed") / "seed.csv", 25)


@pytest.fixture(scope="module")
def eval_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few held-out rows per department, enough to check the eval contract."""
    return sample_corpus(TEST_CSV, tmp_path_factory.mktemp("eval") / "eval.csv", 6)


def test_predict_one_text_and_jsonl(tmp_path: Path) -> None:
    result = run("predict", NIGHT_PILING)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= CONTRACT_KEYS
    assert data["department"] == "ZJ"
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "楼道里全是烟"}\n{"text": ""}\n', encoding="utf-8")
    lines = [json.loads(line) for line in run("predict", "--jsonl", source).stdout.splitlines()]
    assert [line["emergency"] for line in lines] == ["119", None]
    assert lines[1]["uncertain"] is True


def test_eval_json(eval_csv: Path) -> None:
    result = run("eval", eval_csv, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == sum(1 for _ in eval_csv.open(encoding="utf-8")) - 1
    assert 0.5 < report["accuracy"] <= report["top3_accuracy"] <= 1.0
    assert 0.0 < report["macro_f1"] <= 1.0


def test_train_then_predict_with_it(tmp_path: Path, seed_csv: Path) -> None:
    out = tmp_path / "model"
    result = run("train", seed_csv, "--out", out, "--label-column", "department")
    assert result.exit_code == 0, result.output
    assert (out / "model.json").is_file() and (out / "model_card.json").is_file()
    data = json.loads(run("predict", "低保怎么申请", "--model", out).stdout)
    assert data["top3"][0][0] == "MZ"


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    missing = run("eval", tmp_path / "none.csv", "--json")
    assert missing.exit_code == 2 and "not found" in missing.stderr
    no_model = run("predict", "x", "--model", tmp_path)
    assert no_model.exit_code == 2 and "no routing model" in no_model.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_retrain_on_corrections_promotes_a_model_that_learnt_them(
    api, labels, database_url: str, tmp_path: Path, seed_csv: Path
) -> None:  # type: ignore[no-untyped-def]
    for text in SHARED_BIKES:
        tid = api.create("op", content=text)["id"]
        api.act("disp", tid, "dispatch", {"department": "ZJ"})
        api.act("zj", tid, "return", {"reason": "共享单车归城管", "category": "职能不符"})
        api.act("disp", tid, "rule-return", {"decision": "redispatch", "department": "CG"})
    # One label per ticket at least (the re-dispatch); retrain takes each ticket's latest.
    assert len({label.ticket_id for label in labels()}) == len(SHARED_BIKES)
    env = {"HOTLINE_DATABASE_URL": database_url}
    result = run("retrain", "--out-root", tmp_path, "--seed-corpus", seed_csv, env=env)
    assert result.exit_code == 0, result.output
    assert f"{len(SHARED_BIKES)} correction labels" in result.stdout
    assert "promoted" in result.stdout and "HOTLINE_CLASSIFIER_MODEL=" in result.stdout
    [version] = tmp_path.iterdir()
    data = json.loads(run("predict", "向阳路的共享单车堆成了山没人收", "--model", version).stdout)
    assert data["top3"][0][0] == "CG"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_retrain_refuses_a_model_that_got_worse(
    api, database_url: str, tmp_path: Path, seed_csv: Path
) -> None:  # type: ignore[no-untyped-def]
    for text, department in KNOWN_MATTERS:
        tid = api.create("op", content=text)["id"]
        api.act("disp", tid, "dispatch", {"department": "ZJ"})
        api.act("zj", tid, "return", {"reason": "不归我们", "category": "职能不符"})
        api.act("disp", tid, "rule-return", {"decision": "redispatch", "department": department})
    scrambled = scrambled_corpus(seed_csv, tmp_path / "scrambled.csv")
    env = {"HOTLINE_DATABASE_URL": database_url}
    result = run(
        "retrain", "--out-root", tmp_path / "versions", "--seed-corpus", scrambled, env=env
    )
    assert result.exit_code == EXIT_REFUSED, result.output
    assert "refused" in result.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_retrain_without_labels_is_a_clear_error(database_url: str, tmp_path: Path) -> None:
    result = run("retrain", "--out-root", tmp_path, env={"HOTLINE_DATABASE_URL": database_url})
    assert result.exit_code == 2
    assert "at least 2 correction labels" in result.stderr
    assert not any(tmp_path.iterdir())
