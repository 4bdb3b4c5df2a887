"""Save/load a fitted index as plain files: ``.npy`` arrays (memory-mapped on load) and JSON. No pickle.

Layout of the directory::

    manifest.json          format/library/dictionary versions and sizes (checked on load)
    terms.json             feature names (column order)
    idf.npy
    experts/ issues/       ids.json, docs_{indptr,indices,data}.npy, col_<name>.npy, records.jsonl

Saving compacts each side (removed rows dropped, upserted rows merged into the postings) and writes into a
temporary sibling directory that then replaces ``path``, so a reader never sees a half-written index.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .collection import Collection
from .exceptions import IndexFormatError, IndexVersionError
from .sparse import Csr, from_rows
from .store import RecordStore, jsonl_loader, write_jsonl
from .structured import EXPERT_COLUMNS, ISSUE_COLUMNS, take
from .text import warm_up
from .vectorize import TermModel

if TYPE_CHECKING:
    from .index import Matcher

FORMAT_VERSION = "1"


def versions() -> dict[str, str]:
    """Return the versions a saved index must match to be loaded."""
    from . import __version__

    return {
        "format": FORMAT_VERSION,
        "matcher": __version__,
        "sudachipy": metadata.version("sudachipy"),
        "sudachidict_core": metadata.version("sudachidict-core"),
    }


def _compact(side: Collection) -> Collection:
    order = side.live_slots()
    docs = from_rows([side.docs.row(int(s)) for s in order], side.docs.n_cols)
    return Collection.build([side.ids[int(s)] for s in order], docs, take(side.columns, order))


def _write_side(folder: Path, side: Collection) -> None:
    folder.mkdir()
    (folder / "ids.json").write_text(json.dumps(list(side.ids), ensure_ascii=False), encoding="utf-8")
    for name in ("indptr", "indices", "data"):
        np.save(folder / f"docs_{name}.npy", getattr(side.docs, name))
        np.save(folder / f"postings_{name}.npy", getattr(side.postings, name))
    for name, column in side.columns.items():
        np.save(folder / f"col_{name}.npy", column)


def save_index(matcher: Matcher, path: Path) -> Path:
    """Write ``matcher`` under ``path`` atomically (see the module docstring)."""
    state = matcher._check_fitted()
    experts, issues = _compact(state.experts), _compact(state.issues)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    manifest = {
        **versions(),
        "n_experts": len(experts),
        "n_issues": len(issues),
        "n_terms": len(state.terms.terms),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (tmp / "terms.json").write_text(json.dumps(list(state.terms.terms), ensure_ascii=False), encoding="utf-8")
    np.save(tmp / "idf.npy", state.terms.idf)
    _write_side(tmp / "experts", experts)
    _write_side(tmp / "issues", issues)
    write_jsonl(tmp / "experts" / "records.jsonl", state.records.experts())
    write_jsonl(tmp / "issues" / "records.jsonl", state.records.issues())
    _replace_dir(tmp, path)
    return path


def _replace_dir(new: Path, path: Path) -> None:
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    if path.exists():
        os.replace(path, old)
    os.replace(new, path)
    shutil.rmtree(old, ignore_errors=True)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexFormatError(str(path.parent), f"cannot read {path.name}: {exc}") from exc


def _npy(path: Path) -> Any:
    try:
        # A plain ndarray view of the memory map: np.memmap's subclass hooks make every slice slow.
        return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
    except (OSError, ValueError) as exc:
        raise IndexFormatError(str(path.parent), f"cannot read {path.name}: {exc}") from exc


def _read_side(folder: Path, n_terms: int, names: tuple[str, ...]) -> Collection:
    ids = _read_json(folder / "ids.json")
    docs = Csr(
        _npy(folder / "docs_indptr.npy"),
        _npy(folder / "docs_indices.npy"),
        _npy(folder / "docs_data.npy"),
        n_terms,
    )
    postings = Csr(
        _npy(folder / "postings_indptr.npy"),
        _npy(folder / "postings_indices.npy"),
        _npy(folder / "postings_data.npy"),
        len(ids),
    )
    columns = {name: _npy(folder / f"col_{name}.npy") for name in names}
    return Collection(
        tuple(ids),
        {id: i for i, id in enumerate(ids)},
        np.ones(len(ids), dtype=bool),
        docs,
        postings,
        columns,
    )


def check_versions(path: Path) -> dict[str, Any]:
    """Read the manifest and raise :class:`IndexVersionError` unless it matches :func:`versions`."""
    manifest = _read_json(path / "manifest.json")
    expected = versions()
    if any(manifest.get(key) != value for key, value in expected.items()):
        raise IndexVersionError(str(path), {k: str(manifest.get(k)) for k in expected}, expected)
    return dict(manifest)


def load_index(matcher: Matcher, path: Path) -> Matcher:
    """Fill ``matcher`` from the directory written by :func:`save_index`."""
    from .index import _State

    if not path.is_dir():
        raise IndexFormatError(str(path), "no such index directory")
    check_versions(path)
    terms = _read_json(path / "terms.json")
    model = TermModel.create(terms, np.asarray(_npy(path / "idf.npy")))
    experts = _read_side(path / "experts", len(terms), EXPERT_COLUMNS)
    issues = _read_side(path / "issues", len(terms), ISSUE_COLUMNS)
    loader = jsonl_loader(path / "experts" / "records.jsonl", path / "issues" / "records.jsonl")
    matcher._state = _State(model, experts, issues, RecordStore(loader))
    warm_up()
    return matcher
