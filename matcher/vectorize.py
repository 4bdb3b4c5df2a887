"""TF-IDF over the analysed tokens (scikit-learn), and a fast numpy transform for queries.

Term counts come from :func:`matcher.parallel.count_terms` (counted inside the tokenising workers); the idf is
fitted with scikit-learn's ``TfidfTransformer`` (``sublinear_tf=True``, ``smooth_idf=True``; the result equals
``TfidfVectorizer``, tested). Rows are then computed by
:meth:`TermModel.weigh`: ``(1 + log tf) * idf``, times a per-feature weight (character n-grams of unknown words
count ``NGRAM_WEIGHT``), l2-normalised so dot products are cosines. Queries use the same code without
importing scikit-learn (tested against ``TfidfVectorizer.transform``).
"""

from __future__ import annotations

import bisect
import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .exceptions import EmptyCorpusError
from .sparse import Csr, Float32Array, Row
from .text import NGRAM, SUDACHI_SYN, group_of

#: Weight of the character-bigram view of unknown words relative to whole terms.
NGRAM_WEIGHT = 0.5
#: Terms in more than this share of documents carry no signal (boilerplate like 推進, 支援).
MAX_DF = 0.5
#: Below this corpus size ``MAX_DF`` is not applied (it would delete real terms of tiny corpora).
MIN_DOCS_FOR_MAX_DF = 20


# 1 + log(tf) as a table: float32 np.log may round differently on SIMD and scalar paths (array length), which
# would make an indexed text and the same text tokenised on the fly differ in the last bit.
_UNKNOWN_GROUP = -2
#: Feature kinds (see :attr:`TermModel.kinds`).
WORD, GROUP, NGRAM_KIND = 0, 1, 2
_SUBLINEAR_TF = np.concatenate([[0.0], 1.0 + np.log(np.arange(1, 1 << 16, dtype=np.float64))]).astype(
    np.float32
)


