"""Offline evaluation on graded labels (qrels), against two baselines on the same data.

Metrics (per issue, then averaged over the issues that have at least one judged relevant expert):

* nDCG@k with the exponential gain ``2^grade - 1`` and discount ``log2(rank + 1)``; the ideal ranking is built
  from every judged expert of the issue. Unjudged experts count as grade 0.
* MRR: 1 / rank of the first expert with grade >= 2 (0 if none is retrieved).
* recall@5: share of the grade >= 2 experts found in the top 5.

Issues absent from the qrels are skipped; issues without any grade >= 2 expert are skipped for MRR/recall
and those without any positive grade for nDCG.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .index import Matcher
from .normalize import normalize_text
from .parallel import analyze_many
from .records import ExpertRecord, IssueRecord

RELEVANT = 2
Ranker = Callable[[IssueRecord], list[str]]


def dcg(grades: Sequence[int]) -> float:
    """Return the discounted cumulative gain of grades in rank order (gain ``2^g - 1``)."""
    return float(sum((2.0**g - 1.0) / math.log2(rank + 2) for rank, g in enumerate(grades)))


def ndcg(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float | None:
    """Return nDCG@k, or ``None`` when the issue has no positive grade."""
    ideal = dcg(sorted(judged.values(), reverse=True)[:k])
    if ideal == 0:
        return None
    return dcg([judged.get(id, 0) for id in ranking[:k]]) / ideal


def reciprocal_rank(ranking: Sequence[str], judged: Mapping[str, int]) -> float | None:
    """Return 1/rank of the first grade >= 2 expert (``None`` when the issue has none)."""
    if not any(g >= RELEVANT for g in judged.values()):
        return None
    return next((1.0 / (r + 1) for r, id in enumerate(ranking) if judged.get(id, 0) >= RELEVANT), 0.0)


def recall(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float | None:
    """Return the share of grade >= 2 experts in the top k (``None`` when there are none)."""
    relevant = {id for id, g in judged.items() if g >= RELEVANT}
    if not relevant:
        return None
    return len(relevant & set(ranking[:k])) / len(relevant)


@dataclass(frozen=True)
class Report:
    """Averaged metrics of one system."""

    system: str
    ndcg5: float
    ndcg10: float
    mrr: float
    recall5: float
    n_issues: int


def _mean(values: Sequence[float | None]) -> float:
    kept = [v for v in values if v is not None]
    return round(sum(kept) / len(kept), 4) if kept else 0.0


def score_system(
    name: str, rank: Ranker, issues: Sequence[IssueRecord], qrels: Mapping[str, Mapping[str, int]]
) -> Report:
    """Evaluate one ranker on the issues present in ``qrels``."""
    runs = {i.id: rank(i) for i in issues if i.id in qrels}
    per = [(runs[id], qrels[id]) for id in runs]
    return Report(
        name,
        _mean([ndcg(r, j, 5) for r, j in per]),
        _mean([ndcg(r, j, 10) for r, j in per]),
        _mean([reciprocal_rank(r, j) for r, j in per]),
        _mean([recall(r, j, 5) for r, j in per]),
        len(per),
    )


def matcher_ranker(matcher: Matcher, n: int) -> Ranker:
    """Rank with the fitted matcher (infeasible experts are filtered, as in production)."""
    return lambda issue: [c.id for c in matcher.rank_experts(issue.id, top=n, explain=False)]


def bm25_ranker(
    experts: Sequence[ExpertRecord], tokens: Sequence[list[str]], issue_tokens: Mapping[str, list[str]]
) -> Ranker:
    """Baseline: rank_bm25's BM25Okapi over the matcher's own tokens."""
    from rank_bm25 import BM25Okapi

    bm25 = BM25Okapi([t if t else ["\x00"] for t in tokens])
    ids = [e.id for e in experts]

    def rank(issue: IssueRecord) -> list[str]:
        scores = bm25.get_scores(issue_tokens[issue.id])
        return [ids[i] for i in sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))]

    return rank


def _char_preprocess(text: str) -> str:
    return normalize_text(text).lower()


def char_ranker(experts: Sequence[ExpertRecord], issues: Sequence[IssueRecord]) -> Ranker:
    """Baseline: TF-IDF over character 2-3-grams of the NFKC text, no Sudachi."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=(2, 3), preprocessor=_char_preprocess, sublinear_tf=True
    )
    vectorizer.fit([e.text for e in experts] + [i.text for i in issues])
    matrix = vectorizer.transform([e.text for e in experts])
    ids = [e.id for e in experts]

    def rank(issue: IssueRecord) -> list[str]:
        scores = np.asarray((matrix @ vectorizer.transform([issue.text]).T).toarray()).ravel()
        return [ids[i] for i in sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))]

    return rank


def evaluate(
    experts: Sequence[ExpertRecord], issues: Sequence[IssueRecord], qrels: Mapping[str, Mapping[str, int]]
) -> list[Report]:
    """Evaluate the matcher, its text-only variant and the two baselines on the same data."""
    matcher = Matcher().fit(experts, issues)
    text_only = Matcher(issue_weights={"text": 1.0}).fit(experts, issues)
    tokens = analyze_many([e.text for e in experts])
    issue_tokens = dict(zip([i.id for i in issues], analyze_many([i.text for i in issues])))
    n = len(experts)
    return [
        score_system("matcher", matcher_ranker(matcher, n), issues, qrels),
        score_system("matcher, text part only (filters kept)", matcher_ranker(text_only, n), issues, qrels),
        score_system(
            "bm25 (rank_bm25, same tokens)", bm25_ranker(experts, tokens, issue_tokens), issues, qrels
        ),
        score_system("tfidf char 2-3-gram (no Sudachi)", char_ranker(experts, issues), issues, qrels),
    ]
