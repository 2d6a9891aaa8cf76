"""Text normalisation and jieba tokenisation shared by the classifier and knowledge-base search.

Both functions are pure and thread-safe. Words are jieba's (precise mode, no HMM), cut by
``classifier.segment`` from a private ``jieba.Tokenizer``'s dictionary with the domain words
added, built once (under a lock) on first use, so importing this module is cheap and callers
never touch jieba's global default instance.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import re
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import opencc

from classifier.reference import REFERENCE_DIR, load_departments, load_divisions
from classifier.segment import SegmentDictionary, segment

USER_DICT = Path(__file__).resolve().parent / "data" / "userdict.txt"
STOP_WORDS = Path(__file__).resolve().parent / "data" / "stopwords.txt"


def _import_jieba() -> ModuleType:
    """Import jieba without letting it import the deprecated ``pkg_resources`` (most of its
    import time), which it uses only to open its own files: without it, jieba opens them by
    path. Nothing else is affected: the block is lifted right after."""
    if "pkg_resources" in sys.modules:
        return importlib.import_module("jieba")
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes its import fail
    try:
        return importlib.import_module("jieba")
    finally:
        del sys.modules["pkg_resources"]


jieba = _import_jieba()


def cache_dir() -> Path:
    """A writable directory for jieba's prefix-dictionary cache: ``$HOTLINE_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/hotline`` (``~/.cache/hotline``), else the system temp dir."""
    configured = os.environ.get("HOTLINE_CACHE_DIR")
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    for candidate in (configured, str(Path(xdg) / "hotline")):
        if not candidate:
            continue
        try:
            Path(candidate).mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return Path(candidate)
    return Path(tempfile.gettempdir())


# Scope texts and user-dictionary words get this frequency so jieba keeps them whole.
_DOMAIN_WORD_FREQ = 3000

_T2S = opencc.OpenCC("t2s")

# Characters that NFKC turns into ASCII, common in pasted and typed text: the ideographic and
# no-break spaces and full-width punctuation. Their NFKD is that same ASCII, so replacing them
# first leaves NFKC's result unchanged (ASCII has combining class 0: nothing reorders around
# it), and the text is then often NFKC already, which ``unicodedata.normalize`` sees in a quick
# check instead of decomposing and recomposing every character.
_NFKC_SHORTCUTS = tuple(
    (char, unicodedata.normalize("NFKC", char)) for char in "\u3000\xa0，：？！；（）…"
)
# Printable ASCII and CJK ideographs: NFKC leaves them as they are and never combines them with
# what comes before, so a text can be normalised stretch by stretch between them. A stretch is
# a run of other characters with the character before it, which they may combine with.
_NFKC_STABLE = "\x20-\x7e\u3400-\u4dbf\u4e00-\u9fff"
_NFKC_UNSTABLE = re.compile(rf".?[^{_NFKC_STABLE}]+", re.DOTALL)
# HTML tags and character entities from pasted web forms.
_HTML_TAG = re.compile(r"<[^<>]{0,200}>")
_HTML_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{1,6});")
# Control characters and line and paragraph separators (categories Cc, Zl and Zp) become
# spaces; format, surrogate, private-use and unassigned characters are dropped.
_CONTROLS_AND_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_DROPPED_CATEGORIES = frozenset({"Cf", "Cs", "Co", "Cn"})
# Speech fillers and hesitation sounds. "那个" and "这个" are only fillers when doubled or
# followed by a pause, so single demonstratives ("那个工地") are kept. Every alternative starts
# with a literal character, so the regex engine jumps to those characters instead of trying
# the pattern at every position.
_FILLERS = re.compile(
    r"嗯[嗯呃唔]*|呃[嗯呃唔]*|唔[嗯呃唔]*"
    r"|啊啊*(?=[，,。！!？?\s]|$)|啊(?<![^，,。\s]啊)啊*"  # before a pause; first or after one
    r"|就是说|然后呢"
    r"|那个(?:[，,\s]+(?:那个|这个))+|这个(?:[，,\s]+(?:那个|这个))+"
    r"|那个(?=[，,。\s])|这个(?=[，,。\s])"
)
_CJK = r"\u3400-\u9fff"
# Vosk's Chinese models put one space between words; drop spaces between CJK characters. A
# match is a stretch of CJK words and the whitespace between them, from the first space after
# a CJK character to the last CJK character: all its whitespace lies between CJK characters,
# and the stretch is one replacement where each run of spaces would be one.
_SPACED_CJK_WORDS = re.compile(rf"\s(?<=[{_CJK}]\s)[{_CJK}\s]*[{_CJK}]")
_SPACES = re.compile(r"\s+")
# A character said three or more times ("我我我"), a 2-4 character word repeated ("就是就是").
# The first repeat is spelled out: most positions fail on it before a repeat loop is set up.
_REPEATED_CHAR = re.compile(r"(.)\1\1+")
_REPEATED_WORD = re.compile(rf"([{_CJK}]{{2,4}})\1\1*")
# A punctuation mark followed by more punctuation or spaces (a lone mark stays as it is).
_REPEATED_PUNCT = re.compile(r"([，,。！!？?、；;…~])[，,。！!？?、；;…~\s]+")


def _nfkc(text: str) -> str:
    for char, ascii_form in _NFKC_SHORTCUTS:
        text = text.replace(char, ascii_form)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return _NFKC_UNSTABLE.sub(_nfkc_stretch, text)


