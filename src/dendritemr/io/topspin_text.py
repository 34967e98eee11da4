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

import re
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.varian import normalise_nucleus
from dendritemr.model import file_checksums, make_spectrum_series

__all__ = ["is_topspin_text", "read_ascii_spec", "read_totxt"]

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
