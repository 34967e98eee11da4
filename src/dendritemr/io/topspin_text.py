"""TopSpin text exports of processed 1D spectra -> ``(time, ppm)`` spectrum series.

Two formats:

``ascii-spec.txt`` (``convbin2asc``)
    An optional title line, then ``index, intensity, Hz, ppm`` rows. The intensity is TopSpin's
    ``1r`` scaled by ``2**NC_proc`` and rounded; the axis columns are bin centres, i.e. half a
    point below ``procs`` ``OFFSET`` (``ppm_i = OFFSET - (i + 1/2) SW_p / SF / SI``). The ppm
    column is used as written; ``sf_mhz`` is the slope of the Hz column against it.
``totxt``
    ``#`` comment header with ``LEFT = ... ppm. RIGHT = ... ppm.``, ``SIZE = n`` and
    ``Data set = name expno procno folder``, then one intensity per line from left to right.
    The ppm of point ``i`` is ``LEFT + i (RIGHT - LEFT) / (SIZE - 1)``. :func:`read_totxt`
    also takes a folder of such files and stacks them (sorted by expno) into one series.

Neither format records the nucleus or the acquisition time. When an ``ascii-spec.txt`` still
sits in its TopSpin folder (``<expno>/pdata/<procno>/``), ``NUC1``, ``SFO1`` and ``BF1`` are taken
from ``<expno>/acqus``; times stay unknown (NaT) -- read the Bruker folder for those.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.varian import normalise_nucleus
from dendritemr.model import file_checksums, make_spectrum_series

__all__ = [
    "is_topspin_text",
    "read_ascii_spec",
    "read_totxt",
    "read_profile_series",
    "read_potentiostat_log",
    "align_with_log",
]

_LEFT_RIGHT_RE = re.compile(r"LEFT\s*=\s*(\S+)\s*ppm\.?\s*RIGHT\s*=\s*(\S+)\s*ppm", re.IGNORECASE)
_SIZE_RE = re.compile(r"SIZE\s*=\s*(\d+)")
_DATASET_RE = re.compile(r"Data set\s*=\s*(.*?)\s+(\d+)\s+(\d+)\s+(.*)$", re.MULTILINE)
_CREATED_RE = re.compile(r"File created\s*=\s*(.*)$", re.MULTILINE)
_ACQUS_RE = re.compile(r"^##\$(NUC1|SFO1|BF1)=\s*<?([^>\n]*)>?", re.MULTILINE)


def is_topspin_text(path: str | Path) -> bool:
    """Whether ``path`` is a TopSpin ``totxt`` or ``ascii-spec.txt`` 1D export."""
    return _format(Path(path)) is not None


def _format(path: Path) -> str | None:
    """``"totxt"``, ``"ascii-spec"`` or None, from the first lines of the file."""
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        head = fh.read(2048)
    if b"\x00" in head:
        return None
    lines = head.decode("latin-1").splitlines()[:12]
    if any(_LEFT_RIGHT_RE.search(line) for line in lines if line.startswith("#")):
        return "totxt"
    rows = [line for line in lines[:3] if _ascii_row(line) is not None]
    return "ascii-spec" if rows else None


def _ascii_row(line: str) -> list[float] | None:
    parts = line.split(",")
    if len(parts) != 4:
        return None
    try:
        return [float(p) for p in parts]
    except ValueError:
        return None


def read_ascii_spec(path: str | Path) -> xr.DataArray:
    """Read a TopSpin ``ascii-spec.txt`` export into a one-row spectrum series.

    Parameters
    ----------
    path : str or Path
        The ``ascii-spec.txt`` file.

    Returns
    -------
    xarray.DataArray
        Intensities (a.u., TopSpin's ``1r * 2**NC_proc``), dims ``("time", "ppm")``, ppm from the
        file's fourth column. ``attrs``: ``sf_mhz`` (Hz/ppm slope), ``sw_hz``, ``title``;
        ``nucleus``, ``sfo1_mhz``, ``bf1_mhz`` when ``../../acqus`` exists. Row coordinate
        ``expno`` when the file lies in ``<expno>/pdata/<procno>/``.

    Raises
    ------
    DataError
        Missing or empty file, malformed rows, fewer than two points.
    """
    path = Path(path)
    lines = _text_lines(path)
    title, rows = "", []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row = _ascii_row(line)
        if row is None:
            if rows or title:
                raise DataError(path, f"line {number}: expected 'index, intensity, Hz, ppm'")
            title = title or line.strip()
            continue
        rows.append(row)
    if len(rows) < 2:
        raise DataError(path, "fewer than two 'index, intensity, Hz, ppm' rows")
    table = np.asarray(rows)
    if not np.all(np.isfinite(table)):
        raise DataError(path, "non-finite number (NaN/inf) in the 'index, intensity, Hz, ppm' rows")
    hz, ppm = table[:, 2], table[:, 3]
    sf_mhz = float(np.polyfit(ppm, hz, 1)[0]) if np.ptp(ppm) > 0 else np.nan
    if not np.isfinite(sf_mhz) or sf_mhz <= 0:
        raise DataError(path, "Hz and ppm columns do not give a positive spectrometer frequency")
    n = ppm.size
    attrs: dict[str, Any] = {
        "sf_mhz": sf_mhz,
        "sfo1_mhz": sf_mhz,
        "sw_hz": float(abs(hz[-1] - hz[0]) * n / (n - 1)),
        "title": title,
        "source": str(path),
        "units": "a.u.",
        "time_note": "ascii-spec.txt holds no acquisition time",
    }
    files, row_coords = [path], {}
    expno_dir = _topspin_expno_dir(path)
    if expno_dir is not None:
        attrs.update(_acqus_attrs(expno_dir / "acqus"))
        files.append(expno_dir / "acqus")
        row_coords["expno"] = [int(expno_dir.name)]
    attrs["checksums"] = file_checksums(files)
    return make_spectrum_series(table[np.newaxis, :, 1], ppm, None, attrs, row_coords)


def _topspin_expno_dir(path: Path) -> Path | None:
    """``<expno>`` of ``<expno>/pdata/<procno>/file`` when it holds an ``acqus``, else None."""
    pdata = path.parent.parent
    expno_dir = pdata.parent
    if pdata.name == "pdata" and expno_dir.name.isdigit() and (expno_dir / "acqus").is_file():
        return expno_dir
    return None


def _acqus_attrs(acqus: Path) -> dict[str, Any]:
    """Nucleus and frequencies (MHz) from a TopSpin ``acqus`` (only NUC1, SFO1, BF1 are read)."""
    found = dict(_ACQUS_RE.findall(acqus.read_text(encoding="latin-1")))
    attrs: dict[str, Any] = {}
    if found.get("NUC1", "off").strip().lower() not in ("off", ""):
        attrs["nucleus"] = normalise_nucleus(found["NUC1"])
    for key, name in (("SFO1", "sfo1_mhz"), ("BF1", "bf1_mhz")):
        try:
            attrs[name] = float(found[key])
        except (KeyError, ValueError):
            pass
    return attrs


def read_totxt(path: str | Path, nucleus: str = "") -> xr.DataArray:
    """Read a TopSpin ``totxt`` export, or a folder of them, into a spectrum series.

    Parameters
    ----------
    path : str or Path
        One ``totxt`` file, or a folder whose ``totxt`` files (other files are skipped) become
        the rows, in order of expno.
    nucleus : str
        The observed nucleus, which ``totxt`` does not record (e.g. ``"19F"``).

    Returns
    -------
    xarray.DataArray
        Intensities (a.u.), dims ``("time", "ppm")``, row coordinate ``expno``; times unknown
        (NaT: the header's "File created" is the export time, kept as ``attrs["exported"]``).

    Raises
    ------
    DataError
        Missing/empty file, missing LEFT/RIGHT/SIZE header, wrong number of values, 2D exports,
        a folder without totxt files or with files on different ppm axes.
    """
    path = Path(path)
    if path.is_dir():
        files = [f for f in sorted(path.iterdir()) if _format(f) == "totxt"]
        if not files:
            raise DataError(path, "folder holds no TopSpin totxt files")
    else:
        files = [path]
    parsed = sorted((_parse_totxt(f) for f in files), key=lambda p: (p["expno"], p["file"]))
    ppm = parsed[0]["ppm"]
    for item in parsed[1:]:
        if item["ppm"].shape != ppm.shape or not np.allclose(item["ppm"], ppm, atol=1e-9):
            raise DataError(item["file"], f"ppm axis differs from {parsed[0]['file'].name}")
    attrs: dict[str, Any] = {
        "nucleus": normalise_nucleus(nucleus),
        "source": str(path),
        "checksums": file_checksums([p["file"] for p in parsed]),
        "units": "a.u.",
        "dataset": parsed[0]["dataset"],
        "exported": parsed[0]["created"],
        "time_note": "totxt holds no acquisition time",
    }
    data = np.vstack([p["values"] for p in parsed])
    row_coords = {"expno": [p["expno"] for p in parsed]}
    return make_spectrum_series(data, ppm, None, attrs, row_coords)


def _text_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError(path, "no such file")
    if path.stat().st_size == 0:
        raise DataError(path, "empty file")
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise DataError(path, "binary file, not a TopSpin text export")
    return raw.decode("latin-1").splitlines()


def _parse_totxt(path: Path) -> dict[str, Any]:
    """Header fields, ppm axis and values of one 1D ``totxt`` file."""
    lines = _text_lines(path)
    header = "\n".join(line for line in lines if line.startswith("#"))
    if "F1LEFT" in header or "NROWS" in header:
        raise DataError(path, "2D totxt export is not supported (1D only)")
    left_right, size = _LEFT_RIGHT_RE.search(header), _SIZE_RE.search(header)
    if left_right is None or size is None:
        raise DataError(path, "not a TopSpin totxt file (no LEFT/RIGHT/SIZE header)")
    try:
        values = np.array([float(line) for line in lines if line.strip() and line[0] != "#"])
        left, right = float(left_right.group(1)), float(left_right.group(2))
    except ValueError as exc:
        raise DataError(path, f"non-numeric value in totxt file ({exc})") from exc
    n = int(size.group(1))
    if values.size != n or n < 2:
        raise DataError(path, f"SIZE = {n} but {values.size} values")
    dataset = _DATASET_RE.search(header)
    created = _CREATED_RE.search(header)
    return {
        "file": path,
        "values": values,
        "ppm": np.linspace(left, right, n),
        "expno": int(dataset.group(2)) if dataset else -1,
        "dataset": dataset.group(1) if dataset else "",
        "created": created.group(1).strip() if created else "",
    }


def read_profile_series(
    path: str | Path,
    fov_mm: float,
    *,
    nucleus: str = "",
    interval_s: float | None = None,
    start: dt.datetime | None = None,
) -> xr.DataArray:
    """Frequency-encoded 1D MRI profiles exported with ``totxt`` -> ``(time, position)``.

    A profile's frequency axis maps onto position under the read gradient: the exported range
    (``LEFT`` to ``RIGHT``, ``SIZE`` points, the whole spectral width) is the field of view, so
    point ``i`` lies at ``position_mm = (i - SIZE // 2) * fov_mm / SIZE`` (centred; ``LEFT``
    first, as in the file). ``totxt`` records neither the nucleus nor the acquisition times:
    both come from the caller (``nucleus``; ``interval_s`` per profile, optionally ``start``,
    the timezone-aware start of the first profile) or from :func:`align_with_log`.

    Parameters
    ----------
    path : folder of ``totxt`` files (or one file).
    fov_mm : field of view along the read direction (mm), from the acquisition.
    nucleus : observed nucleus, e.g. ``"19F"``.
    interval_s : time per profile (s): sets ``hours`` = ``(k + 1/2) interval / 3600`` (mid-points).
    start : acquisition start of the first profile; with ``interval_s`` sets ``time``.

    Returns
    -------
    xarray.DataArray
        dims ``("time", "position")``, coordinates ``position`` (mm), ``ppm`` (the exported
        frequency axis, along ``position``), ``expno``, ``hours`` (h since the first profile
        started, NaN if unknown), ``time`` (UTC, NaT if unknown).

    Raises
    ------
    DataError : as :func:`read_totxt`; a field of view that is not positive; ``start`` without
        a time zone or without ``interval_s``.
    """
    if not (fov_mm and np.isfinite(fov_mm) and fov_mm > 0):
        raise DataError(path, f"field of view must be positive (got {fov_mm!r} mm)")
    if start is not None and (start.tzinfo is None or interval_s is None):
        raise DataError(path, "profile start needs a time zone and interval_s")
    series = read_totxt(path, nucleus=nucleus)
    n_prof, n = series.shape
    position = (np.arange(n) - n // 2) * float(fov_mm) / n
    hours = np.full(n_prof, np.nan)
    times = None
    if interval_s is not None:
        if not interval_s > 0:
            raise DataError(path, f"interval_s must be positive (got {interval_s!r})")
        hours = (np.arange(n_prof) + 0.5) * float(interval_s) / 3600.0
        if start is not None:
            times = [start + dt.timedelta(hours=float(h)) for h in hours]
    attrs = dict(series.attrs)
    attrs.update({"fov_mm": float(fov_mm), "interval_s": interval_s or np.nan})
    coords: dict[str, Any] = {
        "position": ("position", position, {"units": "mm", "long_name": "read position"}),
        "ppm": ("position", series["ppm"].values, {"units": "ppm"}),
        "expno": ("time", series["expno"].values),
        "hours": ("time", hours, {"units": "h", "long_name": "mid-point since first start"}),
    }
    t64 = (
        np.array([np.datetime64(t.astimezone(dt.UTC).replace(tzinfo=None), "ns") for t in times])
        if times
        else np.full(n_prof, np.datetime64("NaT", "ns"))
    )
    coords["time"] = ("time", t64, {"long_name": "acquisition mid-point", "timezone": "UTC"})
    return xr.DataArray(
        series.values, dims=("time", "position"), coords=coords, attrs=attrs, name="profile"
    )


def read_potentiostat_log(
    path: str | Path, time_unit: str = "h", current_unit: str = "mA"
) -> xr.Dataset:
    """A 3-column potentiostat text log without header: time, voltage (V), current.

    The layout of ``POL.txt`` of the Li|PEO|Li 19F MRI data (Zahner export): tab- or
    space-separated rows ``time  voltage  current``. The file names no units: time is in hours
    by default (its median step, 0.00561 h = 20.2 s, is the 20.18 s/point sampling the authors
    state), current in mA (0.0998 during the galvanostatic part).

    Returns
    -------
    xarray.Dataset
        ``voltage_V``, ``current_mA`` over ``row`` with coordinate ``hours`` (log clock).

    Raises
    ------
    DataError : missing/empty file, a row without exactly 3 numbers, non-finite values, time
        not increasing, an unknown unit.
    """
    path = Path(path)
    scale_t = {"h": 1.0, "min": 1 / 60, "s": 1 / 3600}.get(time_unit)
    scale_i = {"mA": 1.0, "A": 1e3, "uA": 1e-3}.get(current_unit)
    if scale_t is None or scale_i is None:
        raise DataError(path, f"unknown units {time_unit!r}/{current_unit!r} (h|min|s, mA|A|uA)")
    rows = []
    for number, line in enumerate(_text_lines(path), start=1):
        if not line.strip():
            continue
        parts = line.replace(",", " ").split()
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 3:
            raise DataError(path, f"line {number}: expected 3 numbers (time, voltage, current)")
        rows.append(values)
    if len(rows) < 2:
        raise DataError(path, "fewer than two rows")
    table = np.asarray(rows)
    if not np.all(np.isfinite(table)):
        raise DataError(path, "non-finite values")
    hours = table[:, 0] * scale_t
    if np.any(np.diff(hours) <= 0):
        bad = int(np.argmin(np.diff(hours) > 0)) + 2
        raise DataError(path, f"time does not increase at row {bad}")
    return xr.Dataset(
        {
            "voltage_V": ("row", table[:, 1], {"units": "V"}),
            "current_mA": ("row", table[:, 2] * scale_i, {"units": "mA"}),
        },
        coords={"hours": ("row", hours, {"units": "h", "long_name": "log clock"})},
        attrs={"source": str(path), "checksums": file_checksums([path])},
    )


def align_with_log(
    profiles: xr.DataArray, log: xr.Dataset, gap_factor: float = 2.5
) -> xr.DataArray:
    """Put profiles on the potentiostat clock and attach the current and voltage of each.

    Clock matching: the log pauses between profiles (gaps longer than ``gap_factor`` x its
    median step), so it falls into logging blocks; block ``k`` is taken as profile ``k``
    (the pairing of consecutive log blocks with consecutive spectra that the data's authors
    use). Profile ``k`` then starts at block ``k``'s first sample; profiles after the last
    block continue at the median block period and get NaN current and voltage (not logged).

    Returns
    -------
    xarray.DataArray
        ``profiles`` with per-profile coordinates ``hours`` (start + half the period, on the
        log clock), ``current_mA``, ``voltage_V`` (block means), ``logged`` (bool), and attrs
        ``block_period_s``, ``n_blocks``, ``clock_matching``.

    Raises
    ------
    DataError : a log without pauses (no blocks to match).
    """
    hours = log["hours"].values
    step = np.diff(hours)
    gaps = np.nonzero(step > gap_factor * np.median(step))[0]
    if gaps.size == 0:
        raise DataError(log.attrs.get("source", "log"), "no pauses in the log to match profiles to")
    starts = np.concatenate([[0], gaps + 1])
    ends = np.concatenate([gaps + 1, [hours.size]])
    period_h = float(np.median(np.diff(hours[starts])))
    n_prof = profiles.sizes["time"]
    n_blk = starts.size
    start_h = np.empty(n_prof)
    cur = np.full(n_prof, np.nan)
    volt = np.full(n_prof, np.nan)
    for k in range(n_prof):
        if k < n_blk:
            start_h[k] = hours[starts[k]]
            cur[k] = float(log["current_mA"].values[starts[k] : ends[k]].mean())
            volt[k] = float(log["voltage_V"].values[starts[k] : ends[k]].mean())
        else:
            start_h[k] = hours[starts[-1]] + (k - n_blk + 1) * period_h
    out = profiles.assign_coords(
        hours=("time", start_h + period_h / 2, {"units": "h", "long_name": "mid-point, log clock"}),
        current_mA=("time", cur, {"units": "mA"}),
        voltage_V=("time", volt, {"units": "V"}),
        logged=("time", np.arange(n_prof) < n_blk),
    )
    out.attrs.update(
        {
            "block_period_s": period_h * 3600.0,
            "n_blocks": int(n_blk),
            "clock_matching": (
                f"log block k = profile k; {n_blk} blocks separated by pauses, median period "
                f"{period_h * 3600:.1f} s; profiles beyond the log continue at that period"
            ),
        }
    )
    return out
