"""Records kept by the index (for refits and joint detection), loaded lazily from a saved index."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .records import ExpertRecord, IssueRecord

Loader = Callable[[], tuple[dict[str, ExpertRecord], dict[str, IssueRecord]]]


class RecordStore:
    """Experts and issues by id: a base (possibly loaded on first use) plus an overlay of later changes.

    Instances are immutable from the outside: ``with_*`` methods return a new store.
    """

    def __init__(self, loader: Loader, overlay: Mapping[str, Any] | None = None) -> None:
        self._loader = loader
        self._overlay: dict[str, Any] = dict(overlay or {})
        self._base: tuple[dict[str, ExpertRecord], dict[str, IssueRecord]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, experts: Mapping[str, ExpertRecord], issues: Mapping[str, IssueRecord]) -> RecordStore:
        """Create a store from in-memory records."""
        store = cls(lambda: (dict(experts), dict(issues)))
        store._base = (dict(experts), dict(issues))
        return store

    def _load(self) -> tuple[dict[str, ExpertRecord], dict[str, IssueRecord]]:
        with self._lock:
            if self._base is None:
                self._base = self._loader()
            return self._base

    def _merged(self, kind: str, base: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in self._overlay.items():
            side, id = key.split(":", 1)
            if side == kind:
                if value is None:
                    out.pop(id, None)
                else:
                    out[id] = value
        return out

    def experts(self) -> dict[str, ExpertRecord]:
        """Return all live expert records."""
        return self._merged("e", self._load()[0])

    def issues(self) -> dict[str, IssueRecord]:
        """Return all live issue records."""
        return self._merged("i", self._load()[1])

    def _with(self, key: str, value: Any) -> RecordStore:
        store = RecordStore(self._loader, {**self._overlay, key: value})
        store._base = self._base
        return store

    def with_expert(self, id: str, record: ExpertRecord | None) -> RecordStore:
        """Return a store where expert ``id`` is ``record`` (``None`` removes it)."""
        return self._with(f"e:{id}", record)

    def with_issue(self, id: str, record: IssueRecord | None) -> RecordStore:
        """Return a store where issue ``id`` is ``record`` (``None`` removes it)."""
        return self._with(f"i:{id}", record)


def write_jsonl(path: Path, records: Mapping[str, ExpertRecord] | Mapping[str, IssueRecord]) -> None:
    """Write records as JSON lines (sorted by id)."""
    with path.open("w", encoding="utf-8") as out:
        for id in sorted(records):
            out.write(json.dumps(asdict(records[id]), ensure_ascii=False) + "\n")


def _read(path: Path, cls: type[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with path.open(encoding="utf-8") as src:
        for line in src:
            raw = json.loads(line)
            for name in ("roles", "sectors", "modes", "wanted_roles"):
                if name in raw:
                    raw[name] = tuple(raw[name])
            record = cls(**raw)
            out[record.id] = record
    return out


def jsonl_loader(experts: Path, issues: Path) -> Loader:
    """Return a loader reading the two JSONL files written by :func:`write_jsonl`."""
    return lambda: (_read(experts, ExpertRecord), _read(issues, IssueRecord))
