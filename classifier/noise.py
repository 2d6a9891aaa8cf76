"""A noise model for speech-recogniser output: clean text in, Vosk-like transcript out.

Vosk's Chinese model writes words separated by spaces, no punctuation, numbers as spoken words,
and gets some characters wrong — mostly for characters that sound the same or nearly the same
(物业 → 无业, 医保 → 一保; Henan speakers merge zh/z, n/l, f/h, an/ang …). :func:`add_noise`
imitates that, seeded, so training can add noisy copies of its texts and evaluation can build a
recogniser-style set with a different profile and seed ("written by a different process").

Substitutes are chosen among common characters and dictionary words (jieba's dictionary and
its frequencies), weighted by how common they are, since a recogniser's language model prefers
frequent words. Pure functions: the only I/O is loading jieba's dictionary once, on first use.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from classifier.text import jieba, normalize, tokenize, tokenize_many_normalized

# Words at least this frequent in jieba's dictionary may stand in for a whole word (物业 → 无业,
# 37).
COMMON_WORD_MIN_FREQ = 20
FILLERS = ("嗯", "啊", "那个", "就是", "然后")
# Near-homophones: the initials and finals speakers (Henan's among them) and recognisers merge.
NEAR_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("f", "h"))
NEAR_FINALS = (("an", "ang"), ("en", "eng"), ("in", "ing"))
_CJK_WORD = re.compile(r"[\u3400-\u9fff]+")


@dataclass(frozen=True)
class NoiseProfile:
    """How often each recogniser error happens: per character for the character operations,
    per word for whole-word homophones and fillers (inserted before a word)."""

    name: str
    homophone: float  # a character → another with the same syllable, any tone
    near_homophone: float  # a character → one with a near syllable (zh/z, an/ang …)
    word_homophone: float  # a two-character word → a dictionary word that sounds the same
    dropped: float  # a character lost
    doubled: float  # a character heard twice
    filler: float  # 嗯 啊 那个 就是 然后 before a word

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)


# The profile noisy training copies are made with, and the different one the evaluation's
# recogniser-style set is made with (other rates, other seed: not the training's process).
# Half the rates first tried (0.06, 0.03, 0.10, 0.02, 0.01, 0.05): by cross-validation on the
# training split (docs/classifier.md) they keep clean texts' top-1 within 0.3 points and gain
# as much on noisy ones as the full rates, which cost clean texts a point.
TRAINING_PROFILE = NoiseProfile(
    "training",
    homophone=0.03,
    near_homophone=0.015,
    word_homophone=0.05,
    dropped=0.01,
    doubled=0.005,
    filler=0.025,
)
EVALUATION_PROFILE = NoiseProfile(
    "evaluation",
    homophone=0.08,
    near_homophone=0.04,
    word_homophone=0.08,
    dropped=0.03,
    doubled=0.02,
    filler=0.08,
)
EVALUATION_SEED = 20261208

_DIGITS = "零一二三四五六七八九"
# After these a number is an amount or a count, read as a cardinal (2000元 → 两千元); other
# numbers of three or more digits are read digit by digit (502室 → 五零二室, 302路 → 三零二路).
_AMOUNT_UNITS = (
    "元块毛角个人户家辆次天年月日岁点分秒米斤吨度趟回遍件条只张间套平层栋楼号万千百亿多小公"
)
# A count of these is said with 两, not 二 (2个 → 两个, but 2号楼 → 二号楼, 2楼 → 二楼).
_LIANG_UNITS = "元块个人户家辆次天岁趟回遍件条只张间套小公斤吨"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class _Tables:
    """Common characters by syllable, and the common words, from jieba's dictionary."""

    chars_by_syllable: dict[str, tuple[tuple[str, ...], tuple[int, ...]]]
    words: dict[str, int]


def common_characters() -> list[str]:
    """The 3,755 characters of GB 2312's first level, the standard list of common characters
    (rows 16–55 of the code table)."""
    chars = []
    for row, cell in itertools.product(range(0xB0, 0xD8), range(0xA1, 0xFF)):
        try:
            chars.append(bytes((row, cell)).decode("gb2312"))
        except UnicodeDecodeError:  # the last row is not full
            continue
    return chars


