"""Tokenise and count many texts, using a pool of processes for large corpora (each loads its own dictionary).

Fitting needs per-document term counts, not token lists: each worker counts its own chunk against a local
vocabulary and sends back four compact arrays, so neither millions of token strings nor the counting itself
pass through the parent process (which would leave one of the two cores idle).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

import numpy as np

from .sparse import Csr, Int32Array, Int64Array
from .text import analyze, warm_up

#: Below this many texts a pool costs more (process start-up, dictionary load) than it saves.
MIN_TEXTS_FOR_POOL = 4000
_CHUNK = 500
_SEP = "\x1f"

_T = TypeVar("_T")
#: One chunk's counts: local vocabulary, then CSR ``indptr``, ``indices`` (local ids), ``counts``.
ChunkCounts = tuple[list[str], Int64Array, Int32Array, Int32Array]


def resolve_jobs(n_jobs: int | None, n_texts: int) -> int:
    """Return the number of processes to use: ``None`` means all cores for large corpora, else 1."""
    if n_jobs is None:
        return (os.cpu_count() or 1) if n_texts >= MIN_TEXTS_FOR_POOL else 1
    return max(1, n_jobs)


def fork_is_safe() -> bool:
    """Return whether worker processes may be forked: only from a process running no other thread."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _map_chunks(
    work: Callable[[Sequence[str]], _T],
    texts: Sequence[str],
    jobs: int,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[_T]:
    # ``meanwhile`` runs in this process while the workers start on the first chunks.
    if jobs == 1:
        if meanwhile is not None:
            meanwhile()
        yield work(texts)
        return
    chunks = [texts[i : i + _CHUNK] for i in range(0, len(texts), _CHUNK)]
    # "spawn", not fork: safe from a multi-threaded web process; each worker loads its own dictionary. A
    # worker that dies (or fails to start) raises BrokenProcessPool here instead of hanging.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=warm_up) as pool:
        results = pool.map(work, chunks)
        if meanwhile is not None:
            try:
                meanwhile()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)  # do not tokenise the rest for nothing
                raise
        yield from results


def _analyze_joined(texts: Sequence[str]) -> list[str]:
    # One joined string per document pickles far faster than a list of short strings.
    return [_SEP.join(analyze(text)) for text in texts]


def split_joined(doc: str) -> list[str]:
    """Split a document joined by :func:`analyze_joined` back into tokens."""
    return doc.split(_SEP) if doc else []


def analyze_joined(texts: Sequence[str], n_jobs: int | None = None) -> list[str]:
    """Return each text's tokens joined into one string (compact: no million small string objects)."""
    jobs = resolve_jobs(n_jobs, len(texts))
    return [doc for chunk in _map_chunks(_analyze_joined, texts, jobs) for doc in chunk]


def analyze_many(texts: Sequence[str], n_jobs: int | None = None) -> list[list[str]]:
    """Return :func:`matcher.text.analyze` of every text, in order (deterministic for any ``n_jobs``)."""
    return [split_joined(doc) for doc in analyze_joined(texts, n_jobs)]


def _vocabulary() -> defaultdict[str, int]:
    # term -> id, a new term getting the next id (scikit-learn's CountVectorizer uses the same idiom).
    vocabulary: defaultdict[str, int] = defaultdict()
    vocabulary.default_factory = vocabulary.__len__
    return vocabulary


def _count_chunk(texts: Sequence[str]) -> ChunkCounts:
    # Every token becomes a (document, term) key; one sort of the keys (np.unique) counts them and orders
    # each row by term. Terms are numbered in string order: any two vocabularies sorted this way map into
    # their sorted union monotonically, so the merged rows stay sorted without a global sort.
    vocabulary = _vocabulary()
    ids, ends = list[int](), list[int]()
    for text in texts:
        ids.extend(map(vocabulary.__getitem__, analyze(text)))
        ends.append(len(ids))
    terms = list(vocabulary)
    order = sorted(range(len(terms)), key=terms.__getitem__)
    rank = np.empty(len(terms), dtype=np.int64)
    rank[order] = np.arange(len(terms), dtype=np.int64)
    width = max(1, len(terms))
    lengths = np.asarray(np.diff(np.array([0, *ends], dtype=np.int64)), dtype=np.int64)
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    keys, counts = np.unique(rows * width + rank[np.array(ids, dtype=np.int64)], return_counts=True)
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // width, minlength=len(texts)), out=indptr[1:])
    return [terms[i] for i in order], indptr, (keys % width).astype(np.int32), counts.astype(np.int32)


def count_terms(
    texts: Sequence[str], n_jobs: int | None = None, meanwhile: Callable[[], object] | None = None
) -> tuple[list[str], Csr]:
    """Return the sorted vocabulary of ``texts`` and their raw term counts (one row per text, sorted columns).

    The result equals scikit-learn's ``CountVectorizer(analyzer=analyze).fit_transform(texts)`` (tested), for
    any ``n_jobs``. ``meanwhile`` is called in this process while the workers tokenise (e.g. an import the
    next step needs).
    """
    chunks: list[ChunkCounts] = []
    seen: set[str] = set()
    for chunk in _map_chunks(_count_chunk, texts, resolve_jobs(n_jobs, len(texts)), meanwhile):
        chunks.append(chunk)
        seen.update(chunk[0])
    vocabulary = sorted(seen)
    column = {term: i for i, term in enumerate(vocabulary)}
    indptrs: list[Int64Array] = [np.zeros(1, dtype=np.int64)]
    indices: list[Int32Array] = []
    offset = 0
    for terms, indptr, local, _ in chunks:
        to_global = np.fromiter(map(column.__getitem__, terms), dtype=np.int32, count=len(terms))
        indices.append(to_global[local])
        indptrs.append(indptr[1:] + offset)
        offset += int(indptr[-1])
    return vocabulary, Csr(
        np.concatenate(indptrs),
        np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32),
        np.concatenate([c[3] for c in chunks]).astype(np.float32)
        if chunks
        else np.zeros(0, dtype=np.float32),
        len(vocabulary),
    )
