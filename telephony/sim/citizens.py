"""Citizens answering the simulator's revisit calls, and what ``[revisit]`` reports for them.

A citizen is a script: whether the phone is answered, and the keys pressed once it is.
:func:`dialplan_reports` walks the keys through the same menu logic as
deploy/asterisk/extensions-revisit.conf and returns the UserEvents Asterisk would send.
Tests script a citizen per phone number; otherwise one is drawn per (seed, phone, attempt),
so a seeded demo repeats itself and a retried attempt may go differently.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Answers = Literal["answer", "no_answer", "busy", "reject", "unreachable"]
MAX_TRIES = 3  # REVISIT_MAX_TRIES in the dialplan
SILENCE = "-"  # a Read() that timed out (or got only '#') in a script of keys


@dataclass(frozen=True, slots=True)
class Citizen:
    """``keys``: one character per key read (digits, ``*``; ``-`` for none in time). The
    citizen hangs up when the script runs out before the call ends."""

    answers: Answers = "answer"
    keys: str = ""


CITIZENS: dict[str, Citizen] = {
    "satisfied": Citizen(keys="11"),
    "dissatisfied": Citizen(keys="42"),
    "unsolved": Citizen(keys="32"),
    "repeats": Citizen(keys="*21"),  # asks to hear the summary again, then rates
    "operator": Citizen(keys="0"),
    "rates_then_operator": Citizen(keys="50"),
    "hangs_up": Citizen(keys=""),
    "hangs_up_after_rating": Citizen(keys="2"),
    "invalid": Citizen(keys="9-7"),
    "no_answer": Citizen("no_answer"),
    "busy": Citizen("busy"),
    "rejects": Citizen("reject"),
    "unreachable": Citizen("unreachable"),
}
# How often each citizen turns up in the demo.
DEMO_WEIGHTS: dict[str, float] = {
    "satisfied": 5,
    "dissatisfied": 1,
    "unsolved": 1,
    "repeats": 1,
    "operator": 1,
    "hangs_up": 1,
    "invalid": 0.5,
    "no_answer": 2,
    "busy": 1,
}
# An unanswered call: (OriginateResponse Reason, the channel's hang-up cause).
NOT_ANSWERED: dict[Answers, tuple[str, str]] = {
    "no_answer": ("3", "19"),
    "busy": ("5", "17"),
    "reject": ("1", "21"),
    "unreachable": ("8", "34"),
}
_MENUS = (("satisfaction", "12345"), ("solved", "12"))


def choose_citizen(
    phone: str, attempt: str, scripted: Mapping[str, str], seed: int | None
) -> Citizen:
    """The scripted citizen of ``phone`` if any, else one drawn for (seed, phone, attempt)."""
    if phone in scripted:
        return CITIZENS[scripted[phone]]
    draw = random.Random(f"{seed}:{phone}:{attempt}") if seed is not None else random.Random()
    names = list(DEMO_WEIGHTS)
    return CITIZENS[draw.choices(names, weights=[DEMO_WEIGHTS[n] for n in names])[0]]


def dialplan_reports(keys: str) -> list[dict[str, str]]:
    """The UserEvents of an answered call, in order (without Ticket and Attempt)."""
    reports = [{"UserEvent": "RevisitAnswered"}]
    pressed = iter(keys)
    satisfaction, wrong_keys = "", ""
    menu = 0
    while True:
        step, valid = _MENUS[menu]
        tries = 0
        while True:
            key = next(pressed, None)
            if key is None:  # the script ran out: the citizen hangs up
                return [*reports, _end(step, satisfaction)]
            key = "" if key in (SILENCE, "#") else key
            if key in ("0", "*") or (key and key in valid):
                break
            wrong_keys += key or SILENCE
            tries += 1
            if tries >= MAX_TRIES:
                invalid = {"UserEvent": "RevisitInvalid", "Step": step, "Keys": wrong_keys}
                invalid["Satisfaction"] = satisfaction
                return [*reports, invalid, _end("invalid", satisfaction)]
        if key == "*":
            continue  # the menu (with the summary, before the first) is played again
        if key == "0":
            operator = {"UserEvent": "RevisitOperator", "Satisfaction": satisfaction}
            return [*reports, operator, _end("operator", satisfaction)]
        if step == "satisfaction":
            satisfaction, menu = key, 1
            continue
        rated = {"UserEvent": "RevisitKeys", "Satisfaction": satisfaction, "Solved": key}
        return [*reports, rated, _end("done", satisfaction)]


def _end(step: str, satisfaction: str) -> dict[str, str]:
    """The ``h`` extension's report, sent whenever the channel hangs up."""
    return {"UserEvent": "RevisitEnd", "Step": step, "Satisfaction": satisfaction}
