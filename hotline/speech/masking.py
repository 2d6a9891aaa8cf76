"""Numbers callers say, masked in transcripts for the roles that see citizens' numbers masked
elsewhere (``tickets.service.SEES_PHONE`` decides, as for tickets and calls)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from hotline.events import Event
from hotline.tickets.service import SEES_PHONE
from hotline.workflow import Actor

# ASCII, full-width and spoken Chinese digits (幺 is 1 read out in a number).
_DIGIT = "0-9０-９零〇一二三四五六七八九幺"
# A phone or ID number: seven digits or more, as recognised, perhaps spaced or hyphenated
# (Vosk's raw text puts a space between Chinese words); an ID number may end in X.
NUMBER_LIKE = re.compile(rf"[{_DIGIT}](?:[\s\-－]*[{_DIGIT}]){{6,}}(?:[\s\-－]*[Xx])?")
TICKET_NUMBER = re.compile(r"\d{8}-\d{6}")
_DIGIT_CHAR = re.compile(rf"[{_DIGIT}Xx]")
# The transcript fields that carry what was said.
SPOKEN_FIELDS = ("text", "raw_text", "partial")


def mask_numbers(text: str) -> str:
    """Each phone- or ID-like run keeps its last 4 digits (and its first 3 when it is a mobile
    or an ID number, as ``mask_phone`` shows them); the others become ``*``, spacing kept."""
    return NUMBER_LIKE.sub(_mask_run, text)


def _mask_run(match: re.Match[str]) -> str:
    run = match.group()
    if TICKET_NUMBER.fullmatch(run):  # the centre's own numbers say nothing of the caller
        return run
    digits = len(_DIGIT_CHAR.findall(run))
    shown_first = 3 if digits >= 11 else 0
    position = 0
    masked = []
    for char in run:
        if _DIGIT_CHAR.fullmatch(char):
            keep = position < shown_first or position >= digits - 4
            masked.append(char if keep else "*")
            position += 1
        else:
            masked.append(char)
    return "".join(masked)


def sees_spoken_numbers(actor: Actor) -> bool:
    return actor.role in SEES_PHONE


def transcript_for(actor: Actor, transcript: dict[str, Any]) -> dict[str, Any]:
    """A transcript (``speech.service.transcript``) as ``actor`` may read it."""
    if sees_spoken_numbers(actor):
        return transcript
    return {
        **_masked_fields(transcript),
        "segments": [_masked_fields(segment) for segment in transcript["segments"]],
    }


def event_for(actor: Actor, event: Event) -> Event:
    """A live event as ``actor`` may hear it: ``transcript.*`` text masked as in the API."""
    if not event.type.startswith("transcript.") or sees_spoken_numbers(actor):
        return event
    return replace(event, payload=_masked_fields(event.payload))


def _masked_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {
        key: mask_numbers(value) if key in SPOKEN_FIELDS and isinstance(value, str) else value
        for key, value in record.items()
    }
