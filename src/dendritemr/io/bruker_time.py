"""Absolute acquisition times of TopSpin experiments.

The start and end of an acquisition come from ``audita.txt`` (``started at ...`` and the
time stamp of the ``zg`` entry, local time with its UTC offset). Without an audit trail the end
is acqus ``DATE`` (Unix seconds, UTC) and the start is the end minus the duration computed
from acqus (:func:`scan_durations`). A single FID's mid-point is that of its scans: the end
minus half the computed scan time when the window is longer (pre-scan tuning and set-up come
first). Rows of a pseudo-2D get mid-points by distributing the measured window in proportion
to their computed durations.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from dendritemr.errors import DataError
from dendritemr.io.bruker_params import number, number_list

#: longest plausible acquisition of one experiment, s (10 years)
_MAX_DURATION_S = 3.2e8
_STAMP = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\s*([+-]\d{4})"
_STARTED = re.compile(r"started at " + _STAMP)
_FIRST_ENTRY = re.compile(r"\(\s*1,\s*<" + _STAMP + ">")
_HEADER_STAMP = re.compile(r"^\$\$ " + _STAMP, re.MULTILINE)


def _parse_stamp(text: str, offset: str) -> dt.datetime | None:
    sign = 1 if offset[0] == "+" else -1
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    try:
        tz = dt.timezone(sign * dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        return dt.datetime.strptime(text, fmt).replace(tzinfo=tz)
    except ValueError:  # a corrupted stamp (month 13, offset beyond 24 h): no time
        return None


def audit_window(audita: Path) -> tuple[dt.datetime, dt.datetime] | None:
    """(start, end) of the acquisition from ``audita.txt``, or None if it has no ``zg`` entry."""
    if not audita.is_file():
        return None
    text = audita.read_text(errors="replace")
    started, ended = _STARTED.search(text), _FIRST_ENTRY.search(text)
    if started is None or ended is None:
        return None
    start, end = _parse_stamp(*started.groups()), _parse_stamp(*ended.groups())
    if start is None or end is None or end < start:
        return None
    return start, end


def scan_durations(
    acqus: dict[str, Any], delays_s: list[float] | None = None, path: str | Path = "acqus"
) -> np.ndarray:
    """Computed duration of each FID (row) in s: (NS + DS) x (D1 + AQ + DE) [+ NS x vd].

    AQ = TD / (2 SW_h). Dummy scans are counted once, before the first row. Pulse-program
    overheads (e.g. automatic tuning) are not in acqus, so this is a lower bound.
    """
    ns = max(number(acqus, "NS", path, 1, integer=True), 0)
    ds = max(number(acqus, "DS", path, 0, integer=True), 0)
    d1 = max(number_list(acqus, "D", path, 1, 0.0), 0.0)
    aq = number(acqus, "TD", path, integer=True) / (
        2.0 * number(acqus, "SW_h", path, positive=True)
    )
    de = max(number(acqus, "DE", path, 0.0), 0.0) * 1e-6
    per_scan = d1 + aq + de
    delays = np.zeros(1) if delays_s is None else np.asarray(delays_s, dtype=float)
    rows = ns * (per_scan + delays)
    rows[0] += ds * (per_scan + delays[0])
    if not np.all(np.isfinite(rows)) or rows.sum() > _MAX_DURATION_S:
        raise DataError(
            path, f"computed acquisition time {rows.sum():.3g} s is not plausible (NS, D1, TD, vd)"
        )
    return rows


def utc_offset_from_header(acqus_path: Path) -> dt.timezone | None:
    """Time zone of the spectrometer from the ``$$ date time +hhmm`` header line of acqus."""
    try:
        match = _HEADER_STAMP.search(acqus_path.read_text(errors="replace"))
    except OSError:
        return None
    if match is None:
        return None
    stamp = _parse_stamp(*match.groups())
    return None if stamp is None else stamp.tzinfo  # type: ignore[return-value]


def _end_from_date(exp_dir: Path, acqus: dict[str, Any]) -> dt.datetime | None:
    """acqus ``DATE`` (Unix seconds, UTC) in the header's time zone; None if absent or absurd."""
    try:
        unix = number(acqus, "DATE", exp_dir / "acqus", None)
    except DataError:
        return None
    if unix is None or not 0 < unix < 32503680000:  # after 1970, before year 3000
        return None
    tz = utc_offset_from_header(exp_dir / "acqus") or dt.UTC
    return dt.datetime.fromtimestamp(unix, tz=dt.UTC).astimezone(tz)


def row_midpoints(
    exp_dir: Path, acqus: dict[str, Any], durations_s: np.ndarray
) -> tuple[list[dt.datetime | None], dict[str, Any]]:
    """Timezone-aware mid-point of each row and a record of how they were obtained.

    Without an audit trail and without a usable acqus ``DATE`` the times are unknown: every
    row gets None (NaT in the series) and a warning names the experiment.
    """
    window = audit_window(exp_dir / "audita.txt")
    computed = float(np.sum(durations_s))
    if window is not None:
        start, end = window
        source = "audita.txt"
    else:
        end = _end_from_date(exp_dir, acqus)
        if end is None:
            warnings.warn(
                f"{exp_dir}: no audita.txt and no usable ##$DATE= in acqus: acquisition "
                "times unknown (NaT)",
                stacklevel=3,
            )
            info = {"source": "unknown", "computed_s": computed, "measured_s": None}
            return [None] * len(durations_s), info
        start = end - dt.timedelta(seconds=computed)
        source = "acqus DATE minus computed duration"
    measured = (end - start).total_seconds()
    if len(durations_s) == 1 and 0 < computed < measured:
        # one FID whose audit window is longer than its scans: the time before the scans
        # (the pulse program's automatic tuning and matching, set-up) comes first and the data
        # are the last ``computed`` seconds; on the real TEGDME 7Li series the window is 14.6 s
        # longer than the 272.8 s of scans in 45 of 50 expnos and 71-205 s in expnos 39-43
        mids = [end - dt.timedelta(seconds=0.5 * computed)]
        rule = "end of the window minus half the computed scan time (pre-scan overhead)"
    else:
        scale = measured / computed if computed > 0 else 0.0
        edges = np.concatenate([[0.0], np.cumsum(durations_s)]) * scale
        mids = [
            start + dt.timedelta(seconds=float(0.5 * (a + b)))
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]
        rule = "window shared in proportion to the computed row durations"
    info = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "measured_s": measured,
        "computed_s": computed,
        "source": source,
        "mid_point": rule,
    }
    return mids, info
