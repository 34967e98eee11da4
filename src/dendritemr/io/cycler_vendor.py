"""Cycler text/CSV exports of Neware, Maccor and Arbin (layouts of the files in
``shared/data/real``; other layouts of the same vendors fall back to the generic reader).

- Neware CSV (BTSDA "regular export"): three nested header lines (cycle, step, record); record
  rows start with two empty cells and hold ``Total Time`` (``HH:MM:SS``), ``Current(A)``
  (signed), ``Voltage(V)`` and ``Date`` (local time).
- Maccor text export: ``Name``/``Started`` header block (``Started`` ``M/D/YYYY h:mm:ss AM``,
  local), then a tab-separated table with ``TestTime`` in minutes, ``Current [A]`` unsigned and
  the mode ``Md`` (``C`` charge, ``D`` discharge: negative current, ``R`` rest).
- Arbin CSV (Battery Data Format columns ``Test Time / s``, ``Current / A``, ``Voltage / V``,
  and ``DateTime`` as an Excel serial day number, local time).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.cycler_table import (
    column_values,
    cycler_dataset,
    parse_clock,
    read_generic,
    read_lines,
    table_columns,
)

__all__ = ["read_neware_csv", "read_maccor_txt", "read_arbin_csv", "sniff_vendor"]


def sniff_vendor(lines: list[str]) -> str | None:
    """``"neware-csv"``, ``"maccor-txt"``, ``"arbin-csv"`` or None from a file's first lines."""
    head = "\n".join(lines[:20])
    if lines and lines[0].startswith("Cycle Index,Chg. Cap.") and "Step Index" in head:
        return "neware-csv"
    if head.startswith("Name:") and "\nStarted\t" in head and "TestTime" in head:
        return "maccor-txt"
    if lines and "Test Time / s" in lines[0] and "DateTime" in lines[0]:
        return "arbin-csv"
    return None


def read_neware_csv(path: str | Path) -> xr.Dataset:
    """Read a Neware BTSDA CSV export (record rows only).

    Raises
    ------
    DataError : missing record header or columns, unreadable values, non-monotonic time.
    """
    path = Path(path)
    lines = read_lines(path)
    header = next((ln for ln in lines[:5] if ln.startswith(",,") and "Voltage" in ln), None)
    if header is None:
        raise DataError(path, "no Neware record header (',,DataPoint,...,Voltage(V)')")
    names = [c.strip() for c in header.split(",")]
    need = ("Total Time", "Current(A)", "Voltage(V)", "Date")
    missing = [n for n in need if n not in names]
    if missing:
        raise DataError(path, f"Neware export lacks {', '.join(missing)}")
    idx = [names.index(n) for n in need]
    rows = [ln.split(",") for ln in lines if ln.startswith(",,") and ln != header]
    rows = [r for r in rows if len(r) > max(idx) and r[2].strip()]
    if not rows:
        raise DataError(path, "no record rows")
    t = np.array([parse_clock(r[idx[0]]) for r in rows])
    cur = column_values(rows, idx[1], ".") * 1e3
    volt = column_values(rows, idx[2], ".")
    try:
        start = dt.datetime.fromisoformat(rows[0][idx[3]].strip()) - dt.timedelta(seconds=t[0])
    except ValueError:
        raise DataError(path, f"unreadable Date {rows[0][idx[3]]!r}") from None
    return cycler_dataset(path, t, volt, cur, "neware-csv", start)


def _us_time(text: str) -> dt.datetime | None:
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S"):
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            pass
    return None


def read_maccor_txt(path: str | Path) -> xr.Dataset:
    """Read a Maccor tab-separated text export (``TestTime`` in minutes).

    Raises
    ------
    DataError : no table header, missing columns, unreadable start, non-monotonic time.
    """
    path = Path(path)
    lines = read_lines(path)
    start = None
    hdr = None
    for i, ln in enumerate(lines[:40]):
        if ln.startswith("Started\t"):
            start = _us_time(ln.split("\t", 1)[1])
            if start is None:
                raise DataError(path, f"unreadable Started time {ln.split(chr(9), 1)[1]!r}")
        if ln.startswith("Rec\t") and "TestTime" in ln:
            hdr = i
            break
    if hdr is None:
        raise DataError(path, "no Maccor table header (Rec, TestTime, ...)")
    names = [c.strip() for c in lines[hdr].split("\t")]
    need = ("TestTime", "Current [A]", "Voltage [V]", "Md")
    missing = [n for n in need if n not in names]
    if missing:
        raise DataError(path, f"Maccor export lacks {', '.join(missing)}")
    rows = [ln.split("\t") for ln in lines[hdr + 1 :] if ln.strip()]
    j = [names.index(n) for n in need]
    t = column_values(rows, j[0], ".") * 60.0
    cur = column_values(rows, j[1], ".") * 1e3
    # a short row (a header line or a cut-off last line) has no mode cell: its missing time or
    # voltage is then reported by cycler_dataset with its row number
    mode = [r[j[3]] if j[3] < len(r) else "" for r in rows]
    sign = np.array([-1.0 if m.strip().upper().startswith("D") else 1.0 for m in mode])
    volt = column_values(rows, j[2], ".")
    return cycler_dataset(path, t, volt, cur * sign, "maccor-txt", start)


def read_arbin_csv(path: str | Path) -> xr.Dataset:
    """Read an Arbin CSV export with Battery Data Format columns (units in the header).

    Raises
    ------
    DataError : see :func:`dendritemr.io.cycler_table.read_generic`; unreadable DateTime.
    """
    path = Path(path)
    lines = read_lines(path)
    names, _, rows, _ = table_columns(lines, path, ".")
    ds = read_generic(path, ".", lines, "arbin-csv")
    if "datetime" in names:
        day = column_values(rows[:1], names.index("datetime"), ".")[0]
        if np.isfinite(day):
            # Excel serial day (1900 system, epoch 1899-12-30), local time of the cycler PC
            t0 = dt.datetime(1899, 12, 30) + dt.timedelta(days=float(day))
            ds.attrs["start"] = (t0 - dt.timedelta(seconds=float(ds.time_s[0]))).isoformat()
    return ds
