"""Varian / Agilent (VnmrJ, VNMR) ``.fid`` folders -> ``(time, t2)`` FID series.

A ``.fid`` folder holds ``procpar`` (parameters, read with :func:`nmrglue.varian.read_procpar`)
and ``fid`` (binary, big-endian; parsed here so that truncation and header problems give a
one-line :class:`~dendritemr.errors.DataError`). Every trace in the file becomes one row: the
elements of an arrayed experiment (``arraydim > 1``, e.g. a kinetic series or a delay list)
are rows, and each arrayed parameter with one value per row becomes a row coordinate.

Acquisition times
-----------------
``procpar`` stores ``time_run`` (start) and ``time_complete`` (end) as ``YYYYMMDDThhmmss`` in
the spectrometer's local clock, with no time zone. Row ``i`` gets the mid-point of its share of
that span, shares proportional to its number of scans (``nt``, arrayed or not). When only
``time_run`` exists, every row gets the start time; with neither, ``date`` (a day, no clock
time) is not used and times are unknown (NaT). The clock is interpreted with
``utc_offset_minutes`` (default 0: the local clock is taken as UTC, stated in
``attrs["time_note"]``).
"""

from __future__ import annotations

import datetime as dt
import re
import struct
from pathlib import Path
from typing import Any

import nmrglue as ng
import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.model import file_checksums, make_fid_series

__all__ = ["is_varian", "normalise_nucleus", "read_varian"]

_FILE_HEADER = struct.Struct(">6i2hi")  # nblocks ntraces np ebytes tbytes bbytes vers status nbh
_BLOCK_HEADER_BYTES = 28
_S_32 = 0x4
_S_FLOAT = 0x8
_S_COMPLEX = 0x10
_NUCLEUS_RE = (
    re.compile(r"^(\d+)([A-Za-z]{1,2})$"),  # 31P, 7Li
    re.compile(r"^([A-Za-z]{1,2})(\d+)$"),  # P31, Li7
)


def normalise_nucleus(name: str) -> str:
    """Normalise a nucleus label to mass number + symbol, e.g. ``"P31"`` -> ``"31P"``.

    Parameters
    ----------
    name : str
        Vendor label: ``"P31"``, ``"H1"``, ``"^1H"``, ``"<13C>"``, ``"7Li"``, ...

    Returns
    -------
    str
        ``"31P"``, ``"1H"``, ``"13C"``, ``"7Li"``; the stripped input if it is not recognised
        (``""`` for an empty label).
    """
    label = name.strip().strip("^<>").strip()
    for i, pattern in enumerate(_NUCLEUS_RE):
        match = pattern.match(label)
        if match:
            mass, symbol = match.groups() if i == 0 else match.groups()[::-1]
            return f"{int(mass)}{symbol.capitalize()}"
    return label


def is_varian(path: str | Path) -> bool:
    """Whether ``path`` is a Varian/Agilent experiment folder (holds ``procpar`` and ``fid``)."""
    path = Path(path)
    return path.is_dir() and (path / "procpar").is_file() and (path / "fid").is_file()


def read_varian(path: str | Path, utc_offset_minutes: int = 0) -> xr.DataArray:
    """Read a Varian/Agilent ``.fid`` folder into a ``(time, t2)`` FID series.

    Parameters
    ----------
    path : str or Path
        The experiment folder (``*.fid``) holding ``procpar`` and ``fid``.
    utc_offset_minutes : int
        Offset of the spectrometer's local clock from UTC, minutes (procpar has no time zone).

    Returns
    -------
    xarray.DataArray
        Complex FIDs, dims ``("time", "t2")``, ``t2`` in s (dwell ``1/sw``), one row per trace,
        row coordinates ``scans`` (completed transients, from the block headers) and each
        simply arrayed parameter. ``attrs``: ``nucleus``, ``sfo1_mhz`` (``sfrq``), ``bf1_mhz``
        (``sfrq - tof``), ``sf_mhz`` (``reffrq``, frequency of 0 ppm), ``sw_hz``,
        ``group_delay`` 0 (Varian applies no digital-filter delay), ``pulse_program``, ...

    Raises
    ------
    DataError
        If the folder, ``procpar`` or ``fid`` is missing, unreadable or inconsistent.
    """
    path = Path(path)
    if not path.is_dir():
        raise DataError(path, "not a Varian .fid folder (no such directory)")
    procpar_path, fid_path = path / "procpar", path / "fid"
    for required in (procpar_path, fid_path):
        if not required.is_file():
            raise DataError(required, f"missing Varian file '{required.name}'")
    params = _read_procpar(procpar_path)
    data, scans = _read_fid_file(fid_path)
    attrs = _attrs(params, path, [procpar_path, fid_path], utc_offset_minutes)
    n_rows = data.shape[0]
    row_coords: dict[str, Any] = {"scans": scans}
    row_coords.update(_array_coords(params, n_rows))
    times = _row_times(params, n_rows, utc_offset_minutes)
    if times is None:
        attrs["time_note"] = "no time_run in procpar: acquisition times unknown"
    return make_fid_series(data, 1.0 / attrs["sw_hz"], times, attrs, row_coords)