@functools.cache
def _tables() -> _Tables:
    dictionary = Path(jieba.__file__).with_name("dict.txt")
    char_freq = dict.fromkeys(common_characters(), 1)
    words: dict[str, int] = {}
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        word, freq_text, _tag = line.split(" ")
        if word in char_freq:
            char_freq[word] = int(freq_text)
        elif (
            len(word) == 2 and int(freq_text) >= COMMON_WORD_MIN_FREQ and _CJK_WORD.fullmatch(word)
        ):
            words[word] = int(freq_text)
    # Each character under its usual reading only: a rare one (说 shui, 币 yin) would make
    # substitutes no recogniser produces (停水 → 听说).
    by_syllable: dict[str, list[tuple[str, int]]] = {}
    # A list is read item by item: no character's reading changes with its neighbours.
    usual = lazy_pinyin(list(char_freq), style=Style.NORMAL)
    for char, syllable in zip(char_freq, usual, strict=True):
        by_syllable.setdefault(syllable, []).append((char, char_freq[char]))
    return _Tables(
        {
            syllable: tuple(zip(*sorted(chars, key=lambda pair: -pair[1]), strict=True))  # type: ignore[misc]
            for syllable, chars in by_syllable.items()
        },
        words,
    )


@functools.lru_cache(maxsize=1 << 16)  # words recur: most of the noise model's time otherwise
def syllables(text: str) -> tuple[str, ...]:
    """One toneless pinyin syllable per character of an all-Chinese ``text`` (read in context:
    行业 → hang ye)."""
    return tuple(lazy_pinyin(text, style=Style.NORMAL))


def near_syllables(syllable: str) -> list[str]:
    """Syllables one merge away (zh/z ch/c sh/s n/l f/h initials, an/ang en/eng in/ing finals)
    that common characters have."""
    known = _tables().chars_by_syllable
    variants = set()
    for a, b in NEAR_INITIALS:
        for old, new in ((a, b), (b, a)):
            # "z" must not match the start of "zh": compare the initial whole.
            if syllable.startswith(old) and not (len(old) == 1 and syllable[1:2] == "h"):
                variants.add(new + syllable[len(old) :])
    for a, b in NEAR_FINALS:
        for old, new in ((a, b), (b, a)):
            if syllable.endswith(old) and not (old.endswith("n") and syllable.endswith(old + "g")):
                variants.add(syllable[: -len(old)] + new)
    return sorted(variant for variant in variants - {syllable} if variant in known)


def _pick(rng: random.Random, candidates: Sequence[str], freqs: Sequence[int]) -> str | None:
    """One candidate, the more frequent ones more likely (by the square root of their frequency,
    so the most frequent does not always win)."""
    if not candidates:
        return None
    return rng.choices(candidates, weights=[freq**0.5 for freq in freqs])[0]


def homophone(char: str, syllable: str, rng: random.Random) -> str | None:
    """Another common character read ``syllable`` (any tone), or None when there is none."""
    chars, freqs = _tables().chars_by_syllable.get(syllable, ((), ()))
    others = [(c, f) for c, f in zip(chars, freqs, strict=True) if c != char]
    return _pick(rng, [c for c, _ in others], [f for _, f in others])


def near_homophone(char: str, syllable: str, rng: random.Random) -> str | None:
    """A common character whose syllable is one merge away from ``syllable``, or None."""
    near = near_syllables(syllable)
    if not near:
        return None
    return homophone(char, rng.choice(near), rng)


def word_homophone(word: str, rng: random.Random) -> str | None:
    """A common two-character dictionary word read like ``word`` (any tones), or None."""
    candidates = _word_homophones(word)
    return _pick(rng, candidates, [_tables().words[c] for c in candidates])


@functools.lru_cache(maxsize=1 << 16)
def _word_homophones(word: str) -> tuple[str, ...]:
    if len(word) != 2 or not _CJK_WORD.fullmatch(word):
        return ()
    tables = _tables()
    options = [tables.chars_by_syllable.get(syllable, ((), ()))[0] for syllable in syllables(word)]
    spelled = ("".join(chars) for chars in itertools.product(*options))
    return tuple(other for other in spelled if other != word and other in tables.words)


def _digit_by_digit(digits: str, phone: bool) -> str:
    spoken = "".join(_DIGITS[int(d)] for d in digits)
    return spoken.replace("一", "幺") if phone else spoken


