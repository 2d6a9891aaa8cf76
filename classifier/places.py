"""Division (district / county / zone) and street or 小区 extraction from normalised text.

The gazetteer is built from ``reference/divisions.csv``: each division's full name and aliases.
Streets and estates are not in any table, so they are recognised by their suffix (路、大道、
小区、花园、家园 …) and trimmed of the words a caller puts before them ("我们", "住在").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from classifier.reference import REFERENCE_DIR, load_divisions

_CJK = "\u4e00-\u9fff"
# An alias directly followed by one of these is a road or place name, not the division
# ("牧野大道", "红旗路" are streets that exist in several districts).
_ALIAS_NOT_DIVISION = "路街道渠大桥村"
_ESTATE_SUFFIX = "小区|花园|家园|新村|公寓|家属院|大院|社区|名苑|名邸|苑|花城|城|湾|村"
_STREET_SUFFIX = "大道|大街|路|街|巷|胡同"
# A street or estate name is at most this many characters, right before its suffix.
_MAX_NAME_CHARS = 6
_NAME = rf"([{_CJK}]{{1,{_MAX_NAME_CHARS}}}?)"
_ESTATE = re.compile(rf"{_NAME}({_ESTATE_SUFFIX})(?![{_CJK}]*?(?:{_ESTATE_SUFFIX}))")
_STREET = re.compile(rf"{_NAME}({_STREET_SUFFIX})")
_ESTATE_SUFFIXES = re.compile(_ESTATE_SUFFIX)
_STREET_SUFFIXES = re.compile(_STREET_SUFFIX)
_WHOLE_SUFFIX = re.compile(rf"(?:{_STREET_SUFFIX}|{_ESTATE_SUFFIX})")
# Words that end the run of characters before a place name: whatever precedes them is not
# part of the name.
_BOUNDARY = re.compile(
    r".*(?:我们|我家|俺们|住在|住的|就在|位于|这边|那边|旁边|附近|对面|门口|那个|这个|"
    r"市民|来电|反映|居民|来电人|请问|的|在|是|到|了|从|区|市|县)"
)
_NOT_A_NAME = {
    "马", "道", "公", "走", "一", "半", "线", "电", "水", "小", "大", "老", "新", "城", "铁",
    "上", "下", "过", "出", "进", "回", "网", "思", "门", "路", "同", "高速公",
}  # fmt: skip


@dataclass(frozen=True)
class PlaceMatch:
    division: str | None  # division code, e.g. "HQ"
    division_text: str | None  # the words that named it
    place: str | None  # street and/or estate, e.g. "胜利路 金桂园小区"


@dataclass(frozen=True)
class _Gazetteer:
    patterns: tuple[re.Pattern[str], ...]  # each name or alias, longest first
    any_name: re.Pattern[str]  # all of them, in that order: the first match is find_division's
    codes: dict[str, str]  # the division code of each name or alias


@functools.cache
def _gazetteer() -> _Gazetteer:
    names: list[tuple[str, str, bool]] = []
    for division in load_divisions(REFERENCE_DIR):
        names.append((division.name, division.code, False))
        names.extend((alias, division.code, True) for alias in division.aliases)
    names.sort(key=lambda item: -len(item[0]))  # longest first: 平原示范区 before 平原
    codes: dict[str, str] = {}
    for name, code, _is_alias in names:
        if codes.setdefault(name, code) != code:
            raise ValueError(f"{name!r} names two divisions in {REFERENCE_DIR}")
    patterns = tuple(
        re.escape(name) + (f"(?![{_ALIAS_NOT_DIVISION}])" if is_alias else "")
        for name, _code, is_alias in names
    )
    return _Gazetteer(tuple(map(re.compile, patterns)), re.compile("|".join(patterns)), codes)


def is_place_suffix(word: str) -> bool:
    """Whether ``word`` is a street's or an estate's suffix on its own (路, 大街, 小区, 花园…)."""
    return _WHOLE_SUFFIX.fullmatch(word) is not None


def find_division(text: str) -> tuple[str | None, str | None]:
    """The first division named in ``text``: (code, matched words), or (None, None)."""
    match = _gazetteer().any_name.search(text)
    return (_gazetteer().codes[match.group()], match.group()) if match else (None, None)


def _trim(candidate: str) -> str:
    return _BOUNDARY.sub("", candidate)


def _matches(
    pattern: re.Pattern[str], suffix: re.Pattern[str], text: str
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a name of at most _MAX_NAME_CHARS before a ``suffix``:
    no match starts further than that before the next suffix, so each search starts there
    rather than trying the name at every position on the way."""
    position = 0
    while next_suffix := suffix.search(text, position + 1):
        match = pattern.search(text, max(position, next_suffix.start() - _MAX_NAME_CHARS))
        if match is None:
            return
        yield match
        position = match.end()


def _named(pattern: re.Pattern[str], suffix: re.Pattern[str], text: str) -> str | None:
    for match in _matches(pattern, suffix, text):
        name = _trim(match.group(1))
        if name and name not in _NOT_A_NAME and not (len(name) == 1 and match.group(2) == "路"):
            return name + match.group(2)
    return None


def _without_divisions(text: str) -> str:
    for pattern in _gazetteer().patterns:
        text = pattern.sub("，", text)
    return text


def extract_places(normalized: str) -> PlaceMatch:
    """Division code plus the street and/or 小区 named in already-normalised text."""
    code, words = find_division(normalized)
    remainder = _without_divisions(normalized) if code else normalized  # None named: no change
    street = _named(_STREET, _STREET_SUFFIXES, remainder)
    estate = _named(
        _ESTATE, _ESTATE_SUFFIXES, remainder.replace(street, "，") if street else remainder
    )
    parts = [p for p in (street, estate) if p]
    return PlaceMatch(code, words, " ".join(parts) if parts else None)
