"""BioLogic EC-Lab text exports: ``.mpt`` (with its header) and the plain ``.txt`` export.

``.mpt``: ``EC-Lab ASCII FILE`` / ``Nb header lines : N``; the header records
``Acquisition started on : MM/DD/YYYY HH:MM:SS[.fff]`` (the cycler PC's local clock, no zone),
and its last line names the tab-separated columns (``time/s``, ``Ewe/V``, ``I/mA`` or
``<I>/mA``, ...). The plain export (Export as text) has only the column line, e.g. ``time/s``
and ``Ewe/V`` for the TEGDME cell of ``shared/data/real``; it records neither the start time nor,
there, the current. Both may use the Windows decimal comma. ``time/s`` counts from the start of
the whole EC-Lab experiment (all linked techniques), not from the technique exported.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.cycler_table import read_generic, read_lines

__all__ = ["is_eclab_mpt", "read_eclab_mpt", "read_eclab_txt", "parse_eclab_start"]

_MAGIC = ("EC-Lab ASCII FILE", "BT-Lab ASCII FILE")


def is_eclab_mpt(path: str | Path) -> bool:
    """True if the file starts like an EC-Lab / BT-Lab ``.mpt`` export."""
    try:
        with open(path, "rb") as f:
            head = f.read(64).decode("latin-1")
    except OSError:
        return False
    return head.lstrip().startswith(_MAGIC)


def parse_eclab_start(text: str) -> dt.datetime | None:
    """``MM/DD/YYYY HH:MM:SS[.fff]`` (EC-Lab's format) or ISO 8601 -> naive datetime; else None."""
    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?", text)
    if m:
        mo, d, y, hh, mm, ss = (int(g) for g in m.groups()[:6])
        micro = int((m.group(7) or "0").ljust(6, "0")[:6])
        try:
            return dt.datetime(y, mo, d, hh, mm, ss, micro)
        except ValueError:  # e.g. 13/02/2026: a day-first date is not EC-Lab's MM/DD/YYYY
            return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def read_eclab_mpt(path: str | Path, decimal: str = "auto") -> xr.Dataset:
    """Read an EC-Lab ``.mpt`` text export.

    Returns the cycler Dataset of :mod:`dendritemr.io.cycler_table` with ``attrs["start"]`` the
    recorded acquisition start (naive: the cycler PC's local time).

    Raises
    ------
    DataError : not an EC-Lab file, bad header line count, unreadable start time, or any
        column problem of :func:`dendritemr.io.cycler_table.read_generic`.
    """
    path = Path(path)
    lines = read_lines(path)
    if not lines[0].strip().startswith(_MAGIC):
        raise DataError(path, "not an EC-Lab .mpt file (no 'EC-Lab ASCII FILE' line)")
    n_header = None
    start = None
    for line in lines[:10]:
        m = re.match(r"\s*Nb header lines\s*:\s*(\d+)", line)
        if m:
            n_header = int(m.group(1))
            break
    if n_header is None or not 2 <= n_header <= len(lines):
        raise DataError(path, "EC-Lab header has no valid 'Nb header lines'")
    for line in lines[: n_header - 1]:
        if line.strip().lower().startswith("acquisition started on"):
            start = parse_eclab_start(line.split(":", 1)[1])
            if start is None:
                raise DataError(
                    path,
                    f"unreadable start time {line.split(':', 1)[1].strip()!r} (EC-Lab writes "
                    "MM/DD/YYYY HH:MM:SS; correct the header line or export again)",
                )
    return read_generic(path, decimal, lines[n_header - 1 :], "eclab-mpt", start)


def read_eclab_txt(path: str | Path, decimal: str = "auto") -> xr.Dataset:
    """Read an EC-Lab plain text export (a column line, then tab-separated rows).

    The file records no start time (give it in the study: ``[cycler] start``) and may have no
    current column (``[cycler] current_mA``).

    Raises
    ------
    DataError : see :func:`dendritemr.io.cycler_table.read_generic`.
    """
    return read_generic(path, decimal, fmt="eclab-txt")
