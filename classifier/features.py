"""One fitted object from raw text to every output: normalise → shared features → linear heads.

``RoutingPipeline`` is fitted once and persisted whole. Its feature step is four scikit-learn
TF-IDF vectorisers shared by every output: jieba words and character 1–2-grams of the whole text
(character n-grams survive the wrong characters speech recognition produces; that block weighs
1.5× the word block), and the same two again of the text's first ``OPENING_CHARS`` characters
(a message's subject, a call's matter, weighted 0.7 each; ``BLOCKS``). Each output
(department, type, urgency, emergency) is a linear SVM head on those features (for the
department, Naive-Bayes-scaled: ``classifier.heads``), calibrated with Platt sigmoids fitted on
cross-validated decisions (one linear model fitted on all data, ``ensemble=False``): the
probabilities can be shown and thresholded, and the one linear model's weights × TF-IDF
values explain a decision (the ``evidence`` words). (A LogisticRegression head was tried: 0.58
department accuracy against 0.70 for the calibrated LinearSVC on a validation split, at every
C tried.)

Fitting uses scikit-learn; the fitted object keeps only what prediction needs — the
segmentation dictionary, vocabularies, IDF weights, the heads' stacked weights and
calibration — as plain numpy arrays, so loading a model and predicting neither load jieba's
dictionary nor import scikit-learn or scipy. A batch of texts is featurised at once, in numpy: its words
(``classifier.segment``) and packed character n-grams are looked up in hash tables
of the vocabulary, TF-IDF is computed for all texts together and the heads' decisions are one
product with the stacked weights. Right after ``fit`` the scikit-learn parts are kept in
``fitted_`` (not persisted); tests hold the fast path equal to scikit-learn's vectorisers and
each head's ``predict_proba``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.segment import KeyTable, SegmentDictionary, join_texts, segment, string_key
from classifier.text import domain_dictionary, normalize, tokenize_normalized

if TYPE_CHECKING:
    from scipy import sparse
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer

MAX_CHAR_FEATURES = 200_000
CHAR_NGRAMS = (1, 2)
# Inverse regularisation of every head, chosen on a validation split carved out of the
# training split (docs/classifier.md); never on the test split.
DEFAULT_C = 0.5
CALIBRATION_FOLDS = 3
WORDS, CHARS = "words", "chars"  # a block's analyzer: jieba words or character n-grams
# The opening blocks read only this many characters from the start of a normalised text.
OPENING_CHARS = 20


def leading_part(normalized: Sequence[str], opening: int | None) -> Sequence[str]:
    """The texts' first ``opening`` characters, or the whole texts when ``opening`` is None."""
    if opening is None:
        return normalized
    return [text[:opening] for text in normalized]


@dataclass(frozen=True)
class BlockSpec:
    """One block of the shared features: a TF-IDF vectoriser's analyzer, the part of the
    text it reads and the weight its L2-normalised values are scaled by."""

    analyzer: str  # WORDS or CHARS
    weight: float
    opening: int | None = None  # read only the first this many characters, else the whole text
    min_df: int = 1

    def part(self, normalized: Sequence[str]) -> Sequence[str]:
        return leading_part(normalized, self.opening)


# Each block is L2-normalised on its own, then scaled by its weight. Words 1.0 and character
# 1–2-grams 1.5 (no word pairs) were chosen together by repeated 5-fold cross-validation on
# training data only (docs/classifier.md): department macro-F1 +0.012 on the corpus (15 of 15
# folds) and +0.003 on the public-benchmark proxy (9 of 10). The opening blocks — the same
# words and character n-grams once more, from the first OPENING_CHARS characters, where a
# message's subject or a call's matter usually stands — were added by the same kind of
# cross-validation (5-fold × 2 seeds): +0.005 on the public benchmark's train.csv (9 of 10
# folds), +0.0025 on the corpus (7 of 10).
BLOCKS = (
    BlockSpec(WORDS, 1.0),
    BlockSpec(CHARS, 1.5, min_df=2),
    BlockSpec(WORDS, 0.7, opening=OPENING_CHARS),
    BlockSpec(CHARS, 0.7, opening=OPENING_CHARS),
)
# Outputs whose head is NaiveBayesScaledSVC (classifier.heads); the others are plain LinearSVC.
# By the same cross-validation the scaling helps the department head on the public-benchmark
# proxy (+0.006 macro-F1, 10 of 10 folds) and costs the emergency head recall (0.97–0.98 →
# 0.95 of emergencies at p ≥ 0.1, the model alone), so only the department head has it.
SCALED_OUTPUTS = frozenset({"department"})
# scikit-learn's character analyzer: lower case, runs of white space as one space.
_WHITE_SPACES = re.compile(r"\s\s+")
# Texts featurised per product with the weights: bounds the (terms × outputs) temporary.
_DECISION_CHUNK = 256


