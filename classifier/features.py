"""One fitted object from raw text to every output: normalise → shared features → linear heads.

``RoutingPipeline`` is fitted once and persisted whole. Its feature step is ONE scikit-learn
``FeatureUnion`` (jieba words + word bigrams TF-IDF, character 1–3-gram TF-IDF; character
n-grams survive the wrong characters speech recognition produces) shared by every output, and
each output (department, type, urgency, emergency) is a linear SVM head on those features,
calibrated with Platt sigmoids fitted on cross-validated decisions (one linear model fitted on
all data, ``ensemble=False``): the probabilities can be shown and thresholded, and the one
linear model's weights × TF-IDF values explain a decision (the ``evidence`` words). (A
LogisticRegression head was tried: 0.58 department accuracy against 0.70 for the calibrated
LinearSVC on a validation split, at every C tried.)

Fitting uses scikit-learn; the fitted object keeps only what prediction needs — vocabularies,
IDF weights, the heads' stacked weights and calibration — as plain numpy arrays, so loading a
model and predicting import neither scikit-learn nor scipy. One text costs one dictionary pass
over its words, one sorted-array search of its packed character n-grams and one product with
the stacked weights. Right after ``fit`` the
scikit-learn parts are kept in ``fitted_`` (not persisted); tests hold the fast path equal to
``FeatureUnion.transform`` and each head's ``predict_proba``.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.text import normalize, tokenize_normalized

if TYPE_CHECKING:
    from scipy import sparse
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import FeatureUnion

MAX_CHAR_FEATURES = 200_000
CHAR_NGRAMS = (1, 3)
# Inverse regularisation of every head, chosen on a validation split carved out of the
# training split (docs/classifier.md); never on the test split.
DEFAULT_C = 0.5
CALIBRATION_FOLDS = 3
WORDS, CHARS = "words", "chars"
# scikit-learn's character analyzer: lower case, runs of white space as one space.
_WHITE_SPACES = re.compile(r"\s\s+")


def words_and_bigrams(normalized: str) -> list[str]:
    words = tokenize_normalized(normalized)
    return [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]


_CODE_POINT_BITS = np.uint64(21)  # Unicode needs 21 bits, so three fit in a uint64


def pack_term(term: str) -> int:
    """One character n-gram (n ≤ 3) as an integer: each code point + 1 in 21 bits, so no two
    n-grams, of the same or different lengths, share a key."""
    key = 0
    for char in term:
        key = (key << 21) | (ord(char) + 1)
    return key


def packed_char_ngrams(normalized: str) -> np.ndarray:
    """The keys (:func:`pack_term`) of every character 1–3-gram of the text, computed in numpy:
    looking 750 keys up in a sorted array costs a fraction of 750 dictionary look-ups."""
    text = _WHITE_SPACES.sub(" ", normalized.lower())
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + 1
    bigrams = (points[:-1] << _CODE_POINT_BITS) | points[1:]
    trigrams = (bigrams[:-1] << _CODE_POINT_BITS) | points[2:]
    return np.concatenate([points, bigrams, trigrams])


def build_features() -> FeatureUnion:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            (
                WORDS,
                TfidfVectorizer(
                    analyzer=words_and_bigrams, sublinear_tf=True, min_df=1, dtype=np.float32
                ),
            ),
            (
                CHARS,
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=CHAR_NGRAMS,
                    sublinear_tf=True,
                    min_df=2,
                    max_features=MAX_CHAR_FEATURES,
                    dtype=np.float32,
                ),
            ),
        ]
    )


def build_head(smallest_class: int, c: float) -> CalibratedClassifierCV:
    """A fresh linear SVM head (classes balanced, so rare ones are not drowned), calibrated on
    as many folds as the rarest class allows."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    if smallest_class < 2:
        raise ValueError("every label needs at least 2 examples to calibrate probabilities")
    return CalibratedClassifierCV(
        LinearSVC(C=c, class_weight="balanced"),
        method="sigmoid",
        cv=min(CALIBRATION_FOLDS, smallest_class),
        ensemble=False,
    )


