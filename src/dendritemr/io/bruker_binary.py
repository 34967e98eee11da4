"""Raw TopSpin FID/ser binaries: data type, byte order, 1024-byte row padding, early stops."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from dendritemr.errors import DataError

_BLOCK_BYTES = 1024


def fid_dtype(dtypa: int, bytorda: int) -> np.dtype:
    """numpy dtype of one real point: DTYPA 0 int32, 2 float64; BYTORDA 0 little, 1 big endian."""
    kinds = {0: "i4", 1: "f4", 2: "f8"}
    if int(dtypa) not in kinds:
        raise ValueError(f"unknown DTYPA {dtypa}")
    return np.dtype((">" if int(bytorda) == 1 else "<") + kinds[int(dtypa)])


def read_fid_rows(
    path: str | Path, td: int, dtype: np.dtype, n_rows: int | None = None
) -> np.ndarray:
    """Read complex FIDs from a ``fid`` (``n_rows=None``) or ``ser`` file.

    Parameters
    ----------
    path : the binary file.
    td : real points per FID (acqus TD: real + imaginary).
    dtype : from :func:`fid_dtype`.
    n_rows : FIDs expected in a ``ser`` (acqu2s TD); fewer complete rows are accepted with a
        warning (a run stopped early), partial rows are dropped.

    Returns
    -------
    complex128 array of shape ``(rows, td // 2)``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "missing raw data file")
    size = path.stat().st_size
    if size == 0:
        raise DataError(path, "empty raw data file")
    if td <= 0 or td % 2:
        raise DataError(path, f"TD={td} is not a positive even number of points")
    item = dtype.itemsize
    plain = td * item
    padded = -(-plain // _BLOCK_BYTES) * _BLOCK_BYTES
    if n_rows is None:
        if size not in (plain, padded):
            kind = "truncated" if size < plain else "larger than TD allows"
            raise DataError(path, f"{kind}: {size} bytes, TD={td} needs {plain} (or {padded})")
        raw = np.fromfile(path, dtype=dtype, count=td)
        rows = raw.reshape(1, td)
    else:
        row_bytes = padded if size % padded == 0 or size > n_rows * plain else plain
        complete = size // row_bytes
        if complete == 0:
            raise DataError(path, f"truncated: {size} bytes, one FID of TD={td} needs {plain}")
        if complete > n_rows:
            raise DataError(path, f"{complete} FIDs in file but acqu2s TD allows {n_rows}")
        if complete < n_rows or size % row_bytes:
            warnings.warn(
                f"{path}: acquisition stopped early, {complete} of {n_rows} FIDs complete",
                stacklevel=2,
            )
        raw = np.fromfile(path, dtype=dtype, count=complete * row_bytes // item)
        rows = raw.reshape(complete, row_bytes // item)[:, :td]
    data = rows.astype(np.float64)
    return data[:, 0::2] + 1j * data[:, 1::2]
