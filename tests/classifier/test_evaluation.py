"""The emergency figures: alarm recall first, primary line, linked lines, false alarms, per register."""

from __future__ import annotations

from pathlib import Path

from classifier.evaluation import emergency_figures
from classifier.model import Suggestion
from classifier.training import write_model_card


def suggested(*lines: str) -> Suggestion:
    return Suggestion(
        department="GA",
        top3=[("GA", 0.9)],
        type="求助",
        urgency="紧急" if lines else "一般",
        emergency=lines[0] if lines else None,
        utility=None,
        division=None,
        place=None,
        uncertain=False,
        reason=None,
        emergency_lines=list(lines),
    )


def row(lines: str, register: str = "") -> dict[str, str]:
    return {"emergency": lines.split()[0] if lines else "", "lines": lines, "register": register}


def test_the_four_figures_count_what_they_say() -> None:
    rows = [row("122 120 119"), row("119 120"), row("110"), row(""), row("")]
    suggestions = [
        suggested("122", "120"),  # right line, one of two linked lines
        suggested("120", "119"),  # the wrong primary line, but its linked 120 is alerted
        suggested(),  # missed: no alarm at all
        suggested("119"),  # a false alarm
        suggested(),
    ]
    figures = emergency_figures(rows, suggestions)
    assert next(iter(figures)) == "emergency_alarm_recall"
    assert figures["emergency_alarm_recall"] == round(2 / 3, 4)
    assert figures["emergency_primary_accuracy"] == round(1 / 3, 4)
    assert figures["emergency_linked_recall"] == round(2 / 3, 4)  # 120 and 120 of 120, 119, 120
    assert figures["emergency_false_alarm_rate"] == 0.5
    assert (figures["emergencies"], figures["linked_lines"], figures["calm"]) == (3, 3, 2)
    assert "emergency_by_register" not in figures


def test_rows_with_a_register_are_also_scored_per_register() -> None:
    rows = [row("119", "clean"), row("119", "asr"), row("", "asr")]
    figures = emergency_figures(rows, [suggested("119"), suggested(), suggested()])
    by_register = figures["emergency_by_register"]
    assert set(by_register) == {"asr", "clean"}
    assert by_register["clean"]["emergency_alarm_recall"] == 1.0
    assert by_register["asr"]["emergency_alarm_recall"] == 0.0
    assert by_register["asr"]["emergency_false_alarm_rate"] == 0.0
    # Nothing to count is left out, not reported as a perfect or a zero score.
    assert "emergency_false_alarm_rate" not in by_register["clean"]
    assert "emergency_linked_recall" not in figures


def test_the_model_card_tables_the_emergency_figures_per_register(tmp_path: Path) -> None:
    card = {
        "created": "2026-12-08T00:00:00+00:00",
        "label_column": "department",
        "outputs": ["department", "emergency"],
        "threshold": 0.4,
        "training_data": {"source": "train.csv", "rows": 10, "skipped_rows": 0, "sha256": "0"},
        "features": 100,
        "training_seconds": 1.0,
        "size_bytes": 1_000_000,
        "libraries": {},
        "augmentation": None,
        "command": "python -m classifier train train.csv --out model --eval-data test.csv",
        "evaluation": {
            "source": "test.csv",
            "sha256": "1",
            "n": 3,
            **emergency_figures(
                [row("119", "clean"), row("119", "asr"), row("", "asr")],
                [suggested("119"), suggested(), suggested()],
            ),
        },
    }
    write_model_card(card, tmp_path)
    text = (tmp_path / "model_card.md").read_text(encoding="utf-8")
    assert "| emergency_alarm_recall | 0.5 |" in text
    assert "| asr | 0.0 | 0.0 | 0.0 | 1 | 0 | 1 |" in text
    assert "| clean | 1.0 | 1.0 | — | 1 | 0 | 0 |" in text  # no calm clean row: no rate
