"""Tokenise many texts, using a pool of processes for large corpora (each loads its own dictionary)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence

from .text import analyze, warm_up

#: Below this many texts a pool costs more (process start-up, dictionary load) than it saves.
MIN_TEXTS_FOR_POOL = 4000
_CHUNK = 500
_SEP = "\x1f"


def resolve_jobs(n_jobs: int | None, n_texts: int) -> int:
    """Return the number of processes to use: ``None`` means all cores for large corpora, else 1."""
    if n_jobs is None:
        return (os.cpu_count() or 1) if n_texts >= MIN_TEXTS_FOR_POOL else 1
    return max(1, n_jobs)


def _analyze_joined(texts: Sequence[str]) -> list[str]:
    # One joined string per document pickles far faster than a list of short strings.
    return [_SEP.join(analyze(text)) for text in texts]


def split_joined(doc: str) -> list[str]:
    """Split a document joined by :func:`analyze_joined` back into tokens."""
    return doc.split(_SEP) if doc else []


def analyze_joined(texts: Sequence[str], n_jobs: int | None = None) -> list[str]:
    """Return each text's tokens joined into one string (compact: no million small string objects)."""
    jobs = resolve_jobs(n_jobs, len(texts))
    if jobs == 1:
        return _analyze_joined(texts)
    chunks = [texts[i : i + _CHUNK] for i in range(0, len(texts), _CHUNK)]
    # "spawn" is safe from a multi-threaded web process, unlike fork.
    with multiprocessing.get_context("spawn").Pool(jobs, initializer=warm_up) as pool:
        return [doc for chunk in pool.imap(_analyze_joined, chunks) for doc in chunk]


def analyze_many(texts: Sequence[str], n_jobs: int | None = None) -> list[list[str]]:
    """Return :func:`matcher.text.analyze` of every text, in order (deterministic for any ``n_jobs``)."""
    return [split_joined(doc) for doc in analyze_joined(texts, n_jobs)]