def _nfkc_stretch(stretch: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", stretch.group())


def _strip_html(text: str) -> str:
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    if "&" in text:
        text = _HTML_ENTITY.sub(" ", text)
    return text


def _strip_controls(text: str) -> str:
    if text.isprintable():  # no control, format, private-use or unassigned characters
        return text
    text = _CONTROLS_AND_BREAKS.sub(" ", text)  # usually all there was: line breaks, tabs
    if text.isprintable():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)


@functools.cache
def _traditional() -> re.Pattern[str]:
    """Any character t2s changes on its own (and any it was not tried on). A text without one
    is simplified already, and t2s is not run on it: there its phrase table can only do harm
    (打坏 → 打坯, 拉坏 → 拉坯, where 坏 is read as the old form of 坯). Built on first use:
    converting every character once takes about 20 ms."""
    tried = [chr(code) for code in range(0x10000) if code != 0x0A and not 0xD800 <= code <= 0xDFFF]
    converted = _T2S.convert("\n".join(tried)).split("\n")
    changed = "".join(char for char, result in zip(tried, converted, strict=True) if result != char)
    untried = "\\n\ud800-\udfff\U00010000-\U0010ffff"  # the separator, surrogates, beyond the BMP
    return re.compile(f"[{re.escape(changed)}{untried}]")


def _join_cjk_words(match: re.Match[str]) -> str:
    words = match.group().replace(" ", "")
    # Anything left that is not printable is other whitespace: CJK characters are printable.
    return words if words.isprintable() else "".join(words.split())


def normalize(text: str) -> str:
    """Return ``text`` in one canonical form: half-width, simplified, no fillers or repeats.

    Full-width letters, digits and punctuation become half-width (NFKC); traditional characters
    become simplified (simplified text is left as it is); HTML tags, control and format characters are removed; spaces inside
    Chinese runs (Vosk output) are dropped; fillers (嗯、啊、那个、就是说) and stuttered
    characters or words are collapsed.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, got {type(text).__name__}")
    text = _strip_controls(_strip_html(_nfkc(text)))
    if _traditional().search(text):
        text = _T2S.convert(text)
    text = _SPACED_CJK_WORDS.sub(_join_cjk_words, text)
    text = _FILLERS.sub("", text)
    text = _REPEATED_CHAR.sub(r"\1", text)
    text = _REPEATED_WORD.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    # Other whitespace is not printable, so a printable text without two spaces in a row has
    # only single spaces already.
    if "  " in text or not text.isprintable():
        text = _SPACES.sub(" ", text)
    return text.strip(" ，,。")


class _DomainDictionary:
    """The jieba dictionary with the domain vocabulary, built once for segmentation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dictionary: SegmentDictionary | None = None

    def get(self) -> SegmentDictionary:
        if self._dictionary is None:
            with self._lock:
                if self._dictionary is None:
                    tokenizer = domain_jieba()
                    self._dictionary = SegmentDictionary.from_frequencies(
                        tokenizer.FREQ, tokenizer.total
                    )
        return self._dictionary


@functools.cache
def domain_words() -> tuple[str, ...]:
    """Words jieba must keep whole: the user dictionary, division names, department matters."""
    words: set[str] = set()
    for line in USER_DICT.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(word)
    for division in load_divisions(REFERENCE_DIR):
        words.add(division.name)
        words.update(division.aliases)
    for department in load_departments(REFERENCE_DIR):
        for matter in re.split(r"[\s（）()、与和等含]+", department.scope):
            if 2 <= len(matter) <= 6:
                words.add(matter)
    return tuple(sorted(words))


@functools.cache
def stop_words() -> frozenset[str]:
    """Function words, numerals and quantities, time words, greetings and call formulas
    (``data/stopwords.txt``): never evidence for a routing decision, never a request alone."""
    lines = STOP_WORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def domain_jieba() -> jieba.Tokenizer:
    """A fresh jieba tokenizer with the domain words added (loading takes about a second)."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(cache_dir())  # read from there, written once if missing
    tokenizer.initialize()
    for word in domain_words():
        tokenizer.add_word(word, _DOMAIN_WORD_FREQ)
    return tokenizer


_DOMAIN_DICTIONARY = _DomainDictionary()


def domain_dictionary() -> SegmentDictionary:
    """The domain segmentation dictionary (built on first use, about a second)."""
    return _DOMAIN_DICTIONARY.get()


@functools.lru_cache(maxsize=4096)
def _cut(normalized: str) -> tuple[str, ...]:
    return tuple(tokenize_many_normalized([normalized])[0])


def tokenize(text: str) -> list[str]:
    """Normalise ``text`` and split it into words, dropping punctuation and whitespace."""
    return list(_cut(normalize(text)))


def tokenize_normalized(normalized: str) -> tuple[str, ...]:
    """Tokenise text that has already been through :func:`normalize` (cached; no re-normalise)."""
    return _cut(normalized)


def tokenize_many_normalized(normalized: Sequence[str]) -> list[list[str]]:
    """:func:`tokenize_normalized` for many texts, cut together in one batch (not cached): far
    faster per text than one call each."""
    return segment(domain_dictionary(), normalized).words()


def warm_up() -> None:
    """Build :func:`normalize`'s character tables now rather than on the first call."""
    _traditional()
