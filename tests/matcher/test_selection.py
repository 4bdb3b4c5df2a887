from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from matcher import Matcher, synthetic
from matcher.ranking import exact_at, score_experts, select_top, upper_bound


@pytest.fixture(scope="module")
def corpus() -> Matcher:
    return Matcher(n_jobs=1).fit(synthetic.experts(1500, seed=5))


@pytest.mark.parametrize("two_sided", [False, True])
def test_pruned_top_k_equals_brute_force_over_every_expert(corpus: Matcher, two_sided: bool) -> None:
    views = corpus._views(two_sided, "issue")
    experts = corpus.experts_
    for issue in synthetic.issues(25, seed=6):
        scores = score_experts(corpus.issue_query(issue), experts, None, views)
        every = exact_at(scores, experts, np.arange(experts.n_slots))
        every = np.where(scores.mask, every, -np.inf)
        brute = sorted(
            (i for i in range(len(every)) if np.isfinite(every[i])), key=lambda i: (-every[i], experts.ids[i])
        )
        chosen = select_top(
            upper_bound(scores, experts, None),
            partial(exact_at, scores, experts),
            scores.mask,
            experts.ids,
            10,
        )
        assert [slot for slot, _ in chosen] == brute[:10]


def test_upper_bound_is_never_below_the_exact_score(corpus: Matcher) -> None:
    views = corpus._views(False, "issue")
    experts = corpus.experts_
    for issue in synthetic.issues(10, seed=7):
        scores = score_experts(corpus.issue_query(issue), experts, None, views)
        exact = exact_at(scores, experts, np.arange(experts.n_slots))
        assert np.all(upper_bound(scores, experts, None) >= exact)
