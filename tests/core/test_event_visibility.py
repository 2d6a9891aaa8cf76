"""Who hears which live event: what callers say, and the centre's calls, stay with the centre."""

from __future__ import annotations

import pytest

from hotline.app import event_visible_to
from hotline.deps import Principal
from hotline.events import Event
from hotline.workflow import Actor, Role

EVENTS = {
    "ringing": Event("call.ringing", {"caller": "138****5678", "call_id": 1}),
    "answered at 8001": Event(
        "call.answered", {"caller": "138****5678", "call_id": 2, "answered_by": "8001"}
    ),
    "ended at 8002": Event(
        "call.ended", {"caller": "139****0001", "call_id": 3, "answered_by": "8002"}
    ),
    "transcript": Event("transcript.final", {"uuid": "u", "text": "我家楼下的工地每晚施工"}),
    "suggestion": Event("classification.suggested", {"uuid": "u", "suggestion": {}}),
    "hot topic": Event("hotspot.alert", {"place": "牧野区某小区", "ticket_count": 9}),
    "ZJ dispatch": Event("ticket.dispatched", {"ticket_id": 1, "department": "ZJ"}),
    "CG dispatch": Event("ticket.dispatched", {"ticket_id": 2, "department": "CG"}),
    "CG dispatch, ZJ co-handles": Event(
        "ticket.dispatched", {"ticket_id": 3, "department": "CG", "co_handlers": ["HB", "ZJ"]}
    ),
    "rectification": Event("ticket.rectification_opened", {"ticket_id": 1, "due": "…"}),
}


def who(role: Role, department: str | None = None, extension: str | None = None) -> Principal:
    return Principal(1, Actor("someone", role, department), "someone", extension)


CALLS = {"ringing", "answered at 8001", "ended at 8002"}


@pytest.mark.parametrize(
    ("viewer", "hears"),
    [
        # An operator's screen pops only the calls their own softphone answered.
        (who(Role.OPERATOR, extension="8001"), set(EVENTS) - CALLS | {"answered at 8001"}),
        (who(Role.OPERATOR, extension="8002"), set(EVENTS) - CALLS | {"ended at 8002"}),
        (who(Role.OPERATOR), set(EVENTS) - CALLS),
        (who(Role.DISPATCHER), set(EVENTS)),
        (who(Role.SUPERVISOR), set(EVENTS)),
        (who(Role.ADMIN), set(EVENTS)),
        (
            who(Role.DEPARTMENT, "ZJ"),
            {"ZJ dispatch", "CG dispatch, ZJ co-handles", "rectification"},
        ),
        (who(Role.MONITOR), set()),
    ],
    ids=[
        "operator 8001",
        "operator 8002",
        "operator without softphone",
        "dispatcher",
        "supervisor",
        "admin",
        "department",
        "monitor",
    ],
)
def test_the_live_stream_tells_each_viewer_what_is_theirs(
    viewer: Principal, hears: set[str]
) -> None:
    assert {name for name, event in EVENTS.items() if event_visible_to(viewer, event)} == hears
