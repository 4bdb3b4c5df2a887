"""``python -m matcher bench``: build, load, query and batch timings on synthetic profiles, vs rank_bm25.

Every figure is measured on this machine by the code below; nothing is extrapolated. Query latency covers
tokenising the issue, scoring every expert, the structured parts and the Japanese explanations of the top 10.
The rank_bm25 figure covers tokenising the query, ``get_scores`` and the top-10 selection, on a sample of the
same queries (it is slow at 100k experts).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Self

import numpy as np

from . import synthetic
from .index import Matcher
from .parallel import analyze_many
from .records import ExpertRecord, IssueRecord
from .text import analyze


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the bench options on a sub-command parser."""
    parser.add_argument("--sizes", default="1000,10000,100000", help="expert counts, comma-separated")
    parser.add_argument("--queries", type=int, default=300, help="single queries timed per size")
    parser.add_argument("--batches", default="1000,10000", help="batch sizes (issues), comma-separated")
    parser.add_argument("--bm25-sample", type=int, default=30, help="queries timed with rank_bm25")
    parser.add_argument("--n-jobs", type=int, default=2, help="tokenisation processes for the build")
    parser.add_argument("--build-repeats", type=int, default=3, help="builds timed per size (median shown)")
    parser.add_argument("--workdir", type=Path, default=None, help="where persisted indexes go (temp dir)")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")


def rss_mb() -> float:
    """Return this process's resident set size in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    """Sample RSS every 5 ms in a thread; ``extra`` is the peak above the level at start."""

    def __init__(self) -> None:
        self.start = rss_mb()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())

    @property
    def extra(self) -> float:
        """Return the peak RSS increase in MB."""
        return self.peak - self.start


def _percentiles(samples: Sequence[float]) -> tuple[float, float]:
    values = np.array(samples) * 1000
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


_LOAD_SNIPPET = """
import json, sys, time
t0 = time.perf_counter()
import matcher
t1 = time.perf_counter()
m = matcher.Matcher.load(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "total_s": t2 - t0, "n": len(m.experts_)}))
"""


def cold_load(path: Path, repeats: int = 3) -> dict[str, float]:
    """Load the index in fresh interpreters; return the median import+load time and process wall time."""
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", _LOAD_SNIPPET, str(path)], check=True, capture_output=True, text=True
        )
        runs.append({**json.loads(out.stdout), "process_s": time.perf_counter() - start})
    runs.sort(key=lambda r: r["total_s"])
    return runs[len(runs) // 2]


_BATCH_SNIPPET = """
import json, resource, sys, time
from matcher import Matcher, synthetic

def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key)) / 1024

m = Matcher.load(sys.argv[1])
issues = synthetic.issues(int(sys.argv[2]), seed=2)
m.rank_experts_batch(synthetic.issues(20, seed=98))
with open("/proc/self/smaps_rollup") as f:
    pss_before = next(int(l.split()[1]) for l in f if l.startswith("Pss:")) / 1024
before = status("VmRSS:")
t = time.perf_counter()
m.rank_experts_batch(issues, 10)
seconds = time.perf_counter() - t
# VmHWM, not ru_maxrss: ru_maxrss survives exec and would report the benchmark parent's peak.
peak = status("VmHWM:")
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "extra_mb": max(0.0, peak - before), "worker_peak_mb": workers,
                  "pss_before_mb": pss_before}))
"""


def _pss_mb(pid: int) -> float:
    # Proportional set size: shared pages (the memory-mapped index, forked interpreter pages) count once
    # across the processes sharing them, so the PSS of a process tree sums to the memory it really uses.
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            return next(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) / 1024
    except (OSError, StopIteration, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def batch_in_subprocess(path: Path, n: int) -> dict[str, float]:
    """Rank ``n`` synthetic issues against a persisted index in a fresh process (no other threads, so the
    batch may fork its workers); return seconds, the parent's peak RSS above its level before the batch,
    the peak RSS of one worker (which includes index pages shared with the parent), and the peak memory of
    the parent and its workers together (summed PSS, sampled every 0.1 s) above the parent's before."""
    command = [sys.executable, "-c", _BATCH_SNIPPET, str(path), str(n)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, sum(_pss_mb(pid) for pid in [process.pid, *_children(process.pid)]))
            time.sleep(0.1)
        out, err = process.communicate()
    if process.returncode:
        raise RuntimeError(f"batch of {n} failed: {err}")
    result = dict(json.loads(out))
    result["total_extra_mb"] = max(0.0, peak - result.pop("pss_before_mb"))
    return result


