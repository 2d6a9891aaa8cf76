"""The reference tables the model is trained on: departments, divisions, transfer targets.

They are a snapshot of /work/shared/data kept in ``classifier/data/reference``.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "data" / "reference"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    kind: str  # "department" or "utility"
    scope: str  # the mandate: space-separated matters the department owns


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    aliases: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class TransferTarget:
    code: str
    number: str
    name: str
    kind: str  # "emergency" or "utility"
    when: str


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def load_departments(directory: Path = REFERENCE_DIR) -> tuple[Department, ...]:
    return tuple(
        Department(r["code"], r["name"], r["kind"], r["scope"])
        for r in _rows(directory / "departments.csv")
    )


@functools.cache
def load_divisions(directory: Path = REFERENCE_DIR) -> tuple[Division, ...]:
    return tuple(
        Division(r["code"], r["name"], tuple(a for a in r["aliases"].split("|") if a), r["kind"])
        for r in _rows(directory / "divisions.csv")
    )


@functools.cache
def load_transfer_targets(directory: Path = REFERENCE_DIR) -> tuple[TransferTarget, ...]:
    return tuple(
        TransferTarget(r["code"], r["number"], r["name"], r["kind"], r["when"])
        for r in _rows(directory / "transfer_targets.csv")
    )