@dataclass(frozen=True)
class TermModel:
    """The fitted vocabulary: terms, idf and per-feature weights.

    Attributes
    ----------
    terms : tuple of str
        Feature names, sorted (the column order of every matrix).
    groups : ndarray of int32
        Per feature, the column of its synonym-group token (filled lazily, see :meth:`group_features`).
    idf : ndarray of float32
        Inverse document frequency per feature (scikit-learn's smoothed idf).
    weights : ndarray of float32
        Per-feature weight (1.0, or ``NGRAM_WEIGHT`` for ``#`` n-grams).
    """

    terms: tuple[str, ...]
    idf: Float32Array
    weights: Float32Array
    groups: npt.NDArray[np.int32]

    @classmethod
    def create(cls, terms: Sequence[str], idf: Float32Array) -> TermModel:
        """Build the model from sorted terms and their idf."""
        weights = np.ones(len(terms), dtype=np.float32)
        # Terms are sorted, so the "#" n-grams form one block: found by bisection, not a scan of the vocabulary.
        weights[bisect.bisect_left(terms, NGRAM) : bisect.bisect_left(terms, chr(ord(NGRAM) + 1))] = (
            NGRAM_WEIGHT
        )
        groups = np.full(len(terms), _UNKNOWN_GROUP, dtype=np.int32)
        return cls(tuple(terms), idf.astype(np.float32), weights, groups)

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """Return term → column (built on first use, keeping index loading fast)."""
        return {t: i for i, t in enumerate(self.terms)}

    @functools.cached_property
    def kinds(self) -> list[int]:
        """Return, per feature, ``WORD``, ``GROUP`` (``syn…`` token) or ``NGRAM_KIND`` (computed on first use)."""
        return [
            NGRAM_KIND if t.startswith(NGRAM) else GROUP if t.startswith(SUDACHI_SYN) else WORD
            for t in self.terms
        ]

    def group_features(self, features: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
        """Return, per feature, the column of the synonym-group token it emits (-1 if none).

        Filled lazily (one dictionary look-up per feature ever asked for); concurrent fills write the same
        value, so no lock is needed.
        """
        found = self.groups[features]
        for feature in features[found == _UNKNOWN_GROUP].tolist():
            group = group_of(self.terms[feature])
            self.groups[feature] = self.index.get(group, -1) if group is not None else -1
        return self.groups[features]

    def transform(self, tokens: Sequence[str]) -> Row:
        """Return the l2-normalised weighted TF-IDF row of one token list (unknown terms are ignored)."""
        counts = Counter(self.index[t] for t in tokens if t in self.index)
        idx = np.fromiter(sorted(counts), dtype=np.int32, count=len(counts))
        values = np.array([counts[i] for i in idx.tolist()], dtype=np.float32)
        row = self.weigh(Csr(np.array([0, len(idx)], dtype=np.int64), idx, values, len(self.terms)))
        return row.indices, row.data

    def weigh(self, counts: Csr) -> Csr:
        """Turn raw term counts into rows of ``(1 + log tf) * idf * weight``, each l2-normalised.

        The same code serves fitting (all rows) and queries (one row), so a text scores identically whether it
        was indexed or tokenised on the fly.
        """
        tf = _SUBLINEAR_TF[np.minimum(counts.data.astype(np.int64), len(_SUBLINEAR_TF) - 1)]
        data = tf * self.idf[counts.indices] * self.weights[counts.indices]
        lengths = np.diff(counts.indptr)
        # Every row is reduced as a non-final segment (the appended 0 is the final one): reduceat sums the
        # final segment differently, and one row alone must sum exactly as it does inside a large matrix.
        squares = np.add.reduceat(np.append(data * data, np.float32(0.0)), counts.indptr)[:-1]
        norms = np.where(lengths > 0, np.sqrt(squares), np.float32(1.0)).astype(np.float32)
        return Csr(
            counts.indptr,
            counts.indices,
            (data / np.repeat(norms, lengths)).astype(np.float32),
            counts.n_cols,
        )


def prepare_fit() -> None:
    """Import what :func:`fit_tfidf` needs (scikit-learn: about a second), e.g. while workers tokenise."""
    import sklearn.feature_extraction.text  # noqa: F401


def fit_tfidf(terms: Sequence[str], counts: Csr) -> tuple[TermModel, Csr]:
    """Fit the idf (scikit-learn's ``TfidfTransformer``) on raw term counts; return the model and the rows.

    ``terms`` and ``counts`` come from :func:`matcher.parallel.count_terms`. Terms in more than ``MAX_DF`` of
    the documents are dropped first (``CountVectorizer(max_df=MAX_DF)``, from ``MIN_DOCS_FOR_MAX_DF``
    documents on), so the result equals ``TfidfVectorizer(sublinear_tf=True, max_df=...)`` (tested).

    Raises
    ------
    EmptyCorpusError
        If no term is left.
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    terms, counts = _drop_frequent(terms, counts)
    if not terms:
        raise EmptyCorpusError("no index term left / 索引できる語がありません")
    idf = TfidfTransformer(sublinear_tf=True, smooth_idf=True, norm="l2").fit(counts.to_scipy()).idf_
    model = TermModel.create(terms, np.asarray(idf))
    return model, model.weigh(counts)


def _drop_frequent(terms: Sequence[str], counts: Csr) -> tuple[Sequence[str], Csr]:
    # CountVectorizer's max_df: keep terms whose document frequency is at most MAX_DF * n_documents.
    if counts.n_rows < MIN_DOCS_FOR_MAX_DF:
        return terms, counts
    df = np.bincount(counts.indices, minlength=len(terms))
    keep = df <= MAX_DF * counts.n_rows
    if keep.all():
        return terms, counts
    new_column = (np.cumsum(keep) - 1).astype(np.int32)
    kept = keep[counts.indices]
    rows = np.repeat(np.arange(counts.n_rows), np.diff(counts.indptr))[kept]
    indptr = np.zeros(counts.n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=counts.n_rows), out=indptr[1:])
    remaining = [t for t, k in zip(terms, keep.tolist()) if k]
    return remaining, Csr(indptr, new_column[counts.indices[kept]], counts.data[kept], len(remaining))
