"""In-memory BM25 search over published entries, for an operator typing or a transcript streaming.

Fields weigh differently (BM25F-style weighted term frequencies): the question variants are how
callers actually ask, so they count most; the answer and guide text count least. The last word
of a query that is still being typed is also matched as a prefix ("居住" finds "居住证").

Each hit says how much of the query's meaning it covers (``coverage``: the IDF-weighted share
of the query's content words it contains, a word's synonyms counting as the word) and whether
that is enough to read it out (``strong``): an entry sharing only one word of a two-word
question (社保转移 → 不动产转移登记) is weak, and a search without a strong hit has no answer.

The index is an immutable snapshot swapped in under a lock. It is rebuilt when the highest
version-row id (every create, edit, publication, withdrawal adds one) moves past the one it was
built from; token counts are cached by content, so only changed entries are cut again.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources

import numpy as np
from scipy import sparse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classifier.segment import string_key
from classifier.text import (
    domain_dictionary,
    normalize,
    tokenize_many_normalized,
    tokenize_normalized,
)
from hotline.kb.entries import PUBLISHED, EntryContent
from hotline.kb.models import KbEntry, KbEntryVersion
from hotline.kb.profiles import COMMON_WORDS, PART_WEIGHT
from hotline.services import Services

FIELD_WEIGHTS = {
    "questions": 3.0,
    "title": 2.5,
    "matter_category": 2.0,
    "answer": 1.0,
    "guide": 0.5,  # conditions, materials, place, fees, time limit
}
K1 = 1.2
B = 0.75
# A long transcript is cut to its latest words: what the caller is talking about now.
MAX_QUERY_CHARS = 1000
MAX_PREFIX_EXPANSIONS = 30
# A prefix match is weaker evidence than the whole word.
PREFIX_WEIGHT = 0.6
DEFAULT_LIMIT = 10
_TYPING_ENDS = " \t\n，,。.！!？?；;、"
# Fields that say what the entry is about; a word found only in the answer or the guide is a
# mention, which covers a query word only in part (Confidence.mention_credit).
HEAD_FIELDS = frozenset(("questions", "title"))
# Words that carry no matter of their own: fillers of a spoken call, asking words, and what
# is asked about any matter (materials, time, cost: every guide has them). They still rank
# entries (BM25) but are not part of what a hit must cover.
_FILLERS = (
    "喂 你好 您好 嗯 啊 哦 我 俺 咱 你 您 想 问 问问 一下 下 请问 麻烦 谢谢 了 的 吗 呢 吧 是 有 "
    "咋 咋办 咋弄 咋整 啥 怎样 如何 怎么样 在哪 哪里 哪儿 哪 多少 多久 能 要 需要 办 办理 弄 "
    "得 去 在 给 这 那 个 都 也 还 就 带 东西 材料 手续 条件 流程 时间 多长时间 几天 多少钱 "
    "钱 费用 标准 一年 今年 明年 这个 月"
)
FILLER_WORDS = COMMON_WORDS | frozenset(_FILLERS.split())


def _expandable(token: str) -> bool:
    """Chinese words and Latin words of two letters or more; digits are never a prefix."""
    if token.isdigit():
        return False
    return not token.isascii() or len(token) >= 2


@dataclass(frozen=True)
class Confidence:
    """When a hit is fit to read out. The shipped values were chosen on the dev half of the
    evaluation set (``hotline kb evaluate --choose``; docs/kb.md)."""

    strong_coverage: float = 0.75  # a strong hit covers at least this share of the query
    mention_credit: float = 0.25  # how much a word found only in the answer or guide covers
    unknown_share: float = 0.5  # a word no entry holds weighs this share of the rarest word's IDF


SHIPPED = Confidence()


@functools.cache
def synonyms() -> dict[str, frozenset[str]]:
    """Word → every word of its group in ``data/synonyms.txt`` (itself included)."""
    text = (resources.files("hotline.kb") / "data" / "synonyms.txt").read_text(encoding="utf-8")
    groups: dict[str, frozenset[str]] = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        for word in words:
            groups[word] = groups.get(word, frozenset()) | frozenset(words)
    return groups


def field_texts(entry: KbEntry | EntryContent) -> tuple[str, ...]:
    """The entry's searchable texts, in the order of FIELD_WEIGHTS."""
    return (
        "\n".join(entry.questions),
        entry.title,
        entry.matter_category,
        entry.answer,
        "\n".join(
            [*entry.conditions, *entry.materials, entry.location, entry.fees, entry.time_limit]
        ),
    )


