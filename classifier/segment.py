"""jieba's dictionary segmentation (precise mode, no HMM) of many texts at once, in numpy.

The words are the ones ``jieba.Tokenizer.lcut(text, HMM=False)`` gives, without punctuation,
symbols or whitespace, found without a Python loop over characters. One difference: where two
routes are exactly as probable ("咚咚|咚" or "咚|咚咚"), jieba's pick depends on the rounding of
its running sums; here the longer first word always wins. Tests hold the words equal to
jieba's on the normalised corpus and to jieba's route with that tie rule on random text.

1. The texts are joined into one array of code points. Every substring is identified by a
   64-bit polynomial key (:func:`string_key`), computed for any span from one prefix sum.
2. Candidate words grow one character at a time, as in jieba, only from positions whose
   fragment so far is a word or a prefix of one: each length is one look-up of all growing
   fragments in the dictionary's hash table (:class:`KeyTable`).
3. jieba's best route (the most probable sequence of words) decomposes at every gap no
   candidate word straddles, and such gaps come every few characters. The backward pass over
   route scores therefore needs only as many vectorised steps as the longest stretch between
   gaps, for the whole batch at once.
4. Lone ASCII letters and digits are joined into one word, as jieba does without HMM.

Keys are hashes: two different strings share one with probability about 2⁻⁶⁴ per pair; the
dictionary's own keys are checked for clashes when it is built.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

KEY_BASE = 0x100000001B3  # odd, so it has an inverse modulo 2**64 (see span_keys)
_KEY_MASK = (1 << 64) - 1
_INVERSE_BASE = pow(KEY_BASE, -1, 1 << 64)
# Texts are joined with a character jieba never puts in a word and normalize() never keeps.
SEPARATOR = "\x00"
# jieba's block characters: only runs of these go through the dictionary; every other
# character is a word of its own when it is a letter or digit, and dropped otherwise.
_BLOCK_RANGES = ((0x4E00, 0x9FD5), (ord("a"), ord("z")), (ord("A"), ord("Z")), (ord("0"), ord("9")))
_BLOCK_SYMBOLS = "+#&._%-"
_BMP = 0x10000
# Two routes whose scores differ by less than this are equally probable (their scores differ
# only by floating-point rounding); the one with the longer word first wins, as jieba intends.
TIE_TOLERANCE = 1e-9


def join_texts(texts: Sequence[str]) -> tuple[str, np.ndarray]:
    """The texts as one string, each followed by SEPARATOR, and where each starts (one more
    offset at the end); a text's separator sits at the next offset minus one."""
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(text) + 1 for text in texts], out=offsets[1:])
    return SEPARATOR.join(texts) + SEPARATOR, offsets


def string_key(text: str) -> int:
    """The key of ``text``: Σ (code point + 1) · KEY_BASE^(position from the end), mod 2**64."""
    key = 0
    for char in text:
        key = (key * KEY_BASE + ord(char) + 1) & _KEY_MASK
    return key


def _powers(base: int, count: int) -> np.ndarray:
    """base**0 … base**(count-1) modulo 2**64 (numpy's uint64 arithmetic wraps)."""
    powers = np.full(count, base, dtype=np.uint64)
    powers[0] = 1
    return np.cumprod(powers, dtype=np.uint64)


class KeyedText:
    """Code points of a string with the prefix sums that give any span's key in O(1)."""

    def __init__(self, text: str) -> None:
        self.points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        size = len(self.points)
        self._inverse_powers = _powers(_INVERSE_BASE, size + 1)
        # weighted[i] = (point + 1) · base^(size-1-i); a span's sum, scaled back by the
        # inverse power, is its polynomial key.
        weighted = (self.points.astype(np.uint64) + np.uint64(1)) * _powers(KEY_BASE, size)[::-1]
        self._sums = np.zeros(size + 1, dtype=np.uint64)
        np.cumsum(weighted, out=self._sums[1:])

    def __len__(self) -> int:
        return len(self.points)

    def span_keys(self, starts: np.ndarray, lengths: np.ndarray | int) -> np.ndarray:
        ends = starts + lengths
        return (self._sums[ends] - self._sums[starts]) * self._inverse_powers[len(self) - ends]


_FIBONACCI = np.uint64(0x9E3779B97F4A7C15)  # spreads keys over the table's buckets