def _index_mb(matcher: Matcher) -> float:
    arrays: list[Any] = []
    for side in (matcher.experts_, matcher.issues_):
        arrays += [
            side.docs.indptr,
            side.docs.indices,
            side.docs.data,
            side.postings.indptr,
            side.postings.indices,
            side.postings.data,
            *side.columns.values(),
        ]
    return float(sum(int(a.nbytes) for a in arrays)) / 2**20


def _query_latency(matcher: Matcher, queries: Sequence[IssueRecord]) -> dict[str, float]:
    # Warm up on other issues, so the timed queries are all tokenised afresh (no pre-tokenisation cache hit).
    for issue in synthetic.issues(20, seed=99):
        matcher.rank_experts(issue, top=10)
    wall, cpu = [], []
    for q in queries:
        start = time.process_time()
        wall.append(_timed(partial(matcher.rank_experts, q, 10))[0])
        cpu.append(time.process_time() - start)
    (p50, p99), (cpu50, cpu99) = _percentiles(wall), _percentiles(cpu)
    return {"query_p50_ms": p50, "query_p99_ms": p99, "query_cpu_p50_ms": cpu50, "query_cpu_p99_ms": cpu99}


def _bm25(experts: Sequence[ExpertRecord], queries: Sequence[IssueRecord], n_jobs: int) -> dict[str, float]:
    from rank_bm25 import BM25Okapi

    tokens = analyze_many([e.text for e in experts], n_jobs)
    build, bm25 = _timed(lambda: BM25Okapi(tokens))

    def query(issue: IssueRecord) -> Any:
        scores = bm25.get_scores(analyze(issue.text))
        top = np.argpartition(-scores, 10)[:10]
        return top[np.argsort(-scores[top])]

    samples = [_timed(partial(query, q))[0] for q in queries]
    p50, p99 = _percentiles(samples)
    return {"bm25_build_s": build, "bm25_p50_ms": p50, "bm25_p99_ms": p99}


def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _builds(experts: Sequence[ExpertRecord], n_jobs: int, repeats: int) -> tuple[Matcher, dict[str, float]]:
    """Fit ``repeats`` times; return the last matcher and the median/min/max wall time, CPU time of this
    process and its (finished) workers, and the peak extra RSS."""
    walls, cpus, peaks = [], [], []
    matcher: Matcher | None = None
    for _ in range(repeats):
        matcher = None  # free the previous index first
        cpu = _cpu_s()
        with PeakRss() as memory:
            wall, matcher = _timed(lambda: Matcher(n_jobs=n_jobs).fit(experts))
        walls.append(wall)
        cpus.append(_cpu_s() - cpu)
        peaks.append(memory.extra)
    assert matcher is not None
    return matcher, {
        "build_s": float(np.median(walls)),
        "build_min_s": min(walls),
        "build_max_s": max(walls),
        "build_cpu_s": float(np.median(cpus)),
        "build_repeats": repeats,
        "build_peak_extra_mb": max(peaks),
    }


def tokeniser_rates(texts: Sequence[str]) -> dict[str, float]:
    """Characters per second on one core: Sudachi's tokenize alone, and the whole :func:`analyze`."""
    from .text import _tokenizer, warm_up

    warm_up()
    sample = list(texts[:3000])
    chars = sum(len(t) for t in sample)
    sudachi, _ = _timed(lambda: [_tokenizer().tokenize(t) for t in sample])
    full, _ = _timed(lambda: [analyze(t) for t in sample])
    return {"sudachi_chars_per_s": chars / sudachi, "analyze_chars_per_s": chars / full}


