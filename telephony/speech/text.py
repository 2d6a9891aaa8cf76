"""Normalising recogniser output: Vosk's Chinese models put a space between every word."""

from __future__ import annotations

import re

# Han ideographs, CJK punctuation and full-width forms: written without spaces. Hangul is not
# included on purpose — Korean separates words with spaces.
_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_AFTER_CJK = re.compile(rf"(?<=[{_CJK}])\s+")
_SPACE_BEFORE_CJK = re.compile(rf"\s+(?=[{_CJK}])")
_RUNS_OF_SPACE = re.compile(r"\s+")


def normalize_text(raw: str) -> str:
    """Drop spaces that touch a CJK character; keep one space between other words.

    >>> normalize_text("我 家 门口 的 路灯 坏 了 wifi 密码")
    '我家门口的路灯坏了wifi密码'
    >>> normalize_text("call  me at 8 pm")
    'call me at 8 pm'
    """
    text = _RUNS_OF_SPACE.sub(" ", raw.strip())
    text = _SPACE_AFTER_CJK.sub("", text)
    return _SPACE_BEFORE_CJK.sub("", text)