class KeyTable:
    """A static hash table from distinct uint64 keys to their position in the array it
    was built from. Keys are grouped by bucket (two to four buckets per key), so a look-up reads
    one bucket's few records, in a number of vectorised rounds bounded by the fullest bucket
    (a binary search over sorted keys takes about twenty). Each record holds a key and its
    position side by side, so one read gets both. Pickled as the keys alone."""

    def __init__(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.uint64)
        self.keys = keys
        bits = len(keys).bit_length() + 1
        self._shift = np.uint64(64 - bits)
        home = self._home(keys)
        order = np.argsort(home, kind="stable")
        self._bucket_starts = np.zeros((1 << bits) + 1, dtype=np.int64)
        np.cumsum(np.bincount(home, minlength=1 << bits), out=self._bucket_starts[1:])
        grouped, grouped_home = keys[order], home[order]
        for gap in range(1, int(np.diff(self._bucket_starts).max(initial=0))):
            same_bucket = grouped_home[gap:] == grouped_home[:-gap]
            if np.any(same_bucket & (grouped[gap:] == grouped[:-gap])):
                raise ValueError("two entries share a key")
        records = np.empty((len(keys), 2), dtype=np.uint64)
        records[:, 0], records[:, 1] = keys[order], order
        # One 16-byte record per key: numpy gathers those far faster than rows of a 2-D array.
        self._records = records.view(np.dtype("V16")).ravel()

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _FIBONACCI) >> self._shift).astype(np.int64)

    def __len__(self) -> int:
        return len(self.keys)

    def __getstate__(self) -> dict[str, np.ndarray]:
        return {"keys": self.keys}

    def __setstate__(self, state: dict[str, np.ndarray]) -> None:
        self.__init__(state["keys"])  # type: ignore[misc]

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """The position of each key in the build array, or -1 where it is absent."""
        rows = np.full(len(keys), -1, dtype=np.int64)
        home = self._home(keys)
        position, end = self._bucket_starts[home], self._bucket_starts[home + 1]
        active = np.flatnonzero(position < end)
        position, end = position[active], end[active]
        while len(active):
            records = self._records[position].view(np.uint64).reshape(-1, 2)
            hit = records[:, 0] == keys[active]
            rows[active[hit]] = records[hit, 1]
            position += 1
            going_on = ~hit & (position < end)
            active, position, end = active[going_on], position[going_on], end[going_on]
        return rows


@dataclass
class SegmentDictionary:
    """jieba's prefix dictionary: every word and every prefix of a word, by key."""

    table: KeyTable
    log_probability: np.ndarray  # float64 per entry; NaN for a prefix that is not a word
    unknown: float  # log-probability jieba gives a character it does not know
    longest: int
    # Entries of one character, indexed by code point: block characters are all below 2**16,
    # so one array read replaces a third of the hash look-ups.
    single_known: np.ndarray  # bool
    single_log_probability: np.ndarray  # float64, NaN where not a word

    @classmethod
    def from_frequencies(cls, frequencies: Mapping[str, int], total: int) -> SegmentDictionary:
        """From jieba's ``Tokenizer.FREQ`` (words with their counts, prefixes with 0) and
        ``Tokenizer.total``."""
        entries = list(frequencies)
        keyed = KeyedText("".join(entries))
        lengths = np.fromiter(map(len, entries), dtype=np.int64, count=len(entries))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        counts = np.fromiter(frequencies.values(), dtype=np.float64, count=len(entries))
        with np.errstate(divide="ignore"):
            log_probability = np.where(counts > 0, np.log(counts) - np.log(total), np.nan)
        single = np.flatnonzero(lengths == 1)
        single = single[keyed.points[starts[single]] < _BMP]
        points = keyed.points[starts[single]]
        single_known = np.zeros(_BMP, dtype=bool)
        single_known[points] = True
        single_log_probability = np.full(_BMP, np.nan)
        single_log_probability[points] = log_probability[single]
        return cls(
            KeyTable(keyed.span_keys(starts, lengths)),
            log_probability,
            -float(np.log(total)),
            int(lengths.max(initial=1)),
            single_known,
            single_log_probability,
        )

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, log-probability of each found key: NaN for a prefix-only entry)."""
        rows = self.table.rows(keys)
        found = rows >= 0
        return found, self.log_probability[rows[found]]

    def are_words(self, terms: Sequence[str]) -> np.ndarray:
        """Whether each term is a word of the dictionary (not just a prefix of one)."""
        if not terms:
            return np.zeros(0, dtype=bool)
        keyed = KeyedText("".join(terms))
        lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
        starts = np.cumsum(lengths) - lengths
        found, log_probability = self.find(keyed.span_keys(starts, lengths))
        words = np.zeros(len(terms), dtype=bool)
        words[found] = ~np.isnan(log_probability)
        return words & (lengths > 0)

    def find_single(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`find` for one-character entries, given block characters' code points."""
        found = self.single_known[points]
        return found, self.single_log_probability[points[found]]


