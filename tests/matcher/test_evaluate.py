from __future__ import annotations

import math

import pytest

from matcher.evaluate import dcg, ndcg, recall, reciprocal_rank


def test_dcg_uses_the_exponential_gain() -> None:
    assert dcg([3, 1]) == pytest.approx(7 + 1 / math.log2(3))


def test_ndcg_is_one_for_the_ideal_order_and_ignores_unjudged() -> None:
    judged = {"a": 3, "b": 2}
    assert ndcg(["a", "b", "x"], judged, 10) == 1.0
    assert ndcg(["x", "a", "b"], judged, 10) < 1.0


def test_ndcg_is_undefined_without_positive_grades() -> None:
    assert ndcg(["a"], {"a": 0}, 5) is None


def test_reciprocal_rank_counts_grade_two_or_more() -> None:
    assert reciprocal_rank(["a", "b", "c"], {"a": 1, "c": 2}) == pytest.approx(1 / 3)


def test_recall_at_five_is_the_share_of_relevant_found() -> None:
    assert recall(["a", "x", "y", "z", "w", "b"], {"a": 2, "b": 3}, 5) == 0.5
