from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.parallel import analyze_many, split_joined
from matcher.vectorize import fit_tfidf

TEXTS = ["RPAで業務効率化", "ドローンで農地を空撮", "RPAとドローンの導入支援", "漁業のデータ化と業務効率化"]


def test_rows_equal_scikit_learn_tfidf_vectorizer() -> None:
    tokens = analyze_many(TEXTS)
    _, matrix = fit_tfidf(["\x1f".join(t) for t in tokens])
    reference = TfidfVectorizer(analyzer=split_joined, sublinear_tf=True).fit_transform(
        ["\x1f".join(t) for t in tokens]
    )
    assert np.allclose(matrix.to_scipy().toarray(), reference.toarray(), atol=1e-6)


def test_transform_of_a_fitted_text_equals_its_fitted_row() -> None:
    tokens = analyze_many(TEXTS)
    model, matrix = fit_tfidf(["\x1f".join(t) for t in tokens])
    idx, val = model.transform(tokens[2])
    assert np.array_equal(idx, matrix.row(2)[0]) and np.array_equal(val, matrix.row(2)[1])


def test_rows_are_unit_length() -> None:
    _, matrix = fit_tfidf(["\x1f".join(t) for t in analyze_many(TEXTS)])
    assert np.allclose([np.linalg.norm(matrix.row(i)[1]) for i in range(matrix.n_rows)], 1.0, atol=1e-6)


def test_fast_postings_kernel_equals_the_public_scipy_product() -> None:
    from scipy.sparse import random as sparse_random

    from matcher.collection import _sparsetools_matvec

    postings = sparse_random(50, 400, density=0.2, format="csr", dtype=np.float32, random_state=0)
    idx = np.array([1, 7, 8, 30], dtype=np.int32)
    val = np.array([0.5, 0.25, 0.1, 0.9], dtype=np.float32)
    assert np.array_equal(_sparsetools_matvec(postings, idx, val), postings[idx].T @ val)