def cardinal(number: int) -> str:
    """A whole number below 10^8 as said: 15 → 十五, 105 → 一百零五, 2000 → 两千, 20300 → 两万零三百."""
    if not 0 <= number < 10**8:
        raise ValueError(f"cardinal() reads 0 to 99,999,999, not {number}")
    if number == 0:
        return "零"
    high, low = divmod(number, 10_000)
    if high:
        said = _below_ten_thousand(high) + "万"
        if low:
            said += ("零" if low < 1000 else "") + _below_ten_thousand(low)
    else:
        said = _below_ten_thousand(low)
    if said.startswith("一十"):
        said = said[1:]  # 十五, not 一十五
    if said.startswith("二") and said[1:2] in ("百", "千", "万"):
        said = "两" + said[1:]
    return said


def _below_ten_thousand(number: int) -> str:
    said = ""
    pending_zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit:
            said += ("零" if pending_zero else "") + _DIGITS[digit] + unit
            pending_zero = False
        elif said:
            pending_zero = True
    return said


def _spoken_number(match: re.Match[str]) -> str:
    number = match.group()
    following = match.string[match.end() : match.end() + 1]
    whole, _, fraction = number.partition(".")
    amount = bool(following) and following in _AMOUNT_UNITS
    # Phone numbers, and service numbers such as 110 and 12345, are read with 1 as 幺.
    phone_like = (
        len(whole) >= 7
        or (len(whole) >= 3 and whole.startswith("0"))
        or (len(whole) in (3, 5) and whole.startswith("1") and not amount)
    )
    if fraction or ((len(whole) <= 2 or amount) and not phone_like):
        if len(whole) > 8 or (len(whole) == 4 and following == "年"):
            said = _digit_by_digit(whole, phone=False)  # 2024年 → 二零二四年
        else:
            said = cardinal(int(whole))
            if said == "二" and following in _LIANG_UNITS:
                said = "两"
        return said + ("点" + _digit_by_digit(fraction, phone=False) if fraction else "")
    return _digit_by_digit(whole, phone=phone_like)


def spoken_numbers(text: str) -> str:
    """Digits as a speaker says them: 3号楼 → 三号楼, 502 → 五零二, 2000元 → 两千元, a phone
    number digit by digit with 1 as 幺."""
    return _NUMBER.sub(_spoken_number, text)


def add_noise(text: str, profile: NoiseProfile, rng: random.Random) -> str:
    """``text`` as a recogniser might have written it: numbers spoken, words separated by
    spaces, no punctuation, and ``profile``'s errors drawn from ``rng``."""
    return _heard_words(tokenize(spoken_numbers(text)), profile, rng)


def _heard_words(words: Sequence[str], profile: NoiseProfile, rng: random.Random) -> str:
    heard: list[str] = []
    for word in words:
        if rng.random() < profile.filler:
            heard.append(rng.choice(FILLERS))
        if rng.random() < profile.word_homophone:
            word = word_homophone(word, rng) or word
        heard_word = "".join(_heard_chars(word, profile, rng))
        if heard_word:
            heard.append(heard_word)
    return " ".join(heard)


def _heard_chars(word: str, profile: NoiseProfile, rng: random.Random) -> list[str]:
    if not _CJK_WORD.fullmatch(word):
        return [word]
    chars: list[str] = []
    for char, syllable in zip(word, syllables(word), strict=True):
        draw = rng.random()
        if draw < profile.dropped:
            continue
        draw -= profile.dropped
        if draw < profile.homophone:
            char = homophone(char, syllable, rng) or char
        elif draw - profile.homophone < profile.near_homophone:
            char = near_homophone(char, syllable, rng) or char
        chars.append(char)
        if rng.random() < profile.doubled:
            chars.append(char)
    return chars


def noisy_texts(texts: Sequence[str], profile: NoiseProfile, seed: int) -> list[str]:
    """:func:`add_noise` for each text, with a generator seeded by ``seed`` and the text itself:
    the same text and seed always give the same result, whatever else is in the batch. The
    texts are cut into words together (far faster than one by one)."""
    words = tokenize_many_normalized([normalize(spoken_numbers(text)) for text in texts])
    return [
        _heard_words(text_words, profile, random.Random(f"{seed}\x1f{text}"))
        for text, text_words in zip(texts, words, strict=True)
    ]