def _terms_as_given(terms: list[str]) -> list[str]:
    """The word vectoriser's analyzer: documents arrive already cut into terms."""
    return terms


_CODE_POINT_BITS = np.uint64(21)  # Unicode needs 21 bits, so three fit in a uint64


def pack_term(term: str) -> int:
    """One character n-gram (n ≤ 3) as an integer: each code point + 1 in 21 bits, so no two
    n-grams, of the same or different lengths, share a key."""
    key = 0
    for char in term:
        key = (key << 21) | (ord(char) + 1)
    return key


def packed_char_ngrams_many(normalized: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(owners, keys): the key (:func:`pack_term`) of every character n-gram (n in
    ``CHAR_NGRAMS``) of each text, as scikit-learn's ``char`` analyzer cuts them, with the index
    of the text it came from."""
    texts = [_WHITE_SPACES.sub(" ", text.lower()) for text in normalized]
    joined, offsets = join_texts(texts)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(
        np.uint64
    ) + np.uint64(1)
    inside = np.ones(len(points), dtype=bool)
    inside[offsets[1:] - 1] = False  # the separators, by position: a text may hold the char
    # The joined text ends with a separator, so an n-gram whose first n - 1 characters are
    # inside a text can always read its n-th.
    starts, keys = np.flatnonzero(inside), points[inside]
    all_starts, all_keys = [], []
    for n in range(1, CHAR_NGRAMS[1] + 1):
        if n > 1:
            longer = inside[starts + n - 1]
            starts = starts[longer]
            keys = (keys[longer] << _CODE_POINT_BITS) | points[starts + n - 1]
        if n >= CHAR_NGRAMS[0]:
            all_starts.append(starts)
            all_keys.append(keys)
    owners = np.searchsorted(offsets, np.concatenate(all_starts), side="right") - 1
    return owners, np.concatenate(all_keys)


def packed_char_ngrams(normalized: str) -> np.ndarray:
    """The keys of one text's character n-grams (see :func:`packed_char_ngrams_many`)."""
    return packed_char_ngrams_many([normalized])[1]


def build_vectorizer(spec: BlockSpec) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    if spec.analyzer == WORDS:
        return TfidfVectorizer(
            analyzer=_terms_as_given, sublinear_tf=True, min_df=spec.min_df, dtype=np.float32
        )
    return TfidfVectorizer(
        analyzer="char",
        ngram_range=CHAR_NGRAMS,
        sublinear_tf=True,
        min_df=spec.min_df,
        max_features=MAX_CHAR_FEATURES,
        dtype=np.float32,
    )


def build_head(smallest_class: int, c: float, scaled: bool) -> CalibratedClassifierCV:
    """A fresh linear SVM head (classes balanced, so rare ones are not drowned; with ``scaled``,
    on Naive-Bayes-scaled features), calibrated on as many folds as the rarest class allows."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    from classifier.heads import NaiveBayesScaledSVC

    if smallest_class < 2:
        raise ValueError("every label needs at least 2 examples to calibrate probabilities")
    svm = NaiveBayesScaledSVC(C=c) if scaled else LinearSVC(C=c, class_weight="balanced")
    return CalibratedClassifierCV(
        svm,
        method="sigmoid",
        cv=min(CALIBRATION_FOLDS, smallest_class),
        ensemble=False,
    )


@dataclass
class FeatureBlock:
    """One fitted TF-IDF vectoriser reduced to what transforming texts needs."""

    analyzer: str  # WORDS or CHARS
    vocabulary: dict[str, int]
    idf: np.ndarray
    offset: int  # the block's first column in the shared features
    table: KeyTable  # each column's term key (string_key for words, pack_term for chars)
    weight: float  # the block's L2-normalised values are scaled by it
    # The block reads only this many leading characters (None: all). The default lets models
    # pickled before opening blocks existed load unchanged.
    opening: int | None = None

    @classmethod
    def fitted(
        cls, spec: BlockSpec, vocabulary: dict[str, int], idf: np.ndarray, offset: int
    ) -> FeatureBlock:
        key = pack_term if spec.analyzer == CHARS else string_key
        keys = np.zeros(len(vocabulary), dtype=np.uint64)
        for term, column in vocabulary.items():
            keys[column] = key(term)
        return cls(
            spec.analyzer,
            vocabulary,
            idf.astype(np.float32),
            offset,
            KeyTable(keys),
            spec.weight,
            spec.opening,
        )

    def occurrences(
        self, normalized: Sequence[str], dictionary: SegmentDictionary
    ) -> tuple[np.ndarray, np.ndarray]:
        """(owners, columns): the shared-features column of every term occurrence in each text
        (repeats kept), with the index of the text it occurs in."""
        normalized = leading_part(normalized, self.opening)
        if self.analyzer == CHARS:
            owners, keys = packed_char_ngrams_many(normalized)
        else:
            tokens = segment(dictionary, normalized)
            owners, keys = tokens.owners, tokens.keys
        columns = self.table.rows(keys)
        known = columns >= 0
        return owners[known], columns[known] + self.offset


@dataclass
class SparseRows:
    """Feature rows in scikit-learn's CSR layout: row i is ``indices/values[indptr[i]:indptr[i+1]]``."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[index], self.indptr[index + 1]
        return self.indices[start:end], self.values[start:end]


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

    vectorizers: list[TfidfVectorizer]  # one per block of BLOCKS, in order
    heads: dict[str, CalibratedClassifierCV]

    def transform(self, normalized: Sequence[str]) -> sparse.csr_matrix:
        """scikit-learn's own features of normalised texts (words cut one text at a time)."""
        blocks = []
        for spec, vectorizer in zip(BLOCKS, self.vectorizers, strict=True):
            part = spec.part(normalized)
            if spec.analyzer == WORDS:
                part = [tokenize_normalized(text) for text in part]
            blocks.append(vectorizer.transform(part))
        return stack_blocks(blocks)


def stack_blocks(blocks: Sequence[sparse.csr_matrix]) -> sparse.csr_matrix:
    """The shared features: each block of BLOCKS scaled by its weight, side by side."""
    from scipy import sparse

    weighted = [block * spec.weight for spec, block in zip(BLOCKS, blocks, strict=True)]
    return sparse.hstack(weighted).tocsr()


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


class RoutingPipeline:
    """Raw text in, every output's probabilities out (scikit-learn style: ``fit``,
    ``transform``, ``predict_proba``, ``predict``)."""

    def __init__(self, c: float = DEFAULT_C) -> None:
        self.c = c
        self.dictionary: SegmentDictionary | None = None  # jieba's, as it was when fitted
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
        dictionary = domain_dictionary()
        vectorizers = [build_vectorizer(spec) for spec in BLOCKS]
        fitted_blocks = []
        for spec, vectorizer in zip(BLOCKS, vectorizers, strict=True):
            part = spec.part(normalized)
            documents = segment(dictionary, part).words() if spec.analyzer == WORDS else part
            fitted_blocks.append(vectorizer.fit_transform(documents))
        matrix = stack_blocks(fitted_blocks)
        blocks, offset = [], 0
        for spec, vectorizer in zip(BLOCKS, vectorizers, strict=True):
            # Terms cut by min_df/max_features, kept by scikit-learn only for introspection.
            vectorizer.stop_words_ = None
            vocabulary = {str(term): int(column) for term, column in vectorizer.vocabulary_.items()}
            blocks.append(FeatureBlock.fitted(spec, vocabulary, vectorizer.idf_, offset))
            offset += len(vectorizer.idf_)
        fitted_heads, heads, weights, intercepts, start = {}, {}, [], [], 0
        for name, labels in targets.items():
            rows = [i for i, label in enumerate(labels) if label is not None]
            known = [labels[i] for i in rows]
            smallest = min(Counter(known).values())
            head = build_head(smallest, self.c, name in SCALED_OUTPUTS).fit(matrix[rows], known)
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
        self.dictionary = dictionary
        self.blocks = blocks
        self.heads = heads
        self.weights = np.ascontiguousarray(np.hstack(weights), dtype=np.float32)
        self.intercepts = np.concatenate(intercepts).astype(np.float64)
        self.fitted_ = FittedParts(vectorizers, fitted_heads)
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

    def head_weights(self, name: str) -> np.ndarray:
        """(n_features, n_columns) weights of one head: one column per class, or one for a
        binary head (for its second class)."""
        return self.weights[:, self.heads[name].columns]

    def vectorize_many(self, normalized: Sequence[str]) -> SparseRows:
        """TF-IDF rows of normalised texts: sublinear term frequency × IDF, each block
        L2-normalised as scikit-learn computes them, then scaled by the block's weight."""
        if self.dictionary is None:
            raise ValueError("this pipeline is not fitted")
        found = [block.occurrences(normalized, self.dictionary) for block in self.blocks]
        owners = np.concatenate([o for o, _ in found])
        columns = np.concatenate([c for _, c in found])
        cells, counts = np.unique(owners * self.n_features + columns, return_counts=True)
        owners, columns = cells // self.n_features, cells % self.n_features
        idf = np.concatenate([block.idf for block in self.blocks])
        values = (np.log(counts.astype(np.float32)) + np.float32(1.0)) * idf[columns]
        starts = np.array([block.offset for block in self.blocks])
        norm_cells = owners * len(self.blocks) + np.searchsorted(starts, columns, side="right") - 1
        squares = np.bincount(norm_cells, weights=values * values)
        block_weights = np.array([block.weight for block in self.blocks], dtype=np.float32)
        values *= block_weights[norm_cells % len(self.blocks)] / np.sqrt(
            squares[norm_cells]
        ).astype(np.float32)
        indptr = np.searchsorted(owners, np.arange(len(normalized) + 1))
        return SparseRows(indptr, columns.astype(np.int32), values)

    def probabilities(self, rows: SparseRows) -> dict[str, np.ndarray]:
        """Every head's class probabilities for rows of :meth:`vectorize_many`."""
        decisions = np.zeros((len(rows), self.weights.shape[1]), dtype=np.float64)
        filled = np.flatnonzero(np.diff(rows.indptr))
        for chunk in range(0, len(filled), _DECISION_CHUNK):
            texts = filled[chunk : chunk + _DECISION_CHUNK]
            low, high = rows.indptr[texts[0]], rows.indptr[texts[-1] + 1]
            terms = self.weights[rows.indices[low:high]] * rows.values[low:high, None]
            decisions[texts] = np.add.reduceat(terms, rows.indptr[texts] - low, axis=0)
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

        rows = self.vectorize_many([normalize(text) for text in texts])
        shape = (len(rows), self.n_features)
        return sparse.csr_matrix((rows.values, rows.indices, rows.indptr), shape=shape)

    def predict_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        return self.probabilities(self.vectorize_many([normalize(text) for text in texts]))

    def predict(self, texts: Sequence[str]) -> dict[str, list[str]]:
        return {
            name: [str(self.heads[name].classes[k]) for k in np.argmax(probabilities, axis=1)]
            for name, probabilities in self.predict_proba(texts).items()
        }