@dataclass
class FeatureBlock:
    """One fitted TF-IDF vectoriser reduced to what transforming a text needs."""

    analyzer: str  # WORDS or CHARS
    vocabulary: dict[str, int]
    idf: np.ndarray
    offset: int  # the block's first column in the shared features
    # CHARS only: the vocabulary as sorted packed keys (see pack_term) and their columns.
    packed_keys: np.ndarray | None = None
    packed_columns: np.ndarray | None = None

    @classmethod
    def fitted(
        cls, analyzer: str, vocabulary: dict[str, int], idf: np.ndarray, offset: int
    ) -> FeatureBlock:
        block = cls(analyzer, vocabulary, idf.astype(np.float32), offset)
        if analyzer == CHARS:
            keys = np.array([pack_term(term) for term in vocabulary], dtype=np.uint64)
            columns = np.array(list(vocabulary.values()), dtype=np.int32)
            order = np.argsort(keys)
            block.packed_keys, block.packed_columns = keys[order], columns[order]
        return block

    def columns(self, normalized: str) -> np.ndarray:
        """The block's column of every term occurrence in the text (repeats kept)."""
        if self.packed_keys is None or self.packed_columns is None:
            found = map(self.vocabulary.get, words_and_bigrams(normalized))
            return np.array([c for c in found if c is not None], dtype=np.int32)
        keys = packed_char_ngrams(normalized)
        if not len(self.packed_keys):
            return np.empty(0, dtype=np.int32)
        positions = np.minimum(np.searchsorted(self.packed_keys, keys), len(self.packed_keys) - 1)
        known = self.packed_keys[positions] == keys
        return self.packed_columns[positions[known]]


@dataclass
class Head:
    """One output: its classes, its columns in the stacked weights, its calibration."""

    classes: np.ndarray
    columns: slice
    slopes: np.ndarray  # Platt sigmoid per column: p = 1 / (1 + exp(slope * decision + offset))
    offsets: np.ndarray


@dataclass
class FittedParts:
    """The scikit-learn objects a fit produced, for inspection and tests; never persisted."""

    features: FeatureUnion
    heads: dict[str, CalibratedClassifierCV]


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


