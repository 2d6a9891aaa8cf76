"""Routing classifier benchmark: latency, size, memory, training and load time, public data.

Usage: .venv/bin/python bench/classifier_bench.py [--model DIR] [--shared /work/shared]
       [--public-data DIR]

Goals: p99 of one prediction on a 300-character text < 5 ms; model < 50 MB on disk; a loaded
model < 300 MB resident; training on 10,000 texts < 60 s; load < 2 s. When
<shared>/datasets/taidi2020c/{train,test}.csv exist: macro-F1 >= 0.935 on test.csv after training
on train.csv only, beside two plain baselines trained and scored in the same run (jieba word
TF-IDF + LinearSVC; the same + character 1–3-gram TF-IDF), and throughput >= 2x the word
baseline's.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classifier.model import MODEL_FILE, RoutingModel, default_model_dir  # noqa: E402
from classifier.training import train_routing_model  # noqa: E402

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

CORPUS = REPO / "classifier" / "data" / "corpus_train.csv"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def text_of_length(rows: list[dict[str, str]], length: int, rng: random.Random) -> str:
    text = ""
    while len(text) < length:
        text += rng.choice(rows)["text"] + "。"
    return text[:length]


def measure_load(model_dir: Path) -> dict[str, float]:
    """Load in a fresh interpreter so imports and jieba's start-up count."""
    code = (
        f"import time,sys; t=time.perf_counter(); sys.path.insert(0, {str(REPO)!r});"
        f"from classifier import RoutingModel; m=RoutingModel.load(__import__('pathlib').Path({str(model_dir)!r}));"
        "m.predict('测试'); print(time.perf_counter()-t); print(time.process_time());"
        "print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, cpu_seconds, rss_kb = out.stdout.split()
    return {
        "load_seconds": round(float(seconds), 3),
        "load_cpu_seconds": round(float(cpu_seconds), 3),
        "loaded_rss_mb": round(int(rss_kb) / 1024, 1),
    }


def percentiles(name: str, timings: list[float]) -> dict[str, float]:
    timings = sorted(timings)
    return {
        f"{name}_p50_ms": round(timings[len(timings) // 2], 2),
        f"{name}_p99_ms": round(timings[int(len(timings) * 0.99)], 2),
    }


def measure_latency(model: RoutingModel, rows: list[dict[str, str]]) -> dict[str, float]:
    """Wall-clock time per prediction, and the thread's CPU time, which other processes on a
    busy machine inflate far less (both in ms)."""
    rng = random.Random(1)
    texts = [text_of_length(rows, 300, rng) for _ in range(1000)]
    for text in texts[:50]:
        model.predict(text)
    wall, cpu = [], []
    for text in texts:
        started, started_cpu = time.perf_counter(), time.thread_time()
        model.predict(text)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return {
        **percentiles("predict_300_chars", wall),
        **percentiles("predict_300_chars_cpu", cpu),
    }


def augmented(rows: list[dict[str, str]], n: int, rng: random.Random) -> list[dict[str, str]]:
    """n rows: the corpus, then copies with two rows' clauses spliced (same labels)."""
    out = list(rows)
    while len(out) < n:
        row, other = rng.choice(rows), rng.choice(rows)
        clause = rng.choice(other["text"].split("，")) if "，" in other["text"] else ""
        if row["emergency"] or other["emergency"]:
            clause = ""
        out.append({**row, "text": f"{row['text']}，{clause}" if clause else row["text"] + "。"})
    return out[:n]


def measure_training(rows: list[dict[str, str]]) -> dict[str, float]:
    data = augmented(rows, 10_000, random.Random(2))
    started, started_cpu = time.perf_counter(), time.process_time()
    train_routing_model(data)
    return {
        "train_10000_seconds": round(time.perf_counter() - started, 1),
        "train_10000_cpu_seconds": round(time.process_time() - started_cpu, 1),
    }


def baselines() -> dict[str, Pipeline]:
    """The plain models issue 18 compares with: jieba word TF-IDF + LinearSVC, and the same
    with character 1–3-gram TF-IDF beside the words."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    def words() -> TfidfVectorizer:
        return TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None)

    return {
        "words": make_pipeline(words(), LinearSVC()),
        "words_chars": make_pipeline(
            make_union(words(), TfidfVectorizer(analyzer="char", ngram_range=(1, 3))),
            LinearSVC(),
        ),
    }


def public_benchmark(folder: Path) -> dict[str, object]:
    """Train on ``folder/train.csv`` only, report on ``folder/test.csv`` (columns ``text`` and
    one label column), beside the plain :func:`baselines` trained on the same rows.
    Throughput (ours against the word baseline) is measured twice for each, alternating, and
    the better run kept."""
    if not (folder / "train.csv").is_file() or not (folder / "test.csv").is_file():
        return {"public_benchmark": f"skipped: {folder}/train.csv and test.csv are absent"}
    from sklearn.metrics import f1_score

    from classifier.evaluation import evaluate

    train, test = read_rows(folder / "train.csv"), read_rows(folder / "test.csv")
    label = next(c for c in train[0] if c != "text")
    model = train_routing_model(train, label, with_mandates=False)
    report = evaluate(model, test, label)
    texts, truth = [row["text"] for row in test], [row[label] for row in test]
    results: dict[str, object] = {
        "public_label_column": label,
        "public_macro_f1": report["macro_f1"],
        "public_accuracy": report["accuracy"],
    }
    fitted = {}
    for name, baseline in baselines().items():
        fitted[name] = baseline.fit([row["text"] for row in train], [row[label] for row in train])
        f1 = f1_score(truth, baseline.predict(texts), average="macro")
        results[f"baseline_{name}_macro_f1"] = round(f1, 4)
    ours = theirs = 0.0
    for attempt in range(2):  # texts never seen before, so no tokenizer cache helps either side
        batch = [f"{attempt} {text}" for text in texts]
        started = time.perf_counter()
        model.predict_many(batch)
        ours = max(ours, len(texts) / (time.perf_counter() - started))
        started = time.perf_counter()
        fitted["words"].predict(batch)
        theirs = max(theirs, len(texts) / (time.perf_counter() - started))
    return {
        **results,
        "throughput_texts_per_s": round(ours, 1),
        "baseline_words_throughput_texts_per_s": round(theirs, 1),
        "throughput_ratio": round(ours / theirs, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument(
        "--public-data",
        type=Path,
        help="folder with train.csv and test.csv (default: <shared>/datasets/taidi2020c)",
    )
    args = parser.parse_args()
    rows = read_rows(CORPUS)
    results: dict[str, object] = {
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "model_size_mb": round((args.model / MODEL_FILE).stat().st_size / 1e6, 2),
        **measure_load(args.model),
    }
    model = RoutingModel.load(args.model)
    results.update(measure_latency(model, rows))
    if not args.skip_training:
        results.update(measure_training(rows))
    results.update(public_benchmark(args.public_data or args.shared / "datasets" / "taidi2020c"))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
