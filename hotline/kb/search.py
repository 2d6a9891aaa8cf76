"""In-memory BM25 search over published entries, for an operator typing or a transcript streaming.

Fields weigh differently (BM25F-style weighted term frequencies): the question variants are how
callers actually ask, so they count most; the answer and guide text count least. The last word
of a query that is still being typed is also matched as a prefix ("居住" finds "居住证").

The index is an immutable snapshot swapped in under a lock. It is rebuilt when the highest
version-row id (every create, edit, publication, withdrawal adds one) moves past the one it was
built from; token counts are cached by content, so only changed entries are cut again.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import sparse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classifier.text import normalize, tokenize_many_normalized, tokenize_normalized
from hotline.kb.entries import PUBLISHED
from hotline.kb.models import KbEntry, KbEntryVersion
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


def _expandable(token: str) -> bool:
    """Chinese words and Latin words of two letters or more; digits are never a prefix."""
    if token.isdigit():
        return False
    return not token.isascii() or len(token) >= 2


def field_texts(entry: KbEntry) -> tuple[str, ...]:
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


def entry_counts(
    entries: Sequence[tuple[str, ...]], known: Mapping[tuple[str, ...], Counter[str]]
) -> dict[tuple[str, ...], Counter[str]]:
    """Weighted token counts of each entry's field texts, keyed by those texts: entries found
    in ``known`` (the previous index's) are not cut again, the others are cut in one batch."""
    missing = [fields for fields in dict.fromkeys(entries) if fields not in known]
    tokens = iter(
        tokenize_many_normalized([normalize(text).lower() for fields in missing for text in fields])
    )
    counts = {fields: known[fields] for fields in entries if fields in known}
    for fields in missing:
        counter: Counter[str] = Counter()
        for weight, _text in zip(FIELD_WEIGHTS.values(), fields, strict=True):
            for token in next(tokens):
                counter[token] += weight
        counts[fields] = counter
    return counts


@dataclass(frozen=True)
class Hit:
    entry_id: int
    score: float
    matched: tuple[str, ...]


@dataclass(frozen=True)
class _Snapshot:
    change_counter: int
    entry_ids: np.ndarray
    valid_from: np.ndarray  # date ordinals
    valid_to: np.ndarray  # date ordinals; max int when open-ended
    vocabulary: dict[str, int]
    term_names: list[str]  # by term id
    sorted_terms: list[str]
    term_weights: sparse.csc_matrix  # entries × terms, BM25 weight of each term in each entry
    document_frequency: np.ndarray

    def query_terms(self, query: str) -> dict[int, float]:
        """Term id → query weight; the word being typed is expanded to words it begins."""
        normalized = normalize(query[-MAX_QUERY_CHARS:]).lower()
        tokens = tokenize_normalized(normalized)
        if not tokens:
            return {}
        weights: dict[int, float] = {}
        for token in set(tokens):
            term = self.vocabulary.get(token)
            if term is not None:
                weights[term] = 1.0
        still_typing = not query.endswith(tuple(_TYPING_ENDS))
        last = tokens[-1]
        if _expandable(last) and (still_typing or last not in self.vocabulary):
            for term in self._prefixed(last):
                weights.setdefault(term, PREFIX_WEIGHT)
        return weights

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

    def search(self, query: str, today: date, limit: int) -> list[Hit]:
        weights = self.query_terms(query)
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
        return [
            Hit(
                entry_id=int(self.entry_ids[row]),
                score=round(float(scores[row]), 4),
                matched=tuple(sorted(self.term_names[terms[i]] for i in np.flatnonzero(found))),
            )
            for row, found in zip(best, present, strict=True)
        ]


def _build(
    change_counter: int, rows: list[tuple[int, date, date | None, Counter[str]]]
) -> _Snapshot:
    vocabulary: dict[str, int] = {}
    data: list[float] = []
    row_index: list[int] = []
    col_index: list[int] = []
    lengths = np.zeros(len(rows))
    for row, (_, _, _, counts) in enumerate(rows):
        lengths[row] = sum(counts.values())
        for token, weight in counts.items():
            row_index.append(row)
            col_index.append(vocabulary.setdefault(token, len(vocabulary)))
            data.append(weight)
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
    return _Snapshot(
        change_counter=change_counter,
        entry_ids=np.array([r[0] for r in rows], dtype=np.int64),
        valid_from=np.array([r[1].toordinal() for r in rows], dtype=np.int64),
        valid_to=np.array([r[2].toordinal() if r[2] else open_ended for r in rows], dtype=np.int64),
        vocabulary=vocabulary,
        term_names=list(vocabulary),
        sorted_terms=sorted(vocabulary),
        term_weights=matrix,
        document_frequency=document_frequency,
    )


class KbIndex:
    """The search index of one process; safe to share between request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        # The current entries' token counts, so a rebuild cuts only new or edited entries.
        self._counts: dict[tuple[str, ...], Counter[str]] = {}

    @staticmethod
    def change_counter(session: Session) -> int:
        return session.scalar(select(func.coalesce(func.max(KbEntryVersion.id), 0))) or 0

    def current(self, session: Session) -> _Snapshot:
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

    def _rebuild(self, session: Session, counter: int) -> _Snapshot:
        entries = session.scalars(
            select(KbEntry).where(KbEntry.status == PUBLISHED).order_by(KbEntry.id)
        ).all()
        fields = [field_texts(e) for e in entries]
        self._counts = entry_counts(fields, self._counts)
        rows = [
            (e.id, e.valid_from, e.valid_to, self._counts[f])
            for e, f in zip(entries, fields, strict=True)
        ]
        return _build(counter, rows)

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
