from __future__ import annotations

from datetime import datetime

import pytest

from hotline.events import Event, InvalidEventError


def test_json_round_trip_keeps_everything() -> None:
    event = Event("ticket.dispatched", {"ticket": "T-1", "部门": "住建局", "n": [1, 2.5, None]})
    decoded = Event.from_json(event.to_json().encode())
    assert decoded == event
    assert "住建局" in event.to_json()  # readable Chinese in the stream, not \\u escapes


def test_defaults_are_unique_ids_and_shanghai_time_to_the_second() -> None:
    first, second = Event("call.answered", {}), Event("call.answered", {})
    assert first.id != second.id
    occurred = datetime.fromisoformat(first.occurred_at)
    assert occurred.utcoffset() is not None and occurred.utcoffset().total_seconds() == 8 * 3600
    assert occurred.microsecond == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "", "payload": {}}, "type"),
        ({"type": "a b ", "payload": {}}, "type"),
        ({"type": "x.y", "payload": []}, "payload"),
        ({"type": "x.y", "payload": {"when": datetime(2025, 1, 1)}}, "serialisable"),
        ({"type": "x.y", "payload": {"v": float("nan")}}, "serialisable"),
        ({"type": "x.y", "payload": {}, "occurred_at": "yesterday"}, "serialisable"),
    ],
)
def test_bad_event_is_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidEventError, match=message):
        Event(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        '{"type": "x.y", "payload": {}}',
        b"\xff",
        '{"type": "x", "payload": 1, "id": "a", "occurred_at": "2025-01-01T00:00:00+08:00"}',
    ],
)
def test_bad_json_is_rejected(raw: str | bytes) -> None:
    with pytest.raises(InvalidEventError):
        Event.from_json(raw)
