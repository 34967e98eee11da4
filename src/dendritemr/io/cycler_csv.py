"""Reader for the cycler CSV written by the simulator (``time/s,current/mA,voltage/V``).

Comment lines start with ``#``; ``# start: <ISO 8601>`` gives the absolute start time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.cycler_table import cycler_dataset

__all__ = ["read_cycler_csv"]

_COLUMNS = ("time/s", "current/mA", "voltage/V")


def read_cycler_csv(path: str | Path) -> xr.Dataset:
    """Read a cycler CSV as a Dataset over ``time_s`` with ``current_mA`` and ``voltage_V``.

    Raises
    ------
    DataError : missing file, missing/unknown columns, unreadable numbers or NaNs, fewer than
        2 data rows, time decreasing anywhere (one line naming the file and the row).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "no such cycler file")
    start = None
    rows: list[list[str]] = []
    header = None
    for i, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            if line[1:].strip().startswith("start:"):
                try:
                    start = dt.datetime.fromisoformat(line.split("start:", 1)[1].strip())
                except ValueError:
                    raise DataError(path, f"line {i}: unreadable start time") from None
            continue
        cells = [c.strip() for c in line.split(",")]
        if header is None:
            header = cells
            missing = [c for c in _COLUMNS if c not in header]
            if missing:
                raise DataError(
                    path,
                    f"line {i}: unreadable columns: missing {', '.join(missing)} "
                    f"(header: {', '.join(header)})",
                )
            continue
        rows.append(cells)
    if header is None or not rows:
        raise DataError(path, "no data rows")
    idx = [header.index(c) for c in _COLUMNS]
    data = np.empty((len(rows), len(idx)))
    for k, cells in enumerate(rows):
        try:
            data[k] = [float(cells[j]) for j in idx]
        except (ValueError, IndexError):
            raise DataError(
                path,
                f"unreadable number or missing column in data row {k + 1}: {','.join(cells)}",
            ) from None
    if not np.all(np.isfinite(data)):
        row = int(np.argmax(~np.isfinite(data).all(axis=1))) + 1
        raise DataError(path, f"NaN or infinite value in data row {row}")
    # the checks every cycler reader makes (>= 2 rows, time never decreasing)
    ds = cycler_dataset(path, data[:, 0], data[:, 2], data[:, 1], "dendritemr-csv", start)
    del ds.attrs["format"]  # read_cycler names the format it was asked for
    return ds
