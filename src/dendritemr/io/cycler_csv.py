"""Reader for the cycler CSV written by the simulator (``time/s,current/mA,voltage/V``).

Comment lines start with ``#``; ``# start: <ISO 8601>`` gives the absolute start time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import xarray as xr

from dendritemr.errors import DataError

__all__ = ["read_cycler_csv"]

_COLUMNS = ("time/s", "current/mA", "voltage/V")


def read_cycler_csv(path: str | Path) -> xr.Dataset:
    """Read a cycler CSV as a Dataset over ``time_s`` with ``current_mA`` and ``voltage_V``.

    Raises
    ------
    DataError : missing file, missing/unknown columns, unreadable numbers or NaNs.
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
                raise DataError(path, f"unreadable columns: missing {', '.join(missing)}")
            continue
        rows.append(cells)
    if header is None or not rows:
        raise DataError(path, "no data rows")
    idx = [header.index(c) for c in _COLUMNS]
    try:
        data = np.array([[float(r[j]) for j in idx] for r in rows])
    except (ValueError, IndexError):
        raise DataError(path, "unreadable number in the data rows") from None
    if not np.all(np.isfinite(data)):
        raise DataError(path, "NaN or infinite value in the data rows")
    ds = xr.Dataset(
        {
            "current_mA": ("time_s", data[:, 1], {"units": "mA"}),
            "voltage_V": ("time_s", data[:, 2], {"units": "V"}),
        },
        coords={"time_s": ("time_s", data[:, 0], {"units": "s"})},
        attrs={"source": str(path)},
    )
    if start is not None:
        ds.attrs["start"] = start.isoformat()
    return ds