class RoutingPipeline:
    """Raw text in, every output's probabilities out (scikit-learn style: ``fit``,
    ``transform``, ``predict_proba``, ``predict``)."""

    def __init__(self, c: float = DEFAULT_C) -> None:
        self.c = c
        self.blocks: list[FeatureBlock] = []
        self.heads: dict[str, Head] = {}
        self.weights = np.zeros((0, 0), dtype=np.float32)  # (n_features, all heads' columns)
        self.intercepts = np.zeros(0, dtype=np.float64)
        self.fitted_: FittedParts | None = None

    # -- fitting -------------------------------------------------------------------------------

    def fit(
        self, texts: Sequence[str], targets: Mapping[str, Sequence[str | None]]
    ) -> RoutingPipeline:
        """Fit the shared features on every text, then one head per output on the texts that
        carry a label for it (``None`` = this text has no label for that output)."""
        if not targets:
            raise ValueError("nothing to learn: no output labels given")
        for name, labels in targets.items():
            if len(labels) != len(texts):
                raise ValueError(f"{name}: {len(labels)} labels for {len(texts)} texts")
        normalized = [normalize(text) for text in texts]
        features = build_features()
        matrix = features.fit_transform(normalized).tocsr()
        blocks, offset = [], 0
        for name, vectorizer in features.transformer_list:
            # Terms cut by min_df/max_features, kept by scikit-learn only for introspection.
            vectorizer.stop_words_ = None
            vocabulary = {str(term): int(column) for term, column in vectorizer.vocabulary_.items()}
            blocks.append(FeatureBlock.fitted(name, vocabulary, vectorizer.idf_, offset))
            offset += len(vectorizer.idf_)
        fitted_heads, heads, weights, intercepts, start = {}, {}, [], [], 0
        for name, labels in targets.items():
            rows = [i for i, label in enumerate(labels) if label is not None]
            known = [labels[i] for i in rows]
            head = build_head(min(Counter(known).values()), self.c).fit(matrix[rows], known)
            calibrated = head.calibrated_classifiers_[0]
            svm = calibrated.estimator
            width = svm.coef_.shape[0]
            heads[name] = Head(
                np.asarray(head.classes_),
                slice(start, start + width),
                np.array([sigmoid.a_ for sigmoid in calibrated.calibrators]),
                np.array([sigmoid.b_ for sigmoid in calibrated.calibrators]),
            )
            weights.append(svm.coef_.T)
            intercepts.append(svm.intercept_)
            fitted_heads[name] = head
            start += width
        self.blocks = blocks
        self.heads = heads
        self.weights = np.ascontiguousarray(np.hstack(weights), dtype=np.float32)
        self.intercepts = np.concatenate(intercepts).astype(np.float64)
        self.fitted_ = FittedParts(features, fitted_heads)
        return self

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "fitted_": None}

    # -- prediction ----------------------------------------------------------------------------

    @property
    def outputs(self) -> list[str]:
        return list(self.heads)

    @property
    def classes_(self) -> dict[str, np.ndarray]:
        return {name: head.classes for name, head in self.heads.items()}

    @property
    def n_features(self) -> int:
        return self.weights.shape[0]

    def feature_names(self) -> np.ndarray:
        """Every column's term (words and bigrams, then character n-grams)."""
        names = np.empty(self.n_features, dtype=object)
        for block in self.blocks:
            for term, column in block.vocabulary.items():
                names[block.offset + column] = term
        return names

    def head_weights(self, name: str) -> np.ndarray:
        """(n_features, n_columns) weights of one head: one column per class, or one for a
        binary head (for its second class)."""
        return self.weights[:, self.heads[name].columns]

    def vectorize(self, normalized: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and TF-IDF values of one normalised text: sublinear term frequency ×
        IDF, each block L2-normalised, as scikit-learn computes them."""
        indices, values = [], []
        for block in self.blocks:
            found = block.columns(normalized)
            if not len(found):
                continue
            columns, counts = np.unique(found, return_counts=True)
            tfidf = (np.log(counts.astype(np.float32)) + 1.0) * block.idf[columns]
            tfidf /= np.sqrt(np.dot(tfidf, tfidf))
            indices.append(columns + block.offset)
            values.append(tfidf)
        if not indices:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        return np.concatenate(indices), np.concatenate(values)

    def probabilities(self, rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
        """Every head's class probabilities for rows of :meth:`vectorize`."""
        decisions = np.empty((len(rows), self.weights.shape[1]), dtype=np.float64)
        for position, (indices, values) in enumerate(rows):
            decisions[position] = values @ self.weights[indices]
        decisions += self.intercepts
        out = {}
        for name, head in self.heads.items():
            positive = _sigmoid(-(head.slopes * decisions[:, head.columns] + head.offsets))
            if positive.shape[1] == 1:  # binary head: one calibrator, for the second class
                out[name] = np.hstack([1.0 - positive, positive])
                continue
            totals = positive.sum(axis=1, keepdims=True)
            uniform = np.full_like(positive, 1.0 / positive.shape[1])
            safe = np.where(totals > 0, totals, 1.0)
            out[name] = np.where(totals > 0, positive / safe, uniform)
        return out

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The shared features of raw texts as a CSR matrix (scikit-learn's layout)."""
        from scipy import sparse

        rows = [self.vectorize(normalize(text)) for text in texts]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(indices) for indices, _ in rows], out=indptr[1:])
        indices = np.concatenate([i for i, _ in rows]) if rows else np.empty(0, np.int32)
        data = np.concatenate([v for _, v in rows]) if rows else np.empty(0, np.float32)
        matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), self.n_features))
        matrix.sort_indices()
        return matrix

    def predict_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        return self.probabilities([self.vectorize(normalize(text)) for text in texts])

    def predict(self, texts: Sequence[str]) -> dict[str, list[str]]:
        return {
            name: [str(self.heads[name].classes[k]) for k in np.argmax(probabilities, axis=1)]
            for name, probabilities in self.predict_proba(texts).items()
        }
