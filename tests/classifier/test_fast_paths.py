"""The shortcuts in normalize, the emergency rules and place extraction give what the plain
steps give: NFKC, t2s, a regex search at every position."""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from pathlib import Path

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import places, rules, text
from classifier.corpus import read_written

# Characters that exercise the shortcuts: CJK with traditional and phrase-only ones, full-width
# and compatibility forms, combining marks and Hangul jamo, spaces of every kind, controls.
TRICKY = list(
    "我们小区楼道里全是烟火打坏了回覆樓煙這個啊嗯那个就是就是，。！？；：（）…、,.!? ~"
    "ＡＢＣ１２３①㎡．－﹝\uf900e\u0301\u0308\u1100\u1161\u11a8"
    " \u3000\xa0\u1680\u2009\t\n\r\x00\x85\u2028\u200b\ue000\U0010ffff😀"
)
SOME_TEXT = st.text(alphabet=st.sampled_from(TRICKY), max_size=40)


@pytest.fixture(scope="module")
def written_texts() -> list[str]:
    return [row["text"] for row in read_written()]


@settings(max_examples=500, deadline=None)
@given(SOME_TEXT)
def test_nfkc_shortcuts_give_nfkc(raw: str) -> None:
    assert text._nfkc(raw) == unicodedata.normalize("NFKC", raw)


def test_nfkc_shortcut_and_stable_characters_are_what_the_shortcuts_assume() -> None:
    for char, ascii_form in text._NFKC_SHORTCUTS:
        assert ascii_form.isascii() and unicodedata.normalize("NFKD", char) == ascii_form
    composed_from = {  # the second character of every canonical composition
        int(mapping.split()[1], 16)
        for code in range(0x110000)
        if (mapping := unicodedata.decomposition(chr(code))) and not mapping.startswith("<")
        if len(mapping.split()) == 2
    }
    stable = re.compile(f"[{text._NFKC_STABLE}]")
    for code in range(0x110000):
        if stable.match(chr(code)):
            assert unicodedata.normalize("NFKC", chr(code)) == chr(code)
            assert unicodedata.combining(chr(code)) == 0 and code not in composed_from


def test_line_breaks_and_controls_are_exactly_categories_cc_zl_zp() -> None:
    for code in range(0x110000):
        in_class = bool(text._CONTROLS_AND_BREAKS.match(chr(code)))
        assert in_class == (unicodedata.category(chr(code)) in {"Cc", "Zl", "Zp"}), hex(code)


def _t2s_entries() -> list[tuple[str, str]]:
    """Every (key, first value) of the dictionaries in OpenCC's t2s configuration, read with
    the opencc_dict tool that comes with the package."""
    clib = Path(opencc.__file__).parent / "clib"
    tool, share = clib / "bin" / "opencc_dict", clib / "share" / "opencc"
    if not tool.is_file():
        pytest.skip("this opencc build has no opencc_dict to read its dictionaries")
    files = re.findall(
        r'"file":\s*"([^"]+)"', json.dumps(json.loads((share / "t2s.json").read_text()))
    )
    assert files
    entries = []
    for name in files:
        out = subprocess.run(
            [tool, "-i", share / name, "-o", "/dev/stdout", "-f", "ocd2", "-t", "text"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        for line in out.splitlines():
            key, values = line.split("\t")
            entries.append((key, values.split(" ")[0]))
    return entries


def test_every_character_t2s_converts_on_its_own_counts_as_traditional() -> None:
    traditional = text._traditional()
    missed = [key for key, value in _t2s_entries() if len(key) == 1 and value != key]
    missed = [key for key in missed if not traditional.search(key)]
    assert not missed, missed[:20]


@settings(max_examples=500, deadline=None)
@given(SOME_TEXT)
def test_spaces_between_cjk_characters_are_dropped_and_only_those(raw: str) -> None:
    cleaned = text._strip_controls(raw)
    between_cjk = re.compile(rf"(?<=[{text._CJK}])\s+(?=[{text._CJK}])")
    assert text._SPACED_CJK_WORDS.sub(text._join_cjk_words, cleaned) == between_cjk.sub("", cleaned)


def test_every_emergency_trigger_has_anchors() -> None:
    assert not rules._EMERGENCY_INDEX._unanchored


def _matching_triggers(call: str) -> set[re.Pattern[str]]:
    clauses = [call, *re.split(r"[，,。.！!？?；;\n]", call)]
    return {p for _code, p in rules._COMPILED_EMERGENCY if any(p.search(c) for c in clauses)}


# The words and characters of the trigger patterns, so that random calls often match them.
TRIGGER_PIECES = sorted(
    {
        piece
        for patterns in rules.EMERGENCY_TRIGGERS.values()
        for pattern in patterns
        for word in re.findall(r"[\u4e00-\u9fff]+", pattern)
        for piece in (word, *word)
    }
    | {"现在", "上周", "没有", "，", "。", " ", "x"}
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(TRIGGER_PIECES), max_size=30).map("".join))
def test_live_triggers_include_every_trigger_that_matches(call: str) -> None:
    live = {pattern for _code, pattern in rules._live_triggers(call)}
    assert _matching_triggers(call) <= live


def test_live_triggers_include_every_trigger_that_matches_in_the_corpus(
    written_texts: list[str],
) -> None:
    for call in written_texts:
        normalized = text.normalize(call)
        live = {pattern for _code, pattern in rules._live_triggers(normalized)}
        assert _matching_triggers(normalized) <= live, normalized


PLACE_PIECES = list(
    "红旗区卫辉县市平原示范新高经开乡胜利人民路大道街巷胡同小区花园家园新村公寓名苑城湾村我们住在的 ,3"
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PLACE_PIECES), max_size=40).map("".join))
def test_place_name_search_finds_what_finditer_finds(call: str) -> None:
    for pattern, suffix in (
        (places._STREET, places._STREET_SUFFIXES),
        (places._ESTATE, places._ESTATE_SUFFIXES),
    ):
        found = [(m.span(), m.groups()) for m in places._matches(pattern, suffix, call)]
        assert found == [(m.span(), m.groups()) for m in pattern.finditer(call)]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PLACE_PIECES), max_size=40).map("".join))
def test_find_division_is_the_earliest_name_longest_first(call: str) -> None:
    matches = [m for p in places._gazetteer().patterns if (m := p.search(call))]
    first = min(matches, key=lambda m: m.start(), default=None)  # min keeps the longest on ties
    expected = (places._gazetteer().codes[first.group()], first.group()) if first else (None, None)
    assert places.find_division(call) == expected
