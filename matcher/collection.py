"""One indexed collection (experts or issues): an immutable snapshot, replaced on every change.

Readers take the current snapshot once and never see a half-applied update (copy-on-write). Rows fitted
together live in the *main* segment with term-major postings; rows added later by an upsert are appended
after it and scored directly from their document rows until the next refit merges everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from .sparse import Csr, Float32Array, Row, from_rows
from .structured import Columns, concat

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Collection:
    """Documents, postings, structured columns and ids of one side of the index.

    Attributes
    ----------
    ids : tuple of str
        Id per slot (a slot is a row; removed and replaced rows keep their slot but are not alive).
    slots : Mapping[str, int]
        Live id → slot.
    alive : ndarray of bool
        Per-slot liveness.
    docs : Csr
        Per-slot TF-IDF rows.
    postings : Csr
        Term-major transpose of the first ``postings.n_cols`` (main-segment) rows.
    columns : Columns
        Structured columns per slot.
    """

    ids: tuple[str, ...]
    slots: Mapping[str, int]
    alive: BoolArray
    docs: Csr
    postings: Csr
    columns: Columns
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, ids: Sequence[str], docs: Csr, columns: Columns) -> Collection:
        """Create a snapshot whose rows are all in the main segment."""
        return cls(
            tuple(ids),
            {id: i for i, id in enumerate(ids)},
            np.ones(len(ids), dtype=bool),
            docs,
            docs.transpose(),
            columns,
        )

    @property
    def n_slots(self) -> int:
        """Return the number of slots (alive or not)."""
        return len(self.ids)

    @property
    def n_main(self) -> int:
        """Return the number of slots covered by the postings."""
        return self.postings.n_cols

    def __len__(self) -> int:
        return len(self.slots)

    def cosines(self, query: Row) -> Float32Array:
        """Return the dot product of ``query`` with every slot (cosines, rows being l2-normalised)."""
        scores = np.zeros(self.n_slots, dtype=np.float32)
        idx, val = query
        if len(idx):
            self._score_main(idx, val, scores)
            if self.n_slots > self.n_main:
                self._score_appended(idx, val, scores)
        return scores

    def _score_main(self, idx: npt.NDArray[np.int32], val: Float32Array, scores: Float32Array) -> None:
        # Only the query terms' postings are touched: slice those rows of the (V x N) postings, then one
        # transposed mat-vec (scipy, imported lazily so loading an index stays fast). Terms are accumulated
        # in column order, as in the batch product, so both give identical floats.
        scores[: self.n_main] = postings_matvec(self.scipy_postings(), idx, val)

    def scipy_postings(self) -> Any:
        """Return the postings as a cached ``scipy.sparse.csr_matrix`` (V x main slots)."""
        matrix = self.cache.get("postings")
        if matrix is None:
            matrix = self.cache["postings"] = self.postings.to_scipy()
        return matrix

    def _score_appended(self, idx: npt.NDArray[np.int32], val: Float32Array, scores: Float32Array) -> None:
        # Rows upserted since the fit: a (n_appended x V) mat-vec, accumulated in column order like the batch
        # product so a query scores identically alone or in a batch.
        tail = self.cache.get("tail")
        if tail is None:
            tail = self.cache["tail"] = from_rows(
                [self.docs.row(s) for s in range(self.n_main, self.n_slots)], self.docs.n_cols
            ).to_scipy()
        dense = np.zeros(self.docs.n_cols, dtype=np.float32)
        dense[idx] = val
        scores[self.n_main :] = tail @ dense

    def upsert(self, id: str, row: Row, columns: Columns) -> Collection:
        """Return a new snapshot where ``id`` has ``row`` (its old slot, if any, is retired)."""
        alive = np.append(self.alive, True)
        old = self.slots.get(id)
        if old is not None:
            alive[old] = False
        slots = dict(self.slots)
        slots[id] = self.n_slots
        return replace(
            self,
            ids=self.ids + (id,),
            slots=slots,
            alive=alive,
            docs=self.docs.append_rows([row]),
            columns=concat(self.columns, columns),
            cache={},
        )

    def remove(self, id: str) -> Collection:
        """Return a new snapshot without ``id`` (which must be present)."""
        alive = self.alive.copy()
        alive[self.slots[id]] = False
        slots = {key: slot for key, slot in self.slots.items() if key != id}
        return replace(self, slots=slots, alive=alive, cache={})

    def live_slots(self) -> npt.NDArray[np.int64]:
        """Return the live slots in id order (used when compacting for persistence)."""
        return np.array([self.slots[id] for id in sorted(self.slots)], dtype=np.int64)


def postings_matvec(postings: Any, idx: npt.NDArray[np.int32], val: Float32Array) -> Float32Array:
    """Return ``postings[idx].T @ val``: the query terms' postings rows gathered, then one CSC mat-vec.

    Calls scipy's compiled kernels directly (``csr_row_index``, ``csc_matvec``), skipping about half a
    millisecond of Python-level indexing and dispatch per query; falls back to the public API if those
    private functions are missing or change.
    """
    try:
        return _sparsetools_matvec(postings, idx, val)
    except (ImportError, AttributeError, TypeError, ValueError):
        return np.asarray(postings[idx].T @ val, dtype=np.float32)


def _sparsetools_matvec(postings: Any, idx: npt.NDArray[np.int32], val: Float32Array) -> Float32Array:
    from scipy.sparse import _sparsetools

    indptr, indices, data = postings.indptr, postings.indices, postings.data
    rows = idx.astype(indptr.dtype)
    sub_ptr = np.zeros(len(rows) + 1, dtype=indptr.dtype)
    np.cumsum(indptr[rows + 1] - indptr[rows], out=sub_ptr[1:])
    gathered_idx = np.empty(int(sub_ptr[-1]), dtype=indices.dtype)
    gathered_val = np.empty(int(sub_ptr[-1]), dtype=data.dtype)
    _sparsetools.csr_row_index(len(rows), rows, indptr, indices, data, gathered_idx, gathered_val)
    out = np.zeros(postings.shape[1], dtype=np.float32)
    _sparsetools.csc_matvec(
        postings.shape[1], len(rows), sub_ptr, gathered_idx, gathered_val, val.astype(data.dtype), out
    )
    return out
