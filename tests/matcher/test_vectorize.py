from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from matcher import parallel
from matcher.parallel import analyze_many, count_terms
from matcher.text import analyze
from matcher.vectorize import MIN_DOCS_FOR_MAX_DF, fit_tfidf

TEXTS = ["RPAで業務効率化", "ドローンで農地を空撮", "RPAとドローンの導入支援", "漁業のデータ化と業務効率化"]


def _fit(texts: list[str]) -> tuple[object, object]:
    return fit_tfidf(*count_terms(texts, n_jobs=1))


def test_term_counts_equal_scikit_learn_count_vectorizer() -> None:
    terms, counts = count_terms(TEXTS, n_jobs=1)
    reference = CountVectorizer(analyzer=analyze)
    expected = reference.fit_transform(TEXTS)
    assert terms == list(reference.get_feature_names_out())
    assert np.array_equal(counts.to_scipy().toarray(), expected.toarray())


def test_term_counts_from_several_worker_chunks_equal_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_CHUNK", 3)
    texts = TEXTS * 2 + ["観光客の動線をデータで可視化", "ＡＩ－ＯＣＲで申請書を読み取る", ""]
    one_terms, one = count_terms(texts, n_jobs=1)
    many_terms, many = count_terms(texts, n_jobs=2)
    assert many_terms == one_terms
    assert np.array_equal(many.indptr, one.indptr)
    assert np.array_equal(many.indices, one.indices) and np.array_equal(many.data, one.data)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_no_texts_and_texts_without_terms_count_as_empty_rows(n_jobs: int) -> None:
    terms, counts = count_terms([], n_jobs=n_jobs)
    assert terms == [] and counts.n_rows == 0 and counts.nnz == 0
    terms, counts = count_terms(["", "の、は。", "こと"], n_jobs=n_jobs)
    assert terms == [] and counts.n_rows == 3 and counts.nnz == 0


def test_rows_equal_scikit_learn_tfidf_vectorizer() -> None:
    _, matrix = _fit(TEXTS)
    reference = TfidfVectorizer(analyzer=analyze, sublinear_tf=True).fit_transform(TEXTS)
    assert np.allclose(matrix.to_scipy().toarray(), reference.toarray(), atol=1e-6)


def test_terms_in_more_than_half_of_a_large_corpus_are_dropped_like_max_df() -> None:
    texts = [f"業務効率化と{word}" for word in ["農業", "漁業", "観光", "防災", "教育", "交通"] * 4]
    assert len(texts) >= MIN_DOCS_FOR_MAX_DF
    model, matrix = _fit(texts)
    reference = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, max_df=0.5)
    expected = reference.fit_transform(texts)
    assert "業務効率化" not in model.terms
    assert list(model.terms) == list(reference.get_feature_names_out())
    assert np.allclose(matrix.to_scipy().toarray(), expected.toarray(), atol=1e-6)


def test_transform_of_a_fitted_text_equals_its_fitted_row() -> None:
    tokens = analyze_many(TEXTS)
    model, matrix = _fit(TEXTS)
    idx, val = model.transform(tokens[2])
    assert np.array_equal(idx, matrix.row(2)[0]) and np.array_equal(val, matrix.row(2)[1])


def test_rows_are_unit_length() -> None:
    _, matrix = _fit(TEXTS)
    assert np.allclose([np.linalg.norm(matrix.row(i)[1]) for i in range(matrix.n_rows)], 1.0, atol=1e-6)


def test_fast_postings_kernel_equals_the_public_scipy_product() -> None:
    from scipy.sparse import random as sparse_random

    from matcher.collection import _sparsetools_matvec

    postings = sparse_random(50, 400, density=0.2, format="csr", dtype=np.float32, random_state=0)
    idx = np.array([1, 7, 8, 30], dtype=np.int32)
    val = np.array([0.5, 0.25, 0.1, 0.9], dtype=np.float32)
    assert np.array_equal(_sparsetools_matvec(postings, idx, val), postings[idx].T @ val)
