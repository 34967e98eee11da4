"""Raw TopSpin FID/ser binaries: data type, byte order, row padding, early stops.

Row padding of a pseudo-2D ``ser``: up to TopSpin 3 every FID starts on a 1024-byte boundary
(rows padded with zeros); TopSpin 4 (Avance NEO, float64 data, ``DTYPA = 2``) writes the rows
back to back. The layout is decided from the acquisition parameters (:func:`rows_padded`),
never from the file size, which can fit both (e.g. 22 unpadded float64 rows of TD 1344 take
22 x 10752 B = 21 padded rows of 11264 B).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from dendritemr.errors import DataError, TruncatedFile

_BLOCK_BYTES = 1024
_VERSION = re.compile(r"(?:TOPSPIN|TopSpin|topspin)\s*(?:Version\s*)?(\d+)(?:\.(\d+))?")


def fid_dtype(dtypa: int, bytorda: int) -> np.dtype:
    """numpy dtype of one real point: DTYPA 0 int32, 1 float32, 2 float64; BYTORDA 0 little,
    1 big endian.

    Raises
    ------
    ValueError : DTYPA is not 0, 1 or 2.
    """
    kinds = {0: "i4", 1: "f4", 2: "f8"}
    if int(dtypa) not in kinds:
        raise ValueError(f"unknown DTYPA {dtypa}")
    return np.dtype((">" if int(bytorda) == 1 else "<") + kinds[int(dtypa)])


def topspin_version(acqus_path: str | Path) -> tuple[int, int] | None:
    """(major, minor) TopSpin version that wrote ``acqus``, or None (XWIN-NMR, unknown).

    Read from the ``##TITLE= Parameter file, TOPSPIN Version 3.2`` line (TopSpin 1-3) or
    ``##TITLE= Parameter file, TopSpin 4.1.4`` (TopSpin 4), else from a ``$$`` line naming a
    TopSpin installation (``/opt/topspin4.0.7/...``).
    """
    try:
        with open(acqus_path, "rb") as fh:
            head = fh.read(4096).decode("latin-1")
    except OSError:
        return None
    for line in head.splitlines():
        if line.startswith("##TITLE") or line.startswith("$$"):
            match = _VERSION.search(line)
            if match:
                return int(match.group(1)), int(match.group(2) or 0)
    return None


def rows_padded(dtypa: int, version: tuple[int, int] | None) -> bool:
    """Whether the FIDs of a ``ser`` start on 1024-byte boundaries.

    TopSpin >= 4 and float64 data (DTYPA 2, written only by TopSpin >= 4) are not padded;
    earlier versions (and XWIN-NMR, or an unknown version with int32 data) are.
    """
    if int(dtypa) == 2:
        return False
    return not (version is not None and version[0] >= 4)


def read_fid_rows(
    path: str | Path,
    td: int,
    dtype: np.dtype,
    n_rows: int | None = None,
    padded: bool = True,
) -> np.ndarray:
    """Read complex FIDs from a ``fid`` (``n_rows=None``) or ``ser`` file.

    Parameters
    ----------
    path : the binary file.
    td : real points per FID (acqus TD: real + imaginary).
    dtype : from :func:`fid_dtype`.
    n_rows : FIDs expected in a ``ser`` (acqu2s TD); fewer complete rows are accepted with a
        warning (a run stopped early), partial rows are dropped.
    padded : rows of a ``ser`` start on 1024-byte boundaries (:func:`rows_padded`). A 1D
        ``fid`` is accepted with or without padding.

    Returns
    -------
    complex128 array of shape ``(rows, td // 2)``.

    Raises
    ------
    DataError : missing or empty file, TD not a positive even number, a file larger than TD
        (and acqu2s TD) allow, or shorter than one FID.
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
    block = -(-plain // _BLOCK_BYTES) * _BLOCK_BYTES
    if n_rows is None:
        if size not in (plain, block):
            need = (
                f"{plain}" if block == plain else f"{plain} (or {block} padded to 1024-byte blocks)"
            )
            if size < plain:
                raise TruncatedFile(path, f"truncated: {size} bytes, TD={td} needs {need}")
            raise DataError(path, f"larger than TD allows: {size} bytes, TD={td} needs {need}")
        raw = np.fromfile(path, dtype=dtype, count=td)
        rows = raw.reshape(1, td)
    else:
        if n_rows <= 0:
            raise DataError(path, f"acqu2s TD={n_rows} is not a positive number of FIDs")
        row_bytes = block if padded else plain
        layout = "padded to 1024 B" if padded else "not padded"
        complete = size // row_bytes
        if padded and size % row_bytes >= plain:
            complete += 1  # a last FID written without its padding
        if complete == 0:
            raise TruncatedFile(path, f"truncated: {size} bytes, one FID of TD={td} needs {plain}")
        if complete > n_rows or (complete == n_rows and size > n_rows * row_bytes):
            raise DataError(
                path,
                f"{size} bytes is more than acqu2s TD={n_rows} FIDs of TD={td} ({layout}, "
                f"{n_rows * row_bytes} B) allow",
            )
        if complete < n_rows:
            warnings.warn(
                f"{path}: acquisition stopped early, {complete} of {n_rows} FIDs complete "
                f"(rows {layout})",
                stacklevel=2,
            )
        raw = np.fromfile(path, dtype=dtype, count=min(size, complete * row_bytes) // item)
        raw = np.concatenate([raw, np.zeros(complete * row_bytes // item - raw.size, dtype)])
        rows = raw.reshape(complete, row_bytes // item)[:, :td]
    data = rows.astype(np.float64)
    return data[:, 0::2] + 1j * data[:, 1::2]
