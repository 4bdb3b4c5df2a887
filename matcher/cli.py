"""Command-line interface: ``python -m matcher rank | evaluate | bench``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .exceptions import MatcherError
from .index import Matcher
from .jsonl import read_qrels, read_records
from .records import Candidate

EXIT_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m matcher", description="自治体DX課題と外部人材のマッチング"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rank = sub.add_parser("rank", help="rank experts for every issue; one JSON object per issue")
    rank.add_argument("--experts", type=Path, required=True, help="experts JSONL")
    rank.add_argument("--issues", type=Path, required=True, help="issues JSONL")
    rank.add_argument("--top", type=int, default=10)
    rank.add_argument("--two-sided", action="store_true", help="harmonic mean of both views")
    rank.add_argument("--n-jobs", type=int, default=None, help="tokenisation processes")
    ev = sub.add_parser("evaluate", help="nDCG@5/10, MRR, recall@5 against baselines")
    ev.add_argument("--experts", type=Path, required=True)
    ev.add_argument("--issues", type=Path, required=True)
    ev.add_argument("--qrels", type=Path, required=True, help='{"issue_id": {"expert_id": grade 0-3}}')
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    bench = sub.add_parser("bench", help="speed benchmark on synthetic profiles")
    from .bench import add_arguments

    add_arguments(bench)
    return parser


def _ranking_json(candidates: Sequence[Candidate], ids: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"expert_id": ids[c.id], "score": c.score, "parts": dict(c.parts), "reasons": [*c.reasons, *c.unmet]}
        for c in candidates
    ]


def run_rank(args: argparse.Namespace) -> int:
    """Fit on both files and print one ranking per issue, in file order."""
    experts, issues = read_records(args.experts, "experts"), read_records(args.issues, "issues")
    matcher = Matcher(n_jobs=args.n_jobs).fit(experts.records, issues.records)
    rankings = matcher.rank_experts_batch(
        [i.id for i in issues.records], top=args.top, two_sided=args.two_sided
    )
    out = sys.stdout
    for issue, ranking in zip(issues.records, rankings):
        line = {
            "issue_id": issues.original_ids[issue.id],
            "ranking": _ranking_json(ranking, experts.original_ids),
        }
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """Print the metrics of the matcher and the baselines."""
    from .evaluate import evaluate

    experts, issues = read_records(args.experts, "experts"), read_records(args.issues, "issues")
    reports = evaluate(experts.records, issues.records, read_qrels(args.qrels))
    if args.json:
        print(
            json.dumps(
                {"gain": "2^grade-1", "relevant_grade": 2, "systems": [r.__dict__ for r in reports]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(f"{'system':40} {'nDCG@5':>7} {'nDCG@10':>7} {'MRR':>7} {'R@5':>7} issues")
    for r in reports:
        print(f"{r.system:40} {r.ndcg5:7.4f} {r.ndcg10:7.4f} {r.mrr:7.4f} {r.recall5:7.4f} {r.n_issues:6d}")
    print(
        "gain = 2^grade - 1, discount log2(rank+1); MRR and recall count grade >= 2 as relevant; unjudged = 0"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "rank":
            return run_rank(args)
        if args.command == "evaluate":
            return run_evaluate(args)
        from .bench import run_bench

        return run_bench(args)
    except MatcherError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
