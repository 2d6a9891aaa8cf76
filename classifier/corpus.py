"""The project's own corpus: hand-written rows, checked; training and test written apart.

Rows are written by people, one file per department plus ``emergency.csv`` (emergencies and
near misses). ``classifier/data/written/`` is the training corpus; ``written_test/`` is the test
split, written separately by other writers who never saw the training rows nor ran the model, and
never used for a choice (issue 18). Its rows also carry a ``register``: ``clean`` (an operator's
summary or a typed message), ``spoken`` (the caller's own words) or ``asr`` (recogniser-style).
Run ``python -m classifier.corpus`` to check both and rewrite ``corpus_train.csv`` /
``corpus_test.csv``; a test holds the committed files equal to what this module produces. A row
that breaks a rule, or a test text that is also a training text, stops the build with its file
and line.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from classifier.model import UTILITY_DEPARTMENT_LINES
from classifier.reference import load_departments, load_transfer_targets
from classifier.rules import CARRIER_LINES
from classifier.text import normalize

DATA_DIR = Path(__file__).resolve().parent / "data"
WRITTEN_DIR = DATA_DIR / "written"
WRITTEN_TEST_DIR = DATA_DIR / "written_test"
TRAIN_FILE, TEST_FILE = "corpus_train.csv", "corpus_test.csv"
# ``emergency`` is the primary line; ``lines`` every line to alert, primary first, space-separated
# (a traffic accident with someone trapped: "122 120 119"); both empty when nobody is in danger.
COLUMNS = ("text", "department", "type", "urgency", "emergency", "lines", "utility")
EMERGENCY_LINES = ("110", "119", "120", "122")
TEST_COLUMNS = (*COLUMNS, "register")
REGISTERS = frozenset({"clean", "spoken", "asr"})
TYPES = frozenset({"咨询", "求助", "投诉", "举报", "建议", "表扬"})
URGENCIES = frozenset({"紧急", "一般"})
# Who an emergency ticket is filed to once the caller has been put through to the line.
EMERGENCY_DEPARTMENTS = {"110": {"GA"}, "119": {"GA", "RQ"}, "120": {"WJ"}, "122": {"JJ"}}
# A telecom row names a carrier's line only when the caller names the carrier.
TELECOM_LINES = {"", *CARRIER_LINES.values()}
MIN_ROWS_PER_DEPARTMENT = 300
MIN_TEST_ROWS_PER_DEPARTMENT = 25


class CorpusError(ValueError):
    """A written row breaks a rule; the message names the file and line."""


def _row_problem(row: dict[str, str], departments: set[str], utilities: set[str]) -> str | None:
    if not row["text"].strip():
        return "empty text"
    if "register" in row and row["register"] not in REGISTERS:
        return f"register {row['register']!r} is not one of {sorted(REGISTERS)}"
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


def _text_key(text: str) -> str:
    """The text as the model reads it, without any spacing: two rows with one key are one."""
    return "".join(normalize(text).split())


def read_written(
    directory: Path = WRITTEN_DIR, columns: tuple[str, ...] = COLUMNS
) -> list[dict[str, str]]:
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
            if tuple(reader.fieldnames or ()) != columns:
                raise CorpusError(f"{path}: header must be {','.join(columns)}")
            for row in reader:
                where = f"{path.name}:{reader.line_num}"
                if None in row or any(value is None for value in row.values()):
                    raise CorpusError(f"{where}: expected {len(columns)} fields")
                row = {key: value.strip() for key, value in row.items()}
                problem = _row_problem(row, departments, utilities)
                if problem:
                    raise CorpusError(f"{where}: {problem}")
                key = _text_key(row["text"])
                if key in first_seen:
                    raise CorpusError(f"{where}: same text as {first_seen[key]}")
                first_seen[key] = where
                rows.append(row)
    return rows


def check_balance(
    rows: Iterable[dict[str, str]], minimum: int = MIN_ROWS_PER_DEPARTMENT
) -> Counter[str]:
    """Rows per department; every department needs ``minimum``."""
    counts = Counter(row["department"] for row in rows)
    short = {
        code: counts[code]
        for code in sorted(d.code for d in load_departments())
        if counts[code] < minimum
    }
    if short:
        raise CorpusError(f"departments under {minimum} rows: {short}")
    return counts


def read_test(
    train: list[dict[str, str]], directory: Path = WRITTEN_TEST_DIR
) -> list[dict[str, str]]:
    """The separately written test rows, checked; none may repeat a training text."""
    test = read_written(directory, TEST_COLUMNS)
    trained = {_text_key(row["text"]) for row in train}
    for row in test:
        if _text_key(row["text"]) in trained:
            raise CorpusError(f"{directory}: a test text is also a training text: {row['text']}")
    check_balance(test, MIN_TEST_ROWS_PER_DEPARTMENT)
    return test


def write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    train = read_written()
    counts = check_balance(train)
    test = read_test(train)
    write_csv(DATA_DIR / TRAIN_FILE, train)
    write_csv(DATA_DIR / TEST_FILE, test, TEST_COLUMNS)
    emergencies = Counter(row["emergency"] for row in train if row["emergency"])
    registers = Counter(row["register"] for row in test)
    print(
        f"train: {len(train)} rows ({min(counts.values())}–{max(counts.values())} per "
        f"department, emergencies {dict(sorted(emergencies.items()))}); "
        f"test: {len(test)} rows {dict(sorted(registers.items()))} -> {DATA_DIR}"
    )


if __name__ == "__main__":
    main()
