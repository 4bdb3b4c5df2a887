"""Character-level normalisation shared by the tokeniser, the synonym table and the char baseline."""

from __future__ import annotations

import re
import unicodedata

# Dash-like characters that NFKC leaves alone; "ー" (prolonged sound mark) is deliberately not here.
# (A regex, not str.translate: translate with a dict looks up every character in Python, ~15x slower.)
_DASHES = re.compile("[‐‑‒–—―−－]")
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC (width, ①→1, ｶﾅ→カナ) and unify dashes; keeps case for Sudachi's normalized forms."""
    return _DASHES.sub("-", unicodedata.normalize("NFKC", text))


def phrase_form(text: str) -> str:
    """Return normalised, lower-cased text with whitespace runs collapsed (for phrase matching)."""
    return _SPACES.sub(" ", normalize_text(text).lower())


def canonical(term: str) -> str:
    """Return the index form of a term: normalised, lower-cased, whitespace removed."""
    return _SPACES.sub("", normalize_text(term).lower())
