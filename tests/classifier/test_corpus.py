"""The project's own corpus: written rows that follow the rules, balance, and a test split
written apart from the training rows."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from classifier.corpus import (
    COLUMNS,
    DATA_DIR,
    MIN_ROWS_PER_DEPARTMENT,
    MIN_TEST_ROWS_PER_DEPARTMENT,
    REGISTERS,
    TEST_COLUMNS,
    TEST_FILE,
    TRAIN_FILE,
    CorpusError,
    check_balance,
    read_test,
    read_written,
)
from classifier.reference import load_departments


def read(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def written() -> list[dict[str, str]]:
    return read_written()


def test_every_department_has_enough_rows(written: list[dict[str, str]]) -> None:
    counts = check_balance(written)
    assert set(counts) == {d.code for d in load_departments()}
    assert min(counts.values()) >= MIN_ROWS_PER_DEPARTMENT


def test_emergencies_and_near_misses_are_there(written: list[dict[str, str]]) -> None:
    lines = Counter(row["emergency"] for row in written if row["emergency"])
    assert set(lines) == {"110", "119", "120", "122"}
    assert min(lines.values()) >= 40
    # Near misses: not emergencies, but they name what triggers one (smoke, a knife, a crash).
    near = [
        row
        for row in written
        if not row["emergency"] and any(w in row["text"] for w in ("烟", "刀", "车祸", "着火"))
    ]
    assert len(near) >= 30


def test_every_register_is_present(written: list[dict[str, str]]) -> None:
    texts = [row["text"] for row in written]
    summaries = sum(t.startswith(("来电", "市民")) or "来电" in t[:8] for t in texts)
    spoken = sum(any(f in t for f in ("嗯", "那个", "就是说", "然后呢")) for t in texts)
    damaged = sum(t.count(" ") >= 4 and "，" not in t for t in texts)
    terse = sum(len(t) <= 12 for t in texts)
    assert min(summaries, spoken, damaged, terse) >= len(texts) * 0.05


@pytest.fixture(scope="module")
def written_test(written: list[dict[str, str]]) -> list[dict[str, str]]:
    return read_test(written)


def test_committed_files_are_what_the_module_produces(
    written: list[dict[str, str]], written_test: list[dict[str, str]]
) -> None:
    assert read(TRAIN_FILE) == written
    assert read(TEST_FILE) == written_test


def test_the_test_split_covers_every_department_and_register(
    written_test: list[dict[str, str]],
) -> None:
    departments = Counter(row["department"] for row in written_test)
    assert set(departments) == {d.code for d in load_departments()}
    assert min(departments.values()) >= MIN_TEST_ROWS_PER_DEPARTMENT
    assert {row["register"] for row in written_test} == REGISTERS
    lines = Counter(row["emergency"] for row in written_test if row["emergency"])
    assert set(lines) == {"110", "119", "120", "122"}


def test_a_test_text_that_is_also_a_training_text_is_refused(
    tmp_path: Path, written: list[dict[str, str]]
) -> None:
    copied = written[0]["text"].replace("，", " ， ")
    folder = tmp_path / "written_test"
    folder.mkdir()
    (folder / "XX.csv").write_text(
        ",".join(TEST_COLUMNS) + "\n" + f'"{copied}",CG,投诉,一般,,,,spoken\n', encoding="utf-8"
    )
    with pytest.raises(CorpusError, match="also a training text"):
        read_test(written, folder)


def write_file(directory: Path, rows: list[str]) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / "XX.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("小区路灯坏了,CG,抱怨,一般,,,", "type '抱怨'"),
        ("小区路灯坏了,XX,投诉,一般,,,", "unknown department 'XX'"),
        ("小区路灯坏了,CG,投诉,很急,,,", "urgency '很急'"),
        ("有人拿刀砍人,CG,求助,紧急,110,110,", "emergency '110' is not filed to CG"),
        ("有人拿刀砍人,GA,求助,一般,110,110,", "an emergency is 紧急"),
        ("家里停水了,GS,求助,一般,,,", "a GS row names utility none"),
        ("小区路灯坏了,CG,投诉,一般,,,95598", "a CG row names utility 95598"),
        ("小区路灯坏了,CG,投诉,一般", "expected 7 fields"),
        ('" ",CG,投诉,一般,,,', "empty text"),
        ("有人拿刀砍人,GA,求助,紧急,110,120 110,", "must start with the primary line 110"),
        ("有人拿刀砍人,GA,求助,紧急,110,110 110,", "each of 110, 119, 120, 122 at most once"),
        ("有人拿刀砍人,GA,求助,紧急,110,110 911,", "each of 110, 119, 120, 122 at most once"),
        ("小区路灯坏了,CG,投诉,一般,,110,", "must start with the primary line \\(none\\)"),
    ],
)
def test_a_broken_row_is_named_with_its_file_and_line(
    tmp_path: Path, row: str, message: str
) -> None:
    directory = write_file(tmp_path / "written", ["路灯不亮,CG,投诉,一般,,,", row])
    with pytest.raises(CorpusError, match=rf"XX\.csv:3: .*{message}"):
        read_written(directory)


def test_the_same_text_twice_is_refused_even_when_spaced_differently(tmp_path: Path) -> None:
    directory = write_file(
        tmp_path / "written", ["路灯不亮了,CG,投诉,一般,,,", "路灯 不亮 了,CG,投诉,一般,,,"]
    )
    with pytest.raises(CorpusError, match=r"XX\.csv:3: same text as XX\.csv:2"):
        read_written(directory)


def test_a_wrong_header_or_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no written corpus files"):
        read_written(tmp_path)
    (tmp_path / "bad.csv").write_text("text,label\n路灯,CG\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="header must be"):
        read_written(tmp_path)


def test_a_department_short_of_rows_is_named() -> None:
    rows = [{"department": "CG"}] * MIN_ROWS_PER_DEPARTMENT
    with pytest.raises(CorpusError, match="'GA': 0"):
        check_balance(rows)


def test_a_test_row_names_a_known_register(tmp_path: Path) -> None:
    folder = tmp_path / "written_test"
    folder.mkdir()
    (folder / "XX.csv").write_text(
        ",".join(TEST_COLUMNS) + "\n路灯不亮,CG,投诉,一般,,,,typed\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match=r"XX\.csv:2: register 'typed'"):
        read_written(folder, TEST_COLUMNS)