def measure(size: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Run every measurement for one corpus size."""
    experts = synthetic.experts(size, seed=0)
    queries = synthetic.issues(args.queries, seed=1)
    batches = [int(b) for b in args.batches.split(",") if b]
    result: dict[str, Any] = {
        "experts": size,
        "chars_per_profile": sum(len(e.text) for e in experts) / size,
        "load_average_start": os.getloadavg()[0],
    }
    matcher, builds = _builds(experts, args.n_jobs, max(1, args.build_repeats))
    result.update(
        {
            **builds,
            "index_mb": _index_mb(matcher),
            "vocabulary": len(matcher.terms_.terms),
        }
    )
    path = matcher.save(workdir / f"index-{size}")
    result.update({f"load_{k}": v for k, v in cold_load(path).items() if k != "n"})
    result.update(_query_latency(matcher, queries))
    for n in batches:
        batch = batch_in_subprocess(path, n)
        result[f"batch_{n}_s"], result[f"batch_{n}_extra_mb"] = batch["seconds"], batch["extra_mb"]
        result[f"batch_{n}_worker_peak_mb"] = batch["worker_peak_mb"]
        result[f"batch_{n}_total_extra_mb"] = batch["total_extra_mb"]
    result.update(_bm25(experts, queries[: args.bm25_sample], args.n_jobs))
    result["bm25_ratio_p50"] = result["bm25_p50_ms"] / result["query_p50_ms"]
    result.update(tokeniser_rates([e.text for e in experts]))
    total_chars = result["chars_per_profile"] * size
    result["tokenise_floor_2cores_s"] = total_chars / (2 * result["analyze_chars_per_s"])
    result["load_average_end"] = os.getloadavg()[0]
    return result


def _table(results: Sequence[dict[str, Any]]) -> str:
    rows = [
        ("vocabulary (terms)", "{:,}", "vocabulary"),
        ("chars per profile (mean)", "{:.0f}", "chars_per_profile"),
        ("build from raw text, 2 processes: median (s)", "{:.2f}", "build_s"),
        ("  min – max over the repeats (s)", "{}", "build_range"),
        ("  CPU time, all processes (s)", "{:.1f}", "build_cpu_s"),
        ("  tokenising alone at the measured rate, 2 cores (s)", "{:.1f}", "tokenise_floor_2cores_s"),
        ("  Sudachi tokenize / full analyze, 1 core (k chars/s)", "{}", "rates"),
        ("build peak extra RSS (MB)", "{:.0f}", "build_peak_extra_mb"),
        ("index arrays (MB)", "{:.1f}", "index_mb"),
        ("cold load: import + Matcher.load in a fresh process (s)", "{:.3f}", "load_total_s"),
        ("  of which Matcher.load incl. dictionary (s)", "{:.3f}", "load_load_s"),
        ("  whole subprocess incl. interpreter start (s)", "{:.3f}", "load_process_s"),
        ("query p50 (ms)", "{:.2f}", "query_p50_ms"),
        ("query p99 (ms)", "{:.2f}", "query_p99_ms"),
        ("query CPU time p50 / p99 (ms)", "{}", "query_cpu"),
    ]
    batch_sizes = sorted(
        {int(k.split("_")[1]) for r in results for k in r if k.startswith("batch_") and k.endswith("_s")}
    )
    for n in batch_sizes:
        rows += [
            (f"batch {n:,} issues (s)", "{:.2f}", f"batch_{n}_s"),
            (f"batch {n:,}: parent extra RSS (MB)", "{:.0f}", f"batch_{n}_extra_mb"),
            (f"batch {n:,}: worker peak RSS incl. shared index (MB)", "{:.0f}", f"batch_{n}_worker_peak_mb"),
            (
                f"batch {n:,}: extra memory, parent + workers (peak PSS, MB)",
                "{:.0f}",
                f"batch_{n}_total_extra_mb",
            ),
        ]
    rows += [
        ("rank_bm25 build (s)", "{:.2f}", "bm25_build_s"),
        ("rank_bm25 query p50 (ms)", "{:.1f}", "bm25_p50_ms"),
        ("rank_bm25 p50 / matcher p50", "{:.0f}x", "bm25_ratio_p50"),
        ("load average (1 min) at start / end", "{}", "load"),
    ]
    for r in results:
        r["build_range"] = f"{r['build_min_s']:.2f} – {r['build_max_s']:.2f} ({r['build_repeats']} builds)"
        r["query_cpu"] = f"{r['query_cpu_p50_ms']:.2f} / {r['query_cpu_p99_ms']:.2f}"
        r["load"] = f"{r['load_average_start']:.1f} / {r['load_average_end']:.1f}"
        r["rates"] = f"{r['sudachi_chars_per_s'] / 1000:.0f} / {r['analyze_chars_per_s'] / 1000:.0f}"
    lines = [
        "| experts | " + " | ".join(f"{r['experts']:,}" for r in results) + " |",
        "| --- |" + " ---: |" * len(results),
    ]
    for label, fmt, key in rows:
        cells = [fmt.format(r[key]) if key in r else "-" for r in results]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_bench(args: argparse.Namespace) -> int:
    """Run the benchmark for every size and print a Markdown table."""
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for size in sizes:
            results.append(measure(size, args, Path(tmp)))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    table = _table(results)
    print(f"cpu cores: {os.cpu_count()}; python {sys.version.split()[0]}")
    print(table)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0