@functools.lru_cache(maxsize=1 << 16)
def parts(token: str) -> tuple[str, ...]:
    """The words a compound is made of, so that a plainer wording meets it: the pieces of two
    characters or more of the segmenter's own most probable cut of the word with the word
    itself left out (结婚登记 → 结婚 + 登记, 医保电子凭证 → 医保 + 电子 + 凭证, 居住证 → 居住).
    Only dictionary words are pieces, so 自来水 gives 自来 (自来 + 水), never 来水 (no word);
    none for a word of two characters or fewer, or a Latin or digit one."""
    if len(token) < 3 or token.isascii():
        return ()
    dictionary = domain_dictionary()
    spans = [(i, j) for i in range(len(token)) for j in range(i + 1, len(token) + 1)]
    spans.remove((0, len(token)))
    keys = np.fromiter((string_key(token[i:j]) for i, j in spans), dtype=np.uint64)
    found, log_probability = dictionary.find(keys)
    known = dict(
        zip(itertools.compress(spans, found.tolist()), log_probability.tolist(), strict=True)
    )
    # jieba's route, from the end: the best score from each position, a lone character it
    # does not know at the unknown-word probability; a longer word wins a tie.
    best: list[tuple[float, tuple[str, ...]]] = [(0.0, ())] * (len(token) + 1)
    for i in range(len(token) - 1, -1, -1):
        routes = []
        for j in range(len(token), i, -1):
            score = known.get((i, j), math.nan)
            if math.isnan(score):
                if j > i + 1:
                    continue
                score = dictionary.unknown
            routes.append((score + best[j][0], (token[i:j], *best[j][1])))
        best[i] = max(routes, key=lambda route: route[0])
    return tuple(piece for piece in best[0][1] if len(piece) >= 2)


@dataclass(frozen=True)
class EntryTerms:
    counts: Counter[str]  # token → field-weighted count (a compound's parts at PART_WEIGHT)
    head: frozenset[str]  # the tokens (and parts) of the question variants and the title


def entry_counts(
    entries: Sequence[tuple[str, ...]], known: Mapping[tuple[str, ...], EntryTerms]
) -> dict[tuple[str, ...], EntryTerms]:
    """Weighted token counts of each entry's field texts, keyed by those texts: entries found
    in ``known`` (the previous index's) are not cut again, the others are cut in one batch."""
    missing = [fields for fields in dict.fromkeys(entries) if fields not in known]
    tokens = iter(
        tokenize_many_normalized([normalize(text).lower() for fields in missing for text in fields])
    )
    counts = {fields: known[fields] for fields in entries if fields in known}
    for fields in missing:
        counter: Counter[str] = Counter()
        head: set[str] = set()
        for (name, weight), _text in zip(FIELD_WEIGHTS.items(), fields, strict=True):
            for token in next(tokens):
                counter[token] += weight
                for part in parts(token):
                    counter[part] += weight * PART_WEIGHT
                if name in HEAD_FIELDS:
                    head.update((token, *parts(token)))
        counts[fields] = EntryTerms(counter, frozenset(head))
    return counts


@dataclass(frozen=True)
class Hit:
    entry_id: int
    score: float
    matched: tuple[str, ...]
    coverage: float  # share of the query's meaning (IDF-weighted content words) the entry holds
    strong: bool  # coverage ≥ the strong-coverage threshold: fit to read out


@dataclass(frozen=True)
class _Concept:
    """One content word of the query: the terms that express it and what it weighs."""

    terms: frozenset[int]
    weight: float
    # The parts of a word the index lacks (残疾证 → 残疾): an entry holding them holds the word
    # only in part (PART_WEIGHT).
    parts: frozenset[int] = frozenset()

    def covered(self, held: set[int], head: set[int], mention_credit: float) -> float:
        """How much of this word an entry holding the terms ``held`` (``head`` of them in its
        question variants or title) covers, 0 … 1."""
        share = 0.0
        for terms, credit in ((self.terms, 1.0), (self.parts, PART_WEIGHT)):
            if terms & head:
                share = max(share, credit)
            elif terms & held:
                share = max(share, credit * mention_credit)
        return share


@dataclass(frozen=True)
class _Query:
    weights: dict[int, float]  # term id → BM25 query weight
    concepts: tuple[_Concept, ...]