@dataclass
class Tokens:
    """The words of a batch of texts, in order: spans of ``text.points`` and their keys."""

    text: KeyedText  # the texts joined by SEPARATOR
    offsets: np.ndarray  # int64, where each text starts in ``text``; one more at the end
    starts: np.ndarray
    lengths: np.ndarray
    owners: np.ndarray  # the index of the text each word belongs to
    keys: np.ndarray

    def words(self) -> list[list[str]]:
        """The words of each text as strings."""
        joined = self.text.points.tobytes().decode("utf-32-le")
        out: list[list[str]] = [[] for _ in range(len(self.offsets) - 1)]
        for owner, start, length in zip(
            self.owners.tolist(), self.starts.tolist(), self.lengths.tolist(), strict=True
        ):
            out[owner].append(joined[start : start + length])
        return out


@functools.cache
def _alnum_bmp() -> np.ndarray:
    return np.fromiter((chr(point).isalnum() for point in range(_BMP)), dtype=bool, count=_BMP)


def _alnum(points: np.ndarray) -> np.ndarray:
    """``str.isalnum`` of each code point (what jieba's ``^[\\W_]+$`` filter tests)."""
    result = _alnum_bmp()[np.minimum(points, _BMP - 1)]
    astral = points >= _BMP
    if astral.any():
        values = np.unique(points[astral])
        alnum = np.array([chr(value).isalnum() for value in values.tolist()], dtype=bool)
        result[astral] = alnum[np.searchsorted(values, points[astral])]
    return result


@functools.cache
def _block_bmp() -> np.ndarray:
    table = np.zeros(_BMP, dtype=bool)
    table[[ord(char) for char in _BLOCK_SYMBOLS]] = True
    for low, high in _BLOCK_RANGES:
        table[low : high + 1] = True
    return table


def _block_mask(points: np.ndarray) -> np.ndarray:
    """Which code points are jieba block characters (all of them below 2**16)."""
    return _block_bmp()[np.minimum(points, _BMP - 1)]


def _next_at_or_after(flags: np.ndarray) -> np.ndarray:
    """For each position i (and one past the end), the first j >= i where flags[j] is set,
    or len(flags)."""
    size = len(flags)
    marks = np.where(flags, np.arange(size), size)
    return np.append(np.minimum.accumulate(marks[::-1])[::-1], size)


def _stable_order(distances: np.ndarray) -> np.ndarray:
    """A stable argsort of small non-negative integers (numpy radix-sorts 16-bit ones)."""
    if len(distances) and distances.max() < 1 << 16:
        return np.argsort(distances.astype(np.uint16), kind="stable")
    return np.argsort(distances, kind="stable")


@dataclass
class _Candidates:
    starts: np.ndarray
    lengths: np.ndarray
    scores: np.ndarray  # log-probability of the word


def _candidates(dictionary: SegmentDictionary, text: KeyedText, run: np.ndarray) -> _Candidates:
    """Every dictionary word inside a block, grown as jieba grows them: a fragment extends only
    while it is a word or a prefix of one. ``run[i]`` = block characters from i on."""
    starts, lengths, scores = [], [], []
    growing = np.flatnonzero(run)
    for length in range(1, dictionary.longest + 1):
        growing = growing[run[growing] >= length]
        if not len(growing):
            break
        if length == 1:
            found, log_probability = dictionary.find_single(text.points[growing])
        else:
            found, log_probability = dictionary.find(text.span_keys(growing, length))
        growing = growing[found]
        word = ~np.isnan(log_probability)
        starts.append(growing[word])
        lengths.append(np.full(int(word.sum()), length, dtype=np.int64))
        scores.append(log_probability[word])
    if not starts:
        empty = np.empty(0, dtype=np.int64)
        return _Candidates(empty, empty, np.empty(0))
    return _Candidates(np.concatenate(starts), np.concatenate(lengths), np.concatenate(scores))