def _read_procpar(path: Path) -> dict[str, list[str]]:
    """Parameter name -> list of value strings, from ``procpar``."""
    if path.stat().st_size == 0:
        raise DataError(path, "empty procpar")
    try:
        raw = ng.varian.read_procpar(str(path))
    except Exception as exc:  # nmrglue raises assorted errors on malformed text
        raise DataError(path, f"unreadable procpar ({exc.__class__.__name__})") from exc
    params = {name: list(entry.get("values", [])) for name, entry in raw.items()}
    for key in ("np", "sw", "sfrq"):
        if not params.get(key):
            raise DataError(path, f"procpar lacks parameter '{key}'")
    return params


def _read_fid_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Complex traces ``(n_traces, np/2)`` and per-trace completed scans from a Varian ``fid``."""
    raw = path.read_bytes()
    if len(raw) < _FILE_HEADER.size:
        raise DataError(path, f"fid too short for its 32-byte header ({len(raw)} bytes)")
    nblocks, ntraces, npts, ebytes, tbytes, bbytes, _vers, status, nbheaders = (
        _FILE_HEADER.unpack_from(raw)
    )
    if min(nblocks, ntraces, npts, ebytes) <= 0 or ebytes not in (2, 4) or npts % 2:
        raise DataError(path, f"invalid fid header (nblocks {nblocks}, np {npts}, ebytes {ebytes})")
    if tbytes != npts * ebytes or bbytes != ntraces * tbytes + nbheaders * _BLOCK_HEADER_BYTES:
        raise DataError(path, "inconsistent fid header (trace/block sizes do not add up)")
    expected = _FILE_HEADER.size + nblocks * bbytes
    if len(raw) < expected:
        raise DataError(path, f"truncated fid: {len(raw)} bytes, header implies {expected}")
    dtype = ">f4" if status & _S_FLOAT else (">i4" if status & _S_32 else ">i2")
    if np.dtype(dtype).itemsize != ebytes:
        raise DataError(path, f"fid status {status:#x} disagrees with {ebytes}-byte elements")
    blocks = np.frombuffer(raw, np.uint8, nblocks * bbytes, _FILE_HEADER.size)
    blocks = blocks.reshape(nblocks, bbytes)
    head_bytes = nbheaders * _BLOCK_HEADER_BYTES
    values = blocks[:, head_bytes:].copy().view(dtype).astype(np.float64)
    values = values.reshape(nblocks * ntraces, npts)
    data = values[:, 0::2] + 1j * values[:, 1::2]
    # block header: scale, status, index, mode (int16), ctcount (int32), ...
    ctcount = blocks[:, 8:12].copy().view(">i4").ravel() if nbheaders else np.zeros(nblocks, int)
    return data, np.repeat(ctcount.astype(int), ntraces)


def _first_float(params: dict[str, list[str]], key: str, default: float = np.nan) -> float:
    values = params.get(key) or []
    try:
        return float(values[0])
    except (IndexError, ValueError):
        return default


def _first_str(params: dict[str, list[str]], key: str) -> str:
    values = params.get(key) or [""]
    return str(values[0])


def _attrs(
    params: dict[str, list[str]], folder: Path, files: list[Path], utc_offset_minutes: int
) -> dict[str, Any]:
    """Standard series attrs from procpar values."""
    sfrq = _first_float(params, "sfrq")
    tof_hz = _first_float(params, "tof", 0.0)
    sw_hz = _first_float(params, "sw")
    if not (np.isfinite(sw_hz) and sw_hz > 0):
        raise DataError(folder / "procpar", f"invalid spectral width sw = {sw_hz}")
    reffrq = _first_float(params, "reffrq")
    return {
        "nucleus": normalise_nucleus(_first_str(params, "tn")),
        "sfo1_mhz": sfrq,
        "bf1_mhz": sfrq - tof_hz * 1e-6,
        "sf_mhz": reffrq if np.isfinite(reffrq) and reffrq > 0 else sfrq,
        "sw_hz": sw_hz,
        "group_delay": 0.0,
        "utc_offset_minutes": int(utc_offset_minutes),
        "source": str(folder),
        "checksums": file_checksums(list(files)),
        "units": "a.u.",
        "vendor": "Varian",
        "pulse_program": _first_str(params, "seqfil"),
        "console": _first_str(params, "console"),
        "array": _first_str(params, "array"),
        "arraydim": _arraydim(params),
        "time_note": (
            f"procpar times are the spectrometer's local clock, read as UTC{utc_offset_minutes:+d} "
            "min; row times are mid-points of the time_run..time_complete span split by scans"
        ),
    }


def _arraydim(params: dict[str, list[str]]) -> int:
    """``arraydim`` as an int (1 when absent or not a finite whole number)."""
    value = _first_float(params, "arraydim", 1.0)
    return int(value) if np.isfinite(value) and value == round(value) else 1


def _array_coords(params: dict[str, list[str]], n_rows: int) -> dict[str, np.ndarray]:
    """Row coordinates for arrayed parameters that have exactly one value per row.

    ``array`` lists names separated by commas; jointly arrayed groups are in parentheses.
    Nested arrays (several independent names) are only used when a name alone has
    ``n_rows`` values; other combinations are left out (``attrs["array"]`` keeps the string).
    """
    names = [n for n in re.split(r"[(),\s]+", _first_str(params, "array")) if n]
    coords: dict[str, np.ndarray] = {}
    for name in names:
        values = params.get(name) or []
        if len(values) != n_rows:
            continue
        try:
            coords[name] = np.array([float(v) for v in values])
        except ValueError:
            coords[name] = np.array(values, dtype=str)
    return coords


def _parse_vnmr_time(text: str, utc_offset_minutes: int) -> dt.datetime | None:
    """``YYYYMMDDThhmmss`` in the spectrometer clock -> aware datetime (None if absent)."""
    try:
        naive = dt.datetime.strptime(text.strip(), "%Y%m%dT%H%M%S")
    except ValueError:
        return None
    return naive.replace(tzinfo=dt.timezone(dt.timedelta(minutes=utc_offset_minutes)))


def _row_times(
    params: dict[str, list[str]], n_rows: int, utc_offset_minutes: int
) -> list[dt.datetime] | None:
    """Mid-point of each row, splitting time_run..time_complete in proportion to scans."""
    start = _parse_vnmr_time(_first_str(params, "time_run"), utc_offset_minutes)
    end = _parse_vnmr_time(_first_str(params, "time_complete"), utc_offset_minutes)
    if start is None:
        return None
    if end is None or end <= start:
        return [start] * n_rows
    weights = _scan_weights(params, n_rows)
    edges = np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    mids = 0.5 * (edges[:-1] + edges[1:]) * (end - start).total_seconds()
    return [start + dt.timedelta(seconds=float(s)) for s in mids]


def _scan_weights(params: dict[str, list[str]], n_rows: int) -> np.ndarray:
    """Relative duration of each row: arrayed ``nt`` when it has one value per row, else equal."""
    nt = params.get("nt") or []
    if len(nt) == n_rows:
        try:
            weights = np.array([float(v) for v in nt])
            if np.all(weights > 0):
                return weights
        except ValueError:
            pass
    return np.ones(n_rows)