@dataclass(frozen=True)
class Snapshot:
    change_counter: int
    entry_ids: np.ndarray
    valid_from: np.ndarray  # date ordinals
    valid_to: np.ndarray  # date ordinals; max int when open-ended
    vocabulary: dict[str, int]
    term_names: list[str]  # by term id
    sorted_terms: list[str]
    term_weights: sparse.csc_matrix  # entries × terms, BM25 weight of each term in each entry
    head_terms: sparse.csr_matrix  # entries × terms, 1 where the term is in a HEAD_FIELDS text
    document_frequency: np.ndarray
    idf: np.ndarray  # by term id
    unknown_idf: float  # the IDF of a word no entry contains

    def analyse(self, query: str, confidence: Confidence) -> _Query:
        """The query's BM25 term weights and its content words (concepts).

        A word also matches its synonyms; the word being typed (or one the index does not know)
        also matches the words it begins, and a compound the index does not know is met through
        its known parts (which cover it by half). A concept weighs the IDF of its rarest known term; a word the index
        does not know at all weighs like the rarest word (times ``unknown_share``), so a query
        about a matter the knowledge base lacks is not covered by an entry sharing its other
        words.
        """
        normalized = normalize(query[-MAX_QUERY_CHARS:]).lower()
        tokens = tokenize_normalized(normalized)
        if not tokens:
            return _Query({}, ())
        groups = synonyms()
        still_typing = not query.endswith(tuple(_TYPING_ENDS))
        weights: dict[int, float] = {}
        concepts: list[_Concept] = []
        for token in dict.fromkeys(tokens):
            words = groups.get(token, frozenset((token,)))
            exact = {self.vocabulary[w] for w in words if w in self.vocabulary}
            partial: set[int] = set()
            if not exact:
                partial = {self.vocabulary[p] for p in parts(token) if p in self.vocabulary}
            prefixed: list[int] = []
            if (
                token == tokens[-1]
                and _expandable(token)
                and (still_typing or token not in self.vocabulary)
            ):
                prefixed = self._prefixed(token)
            for term in exact | partial:
                weights[term] = 1.0
            for term in prefixed:
                weights.setdefault(term, PREFIX_WEIGHT)
            if token in FILLER_WORDS:
                continue
            if exact or partial:
                weight = max(self.idf[t] for t in exact | partial)
            elif prefixed:  # a word still being typed weighs as its commonest reading
                weight = min(self.idf[t] for t in prefixed)
            else:
                weight = self.unknown_idf * confidence.unknown_share
            concepts.append(
                _Concept(frozenset(exact | set(prefixed)), float(weight), frozenset(partial))
            )
        return _Query(weights, tuple(concepts))

    def _prefixed(self, prefix: str) -> list[int]:
        start = bisect.bisect_left(self.sorted_terms, prefix)
        found: list[int] = []
        for term in self.sorted_terms[start:]:
            if not term.startswith(prefix):
                break
            if term != prefix:
                found.append(self.vocabulary[term])
        # Many words may share a one-character prefix: keep the commonest ones.
        found.sort(key=lambda t: -self.document_frequency[t])
        return found[:MAX_PREFIX_EXPANSIONS]

    def search(
        self, query: str, today: date, limit: int, confidence: Confidence = SHIPPED
    ) -> list[Hit]:
        analysed = self.analyse(query, confidence)
        weights = analysed.weights
        if not weights or not len(self.entry_ids):
            return []
        terms = np.fromiter(weights.keys(), dtype=np.int64)
        query_vector = np.fromiter(weights.values(), dtype=np.float64)
        columns = self.term_weights[:, terms]
        scores = np.asarray(columns @ query_vector).ravel()
        day = today.toordinal()
        scores[(self.valid_from > day) | (self.valid_to < day)] = 0.0
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > limit:
            candidates = candidates[np.argpartition(-scores[candidates], limit)[:limit]]
        best = candidates[np.argsort(-scores[candidates], kind="stable")]
        present = columns[best].toarray() > 0  # which query terms each hit contains
        in_head = self.head_terms[best][:, terms].toarray() > 0
        total = sum(c.weight for c in analysed.concepts)
        hits = []
        for row, found, headed in zip(best, present, in_head, strict=True):
            held = {int(terms[i]) for i in np.flatnonzero(found)}
            head = {int(terms[i]) for i in np.flatnonzero(headed)}
            covered = sum(
                c.weight * c.covered(held, head, confidence.mention_credit)
                for c in analysed.concepts
            )
            coverage = covered / total if total else 0.0
            hits.append(
                Hit(
                    entry_id=int(self.entry_ids[row]),
                    score=round(float(scores[row]), 4),
                    matched=tuple(sorted(self.term_names[t] for t in held)),
                    coverage=round(coverage, 3),
                    strong=coverage >= confidence.strong_coverage,
                )
            )
        # Entries fit to read out come first; BM25 orders each group.
        return sorted(hits, key=lambda hit: not hit.strong)