def _best_route(
    dictionary: SegmentDictionary, block: np.ndarray, found: _Candidates
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """jieba's route: for each block position, where its best word ends. Returns (word end per
    position, stretch end per position, stretch starts).

    A stretch ends at a gap that no candidate word straddles (or at the block's end); the best
    route from a stretch's start depends only on words inside it, so every stretch is solved at
    once, one step per distance from its end. Scores are relative to the stretch's end, and
    ties (within TIE_TOLERANCE) go to the longer word.
    """
    size = len(block)
    long_words = found.lengths > 1
    straddled = np.cumsum(
        np.bincount(found.starts[long_words] + 1, minlength=size + 1)
        - np.bincount(found.starts[long_words] + found.lengths[long_words], minlength=size + 1)
    )[:size].astype(bool)
    previous_in_block = np.concatenate([[False], block[:-1]])
    stretch_start = block & ~(previous_in_block & straddled)
    stretch_end = _next_at_or_after(stretch_start | ~block)[1:]  # the end of i's stretch
    # Where no word starts, jieba takes the lone character at the unknown-word probability.
    has_words = np.zeros(size, dtype=bool)
    has_words[found.starts] = True
    alone = np.flatnonzero(block & ~has_words)
    starts = np.concatenate([found.starts, alone])
    lengths = np.concatenate([found.lengths, np.ones(len(alone), dtype=np.int64)])
    scores = np.concatenate([found.scores, np.full(len(alone), dictionary.unknown)])
    # Candidates come in runs ordered by start (one run per length): a stable sort by start
    # merges them, then a stable sort by distance keeps (start, length) order within it.
    order = np.argsort(starts, kind="stable")
    order = order[_stable_order(stretch_end[starts[order]] - starts[order])]
    starts, scores = starts[order], scores[order]
    ends = starts + lengths[order]
    distance = stretch_end[starts] - starts
    to_the_end = ends == stretch_end[starts]  # nothing of the stretch comes after this word
    new_start = np.concatenate([[True], starts[1:] != starts[:-1]])
    group = np.cumsum(new_start) - 1
    steps = np.searchsorted(distance, np.arange(1, int(distance.max(initial=0)) + 2))
    index = np.arange(len(starts))
    score = np.zeros(size + 1)
    word_end = np.arange(1, size + 1)
    for low, high in itertools.pairwise(steps.tolist()):
        values = scores[low:high] + np.where(to_the_end[low:high], 0.0, score[ends[low:high]])
        first = np.flatnonzero(new_start[low:high])
        best = np.maximum.reduceat(values, first)[group[low:high] - group[low]]
        near_best = np.where(values >= best - TIE_TOLERANCE, index[low:high], -1)
        chosen = np.maximum.reduceat(near_best, first)
        score[starts[chosen]] = values[chosen - low]
        word_end[starts[chosen]] = ends[chosen]
    return word_end, stretch_end, np.flatnonzero(stretch_start)


def segment(dictionary: SegmentDictionary, texts: Sequence[str]) -> Tokens:
    """The words of every text, as ``jieba`` (precise mode, no HMM) cuts them, without
    punctuation, symbols or whitespace."""
    joined, offsets = join_texts(texts)
    keyed = KeyedText(joined)
    points = keyed.points
    block = _block_mask(points)
    run = np.where(block, _next_at_or_after(~block)[:-1] - np.arange(len(points)), 0)
    word_end, stretch_end, current = _best_route(
        dictionary, block, _candidates(dictionary, keyed, run)
    )
    walked = []
    while len(current):
        walked.append(current)
        following = word_end[current]
        current = following[following < stretch_end[current]]
    alnum = _alnum(points)
    in_blocks = np.concatenate(walked) if walked else np.empty(0, dtype=np.int64)
    starts = np.concatenate([in_blocks, np.flatnonzero(~block & alnum)])
    lengths = np.concatenate(
        [word_end[in_blocks] - in_blocks, np.ones(len(starts) - len(in_blocks), dtype=np.int64)]
    )
    order = np.argsort(starts, kind="stable")
    starts, lengths = starts[order], lengths[order]
    # Lone ASCII letters and digits next to each other inside a block make one word.
    lone_ascii = (lengths == 1) & block[starts] & alnum[starts] & (points[starts] < 128)
    joins_previous = np.zeros(len(starts), dtype=bool)
    joins_previous[1:] = lone_ascii[1:] & lone_ascii[:-1] & (starts[1:] == starts[:-1] + 1)
    words = np.flatnonzero(~joins_previous)
    lengths = np.add.reduceat(lengths, words) if len(words) else lengths
    starts = starts[words]
    alnum_before = np.concatenate([[0], np.cumsum(alnum)])
    readable = alnum_before[starts + lengths] > alnum_before[starts]
    starts, lengths = starts[readable], lengths[readable]
    owners = np.searchsorted(offsets, starts, side="right") - 1
    return Tokens(keyed, offsets, starts, lengths, owners, keyed.span_keys(starts, lengths))
