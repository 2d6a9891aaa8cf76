"""The project's own training corpus: hand-written rows, checked, and one fixed 80/20 split.

Rows are written by people, one file per department plus ``emergency.csv`` (emergencies and
near misses), in ``classifier/data/written/``. Run ``python -m classifier.corpus`` to check them
and rewrite ``corpus_train.csv`` / ``corpus_test.csv``; a test holds the committed split equal
to what this module produces. A row that breaks a rule stops the build with its file and line.

The split is stratified by department and emergency line. Within a stratum the fifth of rows
with the smallest text hashes are the test split, so the split does not depend on file order,
and adding rows moves only the few existing rows at the boundary of their stratum.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from classifier.model import UTILITY_DEPARTMENT_LINES
from classifier.reference import load_departments, load_transfer_targets
from classifier.rules import CARRIER_LINES
from classifier.text import normalize

DATA_DIR = Path(__file__).resolve().parent / "data"
WRITTEN_DIR = DATA_DIR / "written"
TRAIN_FILE, TEST_FILE = "corpus_train.csv", "corpus_test.csv"
# ``emergency`` is the primary line; ``lines`` every line to alert, primary first, space-separated
# (a traffic accident with someone trapped: "122 120 119"); both empty when nobody is in danger.
COLUMNS = ("text", "department", "type", "urgency", "emergency", "lines", "utility")
EMERGENCY_LINES = ("110", "119", "120", "122")
TYPES = frozenset({"咨询", "求助", "投诉", "举报", "建议", "表扬"})
URGENCIES = frozenset({"紧急", "一般"})
# Who an emergency ticket is filed to once the caller has been put through to the line.
EMERGENCY_DEPARTMENTS = {"110": {"GA"}, "119": {"GA", "RQ"}, "120": {"WJ"}, "122": {"JJ"}}
# A telecom row names a carrier's line only when the caller names the carrier.
TELECOM_LINES = {"", *CARRIER_LINES.values()}
MIN_ROWS_PER_DEPARTMENT = 150
TEST_FRACTION = 0.2


class CorpusError(ValueError):
    """A written row breaks a rule; the message names the file and line."""


def _row_problem(row: dict[str, str], departments: set[str], utilities: set[str]) -> str | None:
    if not row["text"].strip():
        return "empty text"
    if row["department"] not in departments:
        return f"unknown department {row['department']!r}"
    if row["type"] not in TYPES:
        return f"type {row['type']!r} is not one of {sorted(TYPES)}"
    if row["urgency"] not in URGENCIES:
        return f"urgency {row['urgency']!r} is not one of {sorted(URGENCIES)}"
    emergency, utility = row["emergency"], row["utility"]
    lines = row["lines"].split()
    if lines and lines[0] != emergency:
        return f"lines {row['lines']!r} must start with the primary line {emergency or '(none)'}"
    if emergency and (len(set(lines)) != len(lines) or not set(lines) <= set(EMERGENCY_LINES)):
        return f"lines {row['lines']!r}: each of {', '.join(EMERGENCY_LINES)} at most once"
    if emergency:
        if row["department"] not in EMERGENCY_DEPARTMENTS.get(emergency, set()):
            return f"emergency {emergency!r} is not filed to {row['department']}"
        if row["urgency"] != "紧急" or utility:
            return "an emergency is 紧急 and names no utility line"
        return None
    if utility and utility not in utilities:
        return f"unknown utility line {utility!r}"
    expected = (
        TELECOM_LINES
        if row["department"] == "TX"
        else {UTILITY_DEPARTMENT_LINES.get(row["department"], "")}
    )
    if utility not in expected:
        return f"a {row['department']} row names utility {utility or 'none'}, expected {sorted(expected)}"
    return None


def read_written(directory: Path = WRITTEN_DIR) -> list[dict[str, str]]:
    """Every written row, checked; raises :class:`CorpusError` on the first broken one."""
    departments = {d.code for d in load_departments()}
    utilities = {t.code for t in load_transfer_targets() if t.kind == "utility"}
    paths = sorted(directory.glob("*.csv"))
    if not paths:
        raise CorpusError(f"{directory}: no written corpus files (*.csv)")
    rows: list[dict[str, str]] = []
    first_seen: dict[str, str] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise CorpusError(f"{path}: header must be {','.join(COLUMNS)}")
            for row in reader:
                where = f"{path.name}:{reader.line_num}"
                if None in row or any(value is None for value in row.values()):
                    raise CorpusError(f"{where}: expected {len(COLUMNS)} fields")
                row = {key: value.strip() for key, value in row.items()}
                problem = _row_problem(row, departments, utilities)
                if problem:
                    raise CorpusError(f"{where}: {problem}")
                key = normalize(row["text"])
                if key in first_seen:
                    raise CorpusError(f"{where}: same text as {first_seen[key]}")
                first_seen[key] = where
                rows.append(row)
    return rows


def check_balance(rows: Iterable[dict[str, str]]) -> Counter[str]:
    """Rows per department; every department needs :data:`MIN_ROWS_PER_DEPARTMENT`."""
    counts = Counter(row["department"] for row in rows)
    short = {
        code: counts[code]
        for code in sorted(d.code for d in load_departments())
        if counts[code] < MIN_ROWS_PER_DEPARTMENT
    }
    if short:
        raise CorpusError(f"departments under {MIN_ROWS_PER_DEPARTMENT} rows: {short}")
    return counts


def _text_hash(row: dict[str, str]) -> str:
    return hashlib.sha256(row["text"].encode("utf-8")).hexdigest()


def split_corpus(
    rows: list[dict[str, str]],
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(train, test): in each department × emergency-line stratum, the rows with the smallest
    text hashes — a fifth of them — are the test split."""
    strata: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        strata.setdefault((row["department"], row["emergency"]), []).append(row)
    test_texts: set[str] = set()
    for stratum in strata.values():
        n_test = round(len(stratum) * TEST_FRACTION)
        test_texts.update(row["text"] for row in sorted(stratum, key=_text_hash)[:n_test])
    train = [row for row in rows if row["text"] not in test_texts]
    test = [row for row in rows if row["text"] in test_texts]
    return train, test


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rows = read_written()
    counts = check_balance(rows)
    train, test = split_corpus(rows)
    write_csv(DATA_DIR / TRAIN_FILE, train)
    write_csv(DATA_DIR / TEST_FILE, test)
    emergencies = Counter(row["emergency"] for row in rows if row["emergency"])
    print(
        f"{len(rows)} rows ({min(counts.values())}–{max(counts.values())} per department, "
        f"emergencies {dict(sorted(emergencies.items()))}): "
        f"{len(train)} train, {len(test)} test -> {DATA_DIR}"
    )


if __name__ == "__main__":
    main()
