"""Absolute acquisition times of TopSpin experiments.

The start and end of an acquisition come from ``audita.txt`` (``started at ...`` and the
time stamp of the ``zg`` entry, local time with its UTC offset). Without an audit trail the end
is acqus ``DATE`` (Unix seconds, UTC) and the start is the end minus the duration computed
from acqus (:func:`scan_durations`). Rows of a pseudo-2D get mid-points by distributing the
measured window in proportion to their computed durations.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np

_STAMP = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\s*([+-]\d{4})"
_STARTED = re.compile(r"started at " + _STAMP)
_FIRST_ENTRY = re.compile(r"\(\s*1,\s*<" + _STAMP + ">")
_HEADER_STAMP = re.compile(r"^\$\$ " + _STAMP, re.MULTILINE)


def _parse_stamp(text: str, offset: str) -> dt.datetime:
    sign = 1 if offset[0] == "+" else -1
    tz = dt.timezone(sign * dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    return dt.datetime.strptime(text, fmt).replace(tzinfo=tz)


def audit_window(audita: Path) -> tuple[dt.datetime, dt.datetime] | None:
    """(start, end) of the acquisition from ``audita.txt``, or None if it has no ``zg`` entry."""
    if not audita.is_file():
        return None
    text = audita.read_text(errors="replace")
    started, ended = _STARTED.search(text), _FIRST_ENTRY.search(text)
    if started is None or ended is None:
        return None
    return _parse_stamp(*started.groups()), _parse_stamp(*ended.groups())


def scan_durations(acqus: dict[str, Any], delays_s: list[float] | None = None) -> np.ndarray:
    """Computed duration of each FID (row) in s: (NS + DS) x (D1 + AQ + DE) [+ NS x vd].

    AQ = TD / (2 SW_h). Dummy scans are counted once, before the first row. Pulse-program
    overheads (e.g. automatic tuning) are not in acqus, so this is a lower bound.
    """
    ns, ds = int(acqus.get("NS", 1)), int(acqus.get("DS", 0))
    d1 = float(acqus.get("D", [0, 0])[1])
    aq = int(acqus["TD"]) / (2.0 * float(acqus["SW_h"]))
    de = float(acqus.get("DE", 0.0)) * 1e-6
    per_scan = d1 + aq + de
    delays = np.zeros(1) if delays_s is None else np.asarray(delays_s, dtype=float)
    rows = ns * (per_scan + delays)
    rows[0] += ds * (per_scan + delays[0])
    return rows


def utc_offset_from_header(acqus_path: Path) -> dt.timezone | None:
    """Time zone of the spectrometer from the ``$$ date time +hhmm`` header line of acqus."""
    try:
        match = _HEADER_STAMP.search(acqus_path.read_text(errors="replace"))
    except OSError:
        return None
    return None if match is None else _parse_stamp(*match.groups()).tzinfo  # type: ignore[return-value]


def row_midpoints(
    exp_dir: Path, acqus: dict[str, Any], durations_s: np.ndarray
) -> tuple[list[dt.datetime], dict[str, Any]]:
    """Timezone-aware mid-point of each row and a record of how they were obtained."""
    window = audit_window(exp_dir / "audita.txt")
    computed = float(np.sum(durations_s))
    if window is not None:
        start, end = window
        source = "audita.txt"
    else:
        tz = utc_offset_from_header(exp_dir / "acqus") or dt.UTC
        end = dt.datetime.fromtimestamp(float(acqus["DATE"]), tz=dt.UTC).astimezone(tz)
        start = end - dt.timedelta(seconds=computed)
        source = "acqus DATE minus computed duration"
    measured = (end - start).total_seconds()
    scale = measured / computed if computed > 0 else 0.0
    edges = np.concatenate([[0.0], np.cumsum(durations_s)]) * scale
    mids = [
        start + dt.timedelta(seconds=float(0.5 * (a + b)))
        for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]
    info = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "measured_s": measured,
        "computed_s": computed,
        "source": source,
    }
    return mids, info
