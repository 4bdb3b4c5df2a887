"""Exceptions raised by the matcher library.

Every error derives from :class:`MatcherError`; subclasses carry the offending data so the caller can show
or log it without parsing the message.
"""

from __future__ import annotations

from collections.abc import Sequence


class MatcherError(Exception):
    """Base class of every error raised by :mod:`matcher`."""


class NotFittedError(MatcherError):
    """The index was used before :meth:`matcher.Matcher.fit` or :meth:`matcher.Matcher.load`."""


class EmptyTextError(MatcherError, ValueError):
    """One or more records have an empty (or whitespace-only) text."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = tuple(ids)
        super().__init__(f"empty text for id(s): {', '.join(self.ids)} / 本文が空です")


class DuplicateIdError(MatcherError, ValueError):
    """The same id appears more than once in one collection."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = tuple(ids)
        super().__init__(f"duplicate id(s): {', '.join(self.ids)} / IDが重複しています")


class UnknownCodeError(MatcherError, ValueError):
    """A domain code (role, sector, stage, mode, travel range, prefecture) is not in the vocabulary."""

    def __init__(self, field: str, value: object, allowed: Sequence[str] = ()) -> None:
        self.field = field
        self.value = value
        self.allowed = tuple(allowed)
        hint = f" (allowed: {', '.join(self.allowed)})" if self.allowed else ""
        super().__init__(f"unknown {field}: {value!r}{hint} / {field} の値が不正です")


class InvalidRecordError(MatcherError, ValueError):
    """A record field has the wrong type or an out-of-range value."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {field}: {value!r}: {reason}")


class UnknownIdError(MatcherError, KeyError):
    """An id was asked for that is not in the index."""

    def __init__(self, kind: str, id: str) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"unknown {kind} id: {id!r} / 登録されていないIDです")

    def __str__(self) -> str:
        return str(self.args[0])


class IndexFormatError(MatcherError):
    """A persisted index is missing files or is corrupt."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read index at {path}: {reason}")


class IndexVersionError(IndexFormatError):
    """A persisted index was written by another format, library or dictionary version; refit it."""

    def __init__(self, path: str, found: dict[str, str], expected: dict[str, str]) -> None:
        self.found = dict(found)
        self.expected = dict(expected)
        diff = ", ".join(f"{k}: {found.get(k)!r} != {v!r}" for k, v in expected.items() if found.get(k) != v)
        super().__init__(path, f"version mismatch ({diff}); refit the index")


class InputFormatError(MatcherError, ValueError):
    """A line of a JSONL input file is malformed (used by the command-line interface)."""

    def __init__(self, source: str, line: int, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        super().__init__(f"{source}:{line}: {reason}")


class EmptyCorpusError(MatcherError, ValueError):
    """Fitting was asked for without any expert, or no text yielded a single index term."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