def build_snapshot(
    change_counter: int, rows: list[tuple[int, date, date | None, EntryTerms]]
) -> Snapshot:
    vocabulary: dict[str, int] = {}
    data: list[float] = []
    row_index: list[int] = []
    col_index: list[int] = []
    head_rows: list[int] = []
    head_columns: list[int] = []
    lengths = np.zeros(len(rows))
    for row, (_, _, _, terms) in enumerate(rows):
        lengths[row] = sum(terms.counts.values())
        for token, weight in terms.counts.items():
            row_index.append(row)
            col_index.append(vocabulary.setdefault(token, len(vocabulary)))
            data.append(weight)
        for token in terms.head:
            head_rows.append(row)
            head_columns.append(vocabulary[token])
    shape = (len(rows), len(vocabulary))
    tf = sparse.csr_matrix((data, (row_index, col_index)), shape=shape)
    document_frequency = np.bincount(np.asarray(col_index, dtype=np.int64), minlength=shape[1])
    idf = np.log(1 + (len(rows) - document_frequency + 0.5) / (document_frequency + 0.5))
    average = lengths.mean() if len(rows) else 1.0
    norm = K1 * (1 - B + B * lengths / average)
    tf = tf.tocoo()
    bm25 = tf.data * (K1 + 1) / (tf.data + norm[tf.row]) * idf[tf.col]
    matrix = sparse.csc_matrix((bm25, (tf.row, tf.col)), shape=shape)
    open_ended = date.max.toordinal()
    return Snapshot(
        change_counter=change_counter,
        entry_ids=np.array([r[0] for r in rows], dtype=np.int64),
        valid_from=np.array([r[1].toordinal() for r in rows], dtype=np.int64),
        valid_to=np.array([r[2].toordinal() if r[2] else open_ended for r in rows], dtype=np.int64),
        vocabulary=vocabulary,
        term_names=list(vocabulary),
        sorted_terms=sorted(vocabulary),
        term_weights=matrix,
        head_terms=sparse.csr_matrix(
            (np.ones(len(head_rows)), (head_rows, head_columns)), shape=shape
        ),
        document_frequency=document_frequency,
        idf=idf,
        unknown_idf=float(np.log(1 + (len(rows) + 0.5) / 0.5)),
    )


class KbIndex:
    """The search index of one process; safe to share between request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        # The current entries' token counts, so a rebuild cuts only new or edited entries.
        self._counts: dict[tuple[str, ...], EntryTerms] = {}

    @staticmethod
    def change_counter(session: Session) -> int:
        return session.scalar(select(func.coalesce(func.max(KbEntryVersion.id), 0))) or 0

    def current(self, session: Session) -> Snapshot:
        counter = self.change_counter(session)
        snapshot = self._snapshot
        if snapshot is not None and snapshot.change_counter == counter:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None or snapshot.change_counter != counter:
                snapshot = self._rebuild(session, counter)
                self._snapshot = snapshot
        return snapshot

    def _rebuild(self, session: Session, counter: int) -> Snapshot:
        entries = session.scalars(
            select(KbEntry).where(KbEntry.status == PUBLISHED).order_by(KbEntry.id)
        ).all()
        fields = [field_texts(e) for e in entries]
        self._counts = entry_counts(fields, self._counts)
        rows = [
            (e.id, e.valid_from, e.valid_to, self._counts[f])
            for e, f in zip(entries, fields, strict=True)
        ]
        return build_snapshot(counter, rows)

    def search(self, session: Session, query: str, today: date, limit: int) -> list[Hit]:
        return self.current(session).search(query, today, limit)


_REGISTRY_LOCK = threading.Lock()


def index_of(svc: Services) -> KbIndex:
    """The index kept on the application's services, created on first use."""
    index = getattr(svc, "kb_index", None)
    if index is None:
        with _REGISTRY_LOCK:
            index = getattr(svc, "kb_index", None)
            if index is None:
                index = KbIndex()
                svc.kb_index = index  # type: ignore[attr-defined]
    return index
