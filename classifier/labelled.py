"""Labelled CSV files (a ``text`` column and label columns), read without scikit-learn so the
command line starts fast."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

TEXT_COLUMN = "text"
DEFAULT_LABEL_COLUMN = "department"


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
    # Quoted fields may hold line breaks (public data keeps a message's paragraphs).
    reader = csv.DictReader(io.StringIO(text, newline=""))
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
