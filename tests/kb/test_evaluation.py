"""The shipped evaluation set: its shape, and search meeting the goals on it (fixed data)."""

from __future__ import annotations

from typer.testing import CliRunner

from hotline.cli import app
from hotline.kb.evaluation import GOAL_CONFIDENT_WRONG, figures, load_cases, run, seed_index, split


def test_the_set_is_large_and_names_only_seed_entries() -> None:
    cases = load_cases()
    titles, _ = seed_index()
    assert len(cases) >= 150
    assert sum(not case.answers for case in cases) >= 50
    assert {case.style for case in cases} == {"prefix", "question", "synonym", "transcript"}
    assert all(answer in titles for case in cases for answer in case.answers)
    assert len({case.query for case in cases}) == len(cases)


def test_search_meets_the_goals_on_the_shipped_set() -> None:
    found = figures(run(load_cases()))
    assert found.confident_wrong <= GOAL_CONFIDENT_WRONG
    _, held_out = split(load_cases())  # nothing was chosen on this half
    assert figures(run(held_out)).confident_wrong <= GOAL_CONFIDENT_WRONG
    assert found.recall_at_3 >= 0.98 and found.mrr >= 0.95
    assert found.weak_right <= 0.3


def test_the_halves_split_both_kinds_of_query() -> None:
    dev, test = split(load_cases())
    for half in (dev, test):
        assert sum(not case.answers for case in half) >= 25
        assert sum(bool(case.answers) for case in half) >= 70


def test_the_command_prints_the_figures() -> None:
    result = CliRunner().invoke(app, ["kb", "evaluate"])
    assert result.exit_code == 0, result.output
    assert "recall@3" in result.output and "检验半（test）" in result.output
