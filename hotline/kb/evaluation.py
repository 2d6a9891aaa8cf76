"""How well search answers, measured on the shipped evaluation set (``data/evaluation.csv``).

Each case is a query as an operator types it, a caller asks it or a recogniser writes it, with
the seed entries (by title) that answer it, or none. The figures: recall@3 and MRR on the
answerable queries; the share of no-answer queries given a strong hit (a confident wrong
answer, goal ≤ 5 %); the share of answerable queries whose right entry, found in the top 3, is
marked weak. The strong-coverage threshold is chosen on the dev half (even rows of each kind)
and reported on the other half and on all.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources

from hotline.kb.entries import EntryContent
from hotline.kb.search import (
    SHIPPED,
    Confidence,
    Hit,
    Snapshot,
    build_snapshot,
    entry_counts,
    field_texts,
)
from hotline.kb.seed import seed_entries

GOAL_CONFIDENT_WRONG = 0.05
TOP = 3
LIMIT = 10
COVERAGE_GRID = tuple(round(0.4 + 0.05 * n, 2) for n in range(11))  # 0.40 … 0.90
CREDIT_GRID = (0.25, 0.5, 0.75, 1.0)
UNKNOWN_GRID = (0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Case:
    query: str
    style: str  # prefix | question | synonym | transcript
    answers: frozenset[str]  # titles of the seed entries that answer it; empty: none does


@dataclass(frozen=True)
class Result:
    case: Case
    titles: tuple[str, ...]
    hits: list[Hit]

    def right_rank(self) -> int | None:
        """0-based rank of the first entry that answers, if any is listed."""
        return next((n for n, t in enumerate(self.titles) if t in self.case.answers), None)


@dataclass(frozen=True)
class Figures:
    answerable: int
    unanswerable: int
    recall_at_3: float
    mrr: float
    confident_wrong: float  # no-answer queries with a strong hit
    weak_right: float  # answerable queries with the right entry in the top 3 but weak there

    def lines(self) -> list[str]:
        return [
            f"可答查询 {self.answerable} 条：recall@{TOP} {self.recall_at_3:.3f}，MRR {self.mrr:.3f}，"
            f"正确条目被标为弱匹配 {self.weak_right:.1%}",
            f"无答案查询 {self.unanswerable} 条：给出强匹配（自信的错误答案）{self.confident_wrong:.1%}",
        ]


def load_cases() -> list[Case]:
    text = (resources.files("hotline.kb") / "data" / "evaluation.csv").read_text(encoding="utf-8")
    return [
        Case(row["query"], row["style"], frozenset(filter(None, row["answers"].split("|"))))
        for row in csv.DictReader(text.splitlines())
    ]


def split(cases: Sequence[Case]) -> tuple[list[Case], list[Case]]:
    """Dev and test halves: alternate rows of the answerable and the no-answer cases."""
    halves: tuple[list[Case], list[Case]] = ([], [])
    for group in ([c for c in cases if c.answers], [c for c in cases if not c.answers]):
        for n, case in enumerate(group):
            halves[n % 2].append(case)
    return halves


def seed_index() -> tuple[list[str], Snapshot]:
    """The demo knowledge base's index (entry id = position), with the entries' titles."""
    entries = [EntryContent(**row) for row in seed_entries()]
    fields = [field_texts(entry) for entry in entries]
    counts = entry_counts(fields, {})
    rows = [(n, date.min, None, counts[f]) for n, f in enumerate(fields)]
    return [entry.title for entry in entries], build_snapshot(0, rows)


def run(cases: Sequence[Case], confidence: Confidence = SHIPPED) -> list[Result]:
    titles, snapshot = seed_index()
    today = date.today()
    results = []
    for case in cases:
        hits = snapshot.search(case.query, today, LIMIT, confidence)
        results.append(Result(case, tuple(titles[h.entry_id] for h in hits), hits))
    return results


def figures(results: Sequence[Result]) -> Figures:
    answerable = [r for r in results if r.case.answers]
    unanswerable = [r for r in results if not r.case.answers]
    ranks = [r.right_rank() for r in answerable]
    in_top = [
        (r, rank)
        for r, rank in zip(answerable, ranks, strict=True)
        if rank is not None and rank < TOP
    ]
    return Figures(
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        recall_at_3=len(in_top) / len(answerable),
        mrr=sum(1 / (rank + 1) for rank in ranks if rank is not None) / len(answerable),
        confident_wrong=sum(any(hit.strong for hit in r.hits) for r in unanswerable)
        / len(unanswerable),
        weak_right=sum(not r.hits[rank].strong for r, rank in in_top) / len(answerable),
    )


def choose(cases: Sequence[Case]) -> tuple[Confidence, Figures]:
    """The rule that leaves the fewest right answers weak while confident wrong answers stay
    within the goal (the stricter rule when several tie), with its figures on ``cases``."""
    candidates = []
    for strong_coverage, mention_credit, unknown_share in itertools.product(
        COVERAGE_GRID, CREDIT_GRID, UNKNOWN_GRID
    ):
        rule = Confidence(strong_coverage, mention_credit, unknown_share)
        found = figures(run(cases, rule))
        if found.confident_wrong <= GOAL_CONFIDENT_WRONG:
            candidates.append((found.weak_right, -strong_coverage, rule, found))
    if not candidates:
        raise ValueError("没有满足目标的阈值")
    _, _, rule, found = min(candidates, key=lambda c: c[:2])
    return rule, found
