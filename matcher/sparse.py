"""A minimal CSR matrix on plain numpy arrays.

The query path uses only numpy so that loading a persisted index stays fast (importing scipy.sparse alone
costs about 0.3 s); scipy is imported lazily for the batch path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Float32Array = npt.NDArray[np.float32]
Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
Row = tuple[Int32Array, Float32Array]


@dataclass(frozen=True)
class Csr:
    """Compressed sparse rows: row ``i`` is ``indices[indptr[i]:indptr[i+1]]`` (sorted) with ``data``."""

    indptr: Int64Array
    indices: Int32Array
    data: Float32Array
    n_cols: int

    @property
    def n_rows(self) -> int:
        """Return the number of rows."""
        return int(self.indptr.shape[0]) - 1

    @property
    def nnz(self) -> int:
        """Return the number of stored values."""
        return int(self.indptr[-1])

    def row(self, i: int) -> Row:
        """Return row ``i`` as (sorted column indices, values)."""
        start, stop = int(self.indptr[i]), int(self.indptr[i + 1])
        return self.indices[start:stop], self.data[start:stop]

    def transpose(self) -> Csr:
        """Return the transpose (used to build term-major postings from document rows).

        scipy's compiled CSR→CSC conversion (linear time; fitting imports scipy anyway). Each output row
        lists its columns in ascending order, as a stable sort would.
        """
        csc = self.to_scipy().tocsc()
        return Csr(
            np.asarray(csc.indptr, dtype=np.int64),
            np.asarray(csc.indices, dtype=np.int32),
            np.asarray(csc.data, dtype=np.float32),
            self.n_rows,
        )

    def append_rows(self, rows: Sequence[Row]) -> Csr:
        """Return a new matrix with ``rows`` appended (copy-on-write: ``self`` is unchanged)."""
        if not rows:
            return self
        lengths = np.array([len(idx) for idx, _ in rows], dtype=np.int64)
        indptr = np.concatenate([self.indptr, self.indptr[-1] + np.cumsum(lengths)])
        indices = np.concatenate([self.indices, *(idx for idx, _ in rows)]).astype(np.int32)
        data = np.concatenate([self.data, *(val for _, val in rows)]).astype(np.float32)
        return Csr(indptr, indices, data, self.n_cols)

    def to_scipy(self) -> Any:
        """Return a ``scipy.sparse.csr_matrix`` view (imports scipy lazily)."""
        from scipy.sparse import csr_matrix

        return csr_matrix((self.data, self.indices, self.indptr), shape=(self.n_rows, self.n_cols))


def from_rows(rows: Sequence[Row], n_cols: int) -> Csr:
    """Build a matrix from (indices, values) rows."""
    empty = Csr(
        np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32), n_cols
    )
    return empty.append_rows(rows)


def from_scipy(matrix: Any) -> Csr:
    """Convert a scipy CSR matrix (sorted indices, float32) to :class:`Csr`."""
    matrix = matrix.tocsr()
    matrix.sort_indices()
    return Csr(
        np.asarray(matrix.indptr, dtype=np.int64),
        np.asarray(matrix.indices, dtype=np.int32),
        np.asarray(matrix.data, dtype=np.float32),
        int(matrix.shape[1]),
    )


def slice_rows(matrix: Csr, start: int, stop: int) -> Csr:
    """Return rows ``start:stop`` as a new matrix."""
    lo, hi = int(matrix.indptr[start]), int(matrix.indptr[stop])
    return Csr(matrix.indptr[start : stop + 1] - lo, matrix.indices[lo:hi], matrix.data[lo:hi], matrix.n_cols)
