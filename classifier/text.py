"""Text normalisation and jieba tokenisation shared by the classifier and knowledge-base search.

Both functions are pure and thread-safe. The tokenizer is a private ``jieba.Tokenizer`` loaded
once (under a lock) with the domain user dictionary, so importing this module is cheap and
callers never touch jieba's global default instance.
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
from pathlib import Path
from types import ModuleType

import opencc

from classifier.reference import REFERENCE_DIR, load_departments, load_divisions

USER_DICT = Path(__file__).resolve().parent / "data" / "userdict.txt"


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

# HTML tags and character entities from pasted web forms.
_HTML_TAG = re.compile(r"<[^<>]{0,200}>")
_HTML_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{1,6});")
# Speech fillers and hesitation sounds. "那个" and "这个" are only fillers when doubled or
# followed by a pause, so single demonstratives ("那个工地") are kept.
_FILLERS = re.compile(
    r"[嗯呃唔]+|啊+(?=[，,。！!？?\s]|$)|(?<=[，,。\s])啊+|^啊+|就是说|然后呢|"
    r"(?:那个|这个)(?:[，,\s]+(?:那个|这个))+|(?:那个|这个)(?=[，,。\s])"
)
_CJK = r"\u3400-\u9fff"
# Vosk's Chinese models put one space between words; drop spaces between CJK characters.
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
# A character said three or more times ("我我我"), a 2-4 character word repeated ("就是就是").
_REPEATED_CHAR = re.compile(r"(.)\1{2,}")
_REPEATED_WORD = re.compile(rf"([{_CJK}]{{2,4}})\1+")
_REPEATED_PUNCT = re.compile(r"([，,。！!？?、；;…~])[，,。！!？?、；;…~\s]*")
_PUNCT_OR_SPACE = re.compile(r"^[\W_]+$")


def _strip_controls(text: str) -> str:
    if text.isprintable():  # no control, format, private-use or unassigned characters
        return text
    return "".join(
        " " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch
        for ch in text
        if unicodedata.category(ch) not in {"Cf", "Cs", "Co", "Cn"}
    )


def normalize(text: str) -> str:
    """Return ``text`` in one canonical form: half-width, simplified, no fillers or repeats.

    Full-width letters, digits and punctuation become half-width (NFKC); traditional characters
    become simplified; HTML tags, control and format characters are removed; spaces inside
    Chinese runs (Vosk output) are dropped; fillers (嗯、啊、那个、就是说) and stuttered
    characters or words are collapsed.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text)
    text = _HTML_ENTITY.sub(" ", _HTML_TAG.sub(" ", text))
    text = _strip_controls(text)
    text = _T2S.convert(text)
    text = _SPACE_BETWEEN_CJK.sub("", text)
    text = _FILLERS.sub("", text)
    text = _REPEATED_CHAR.sub(r"\1", text)
    text = _REPEATED_WORD.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    text = _SPACES.sub(" ", text).strip(" ，,。")
    return text


class _DomainTokenizer:
    """A jieba tokenizer of our own, initialised once with the domain vocabulary."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer: jieba.Tokenizer | None = None

    def get(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self._build()
        return self._tokenizer

    @staticmethod
    def _build() -> jieba.Tokenizer:
        logging.getLogger("jieba").setLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.tmp_dir = str(cache_dir())  # read from there, written once if missing
        tokenizer.initialize()
        for word in domain_words():
            tokenizer.add_word(word, _DOMAIN_WORD_FREQ)
        return tokenizer


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


_DOMAIN_TOKENIZER = _DomainTokenizer()


@functools.lru_cache(maxsize=4096)
def _cut(normalized: str) -> tuple[str, ...]:
    tokenizer = _DOMAIN_TOKENIZER.get()
    return tuple(
        token
        for token in tokenizer.lcut(normalized, HMM=False)
        if token.strip() and not _PUNCT_OR_SPACE.match(token)
    )


def tokenize(text: str) -> list[str]:
    """Normalise ``text`` and split it into words, dropping punctuation and whitespace."""
    return list(_cut(normalize(text)))


def tokenize_normalized(normalized: str) -> tuple[str, ...]:
    """Tokenise text that has already been through :func:`normalize` (cached; no re-normalise)."""
    return _cut(normalized)


def warm_up() -> None:
    """Load the tokenizer now rather than on the first call (model loading calls this)."""
    _DOMAIN_TOKENIZER.get()
