"""NMR JCAMP-DX files -> FID series ``(time, t2)`` or spectrum series ``(time, ppm)``.

1D data tables (``XYDATA`` spectra, ``NTUPLES`` FIDs with real and imaginary pages) are decoded
with :func:`nmrglue.jcampdx.read`; the labels are parsed here. Pseudo-2D FIDs
(``##DATA TYPE= NDNMRFID``, e.g. a Nanalysis inversion-recovery T1 series, which nmrglue 0.12
returns as empty) are parsed here: one row per ``##PAGE=`` value, real and imaginary pages
joined, the page variable (``T1`` -> ``vd``, s) as a row coordinate.

The ppm axis of a spectrum is ``FIRSTX .. LASTX`` over the points actually present (some
files state a wrong ``NPOINTS``). ``XUNITS=PPM`` is used as it is; ``XUNITS=HZ`` is divided by
the frequency of 0 ppm (``$SF`` when present, else ``.OBSERVE FREQUENCY``) and, when
``.SHIFT REFERENCE= kind, solvent, point, ppm`` is given (Bruker), shifted so that that
(1-based) point lies at that ppm; without it Hz are taken relative to 0 ppm (JEOL).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path
from typing import Any

import nmrglue as ng
import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.varian import normalise_nucleus
from dendritemr.model import file_checksums, make_fid_series, make_spectrum_series

__all__ = ["is_jcamp", "is_jeol_delta", "read_jcamp"]

_LABEL_RE = re.compile(r"^##([^=]*)=(.*)$")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TABLE_RE = re.compile(r"\((\w+)\+\+\((\w)\.\.\w\)\)")
_JEOL_DELTA_MAGIC = b"JEOL.NMR"


def _norm_label(label: str) -> str:
    """JCAMP-DX label rule: case, spaces, dashes, slashes and underscores are not significant."""
    return re.sub(r"[\s\-/_]", "", label).upper()


def is_jeol_delta(path: str | Path) -> bool:
    """Whether ``path`` is a JEOL Delta binary ``.jdf`` file (not supported yet)."""
    path = Path(path)
    if not path.is_file():
        return False
    with open(path, "rb") as fh:
        return fh.read(8) == _JEOL_DELTA_MAGIC


def is_jcamp(path: str | Path) -> bool:
    """Whether ``path`` is a JCAMP-DX text file (first label within 4 KiB is ``##TITLE=``)."""
    path = Path(path)
    if not path.is_file():
        return False
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if b"\x00" in head:
        return False
    text = head.decode("latin-1").lstrip()
    return text.startswith("##") and "##TITLE" in text.upper().replace(" ", "")


def read_jcamp(path: str | Path, utc_offset_minutes: int = 0) -> xr.DataArray:
    """Read an NMR JCAMP-DX file into a FID or spectrum series.

    Parameters
    ----------
    path : str or Path
        ``.jdx``/``.dx`` file.
    utc_offset_minutes : int
        Time zone of dates written without one (``##DATE=`` of JEOL files), minutes east of UTC.
        ``##LONG DATE=`` with an offset overrides it.

    Returns
    -------
    xarray.DataArray
        ``NMR FID``/``NDNMRFID``: complex FIDs, dims ``("time", "t2")``, ``t2`` in s.
        ``NMR SPECTRUM``: dims ``("time", "ppm")``. One row, or one per page of a pseudo-2D.

    Raises
    ------
    DataError
        Empty, binary or non-JCAMP file, unsupported data type or axis units, no data table.
    """
    path = Path(path)
    _check_readable(path)
    text = path.read_text(encoding="latin-1")
    labels = _labels(text)
    kind = _norm_label(labels.get("DATATYPE", ""))
    if "NDNMRFID" in kind or (int(_num(labels, "NUMDIM", 1.0)) > 1 and "FID" in kind):
        return _read_pseudo2d_fid(path, text, labels, utc_offset_minutes)
    if kind not in ("NMRFID", "NMRSPECTRUM"):
        shown = labels.get("DATATYPE", "").strip() or "missing"
        raise DataError(
            path, f"unsupported JCAMP-DX data type '{shown}' (expected NMR FID/SPECTRUM)"
        )
    data = _nmrglue_data(path)
    if kind == "NMRFID":
        return _fid_from_1d(path, data, labels, utc_offset_minutes)
    return _spectrum_from_1d(path, data, labels, utc_offset_minutes)


def _check_readable(path: Path) -> None:
    if not path.is_file():
        raise DataError(path, "no such file")
    if path.stat().st_size == 0:
        raise DataError(path, "empty file")
    if is_jeol_delta(path) or path.name.lower().endswith((".jdf", ".jdf.gz")):
        raise DataError(path, "JEOL Delta .jdf is not supported yet")
    if not is_jcamp(path):
        raise DataError(path, "not a JCAMP-DX file (no ##TITLE= label at the start)")


def _labels(text: str) -> dict[str, str]:
    """First value of every ``##LABEL=`` line (normalised label, ``$$`` comments removed)."""
    labels: dict[str, str] = {}
    for line in text.splitlines():
        match = _LABEL_RE.match(line)
        if match:
            key = _norm_label(match.group(1))
            labels.setdefault(key, match.group(2).split("$$")[0].strip())
    return labels


def _num(labels: dict[str, str], key: str, default: float = np.nan) -> float:
    """First number in ``labels[key]`` (``default`` if absent or not numeric)."""
    match = _NUMBER_RE.search(labels.get(key, ""))
    return float(match.group()) if match else default


def _nums(labels: dict[str, str], key: str) -> list[float]:
    """Comma-separated numbers of an NTUPLES label, e.g. ``##FIRST= 0, 0, 0``."""
    out = []
    for part in labels.get(key, "").split(","):
        match = _NUMBER_RE.search(part)
        out.append(float(match.group()) if match else np.nan)
    return out


def _nmrglue_data(path: Path) -> np.ndarray | list[np.ndarray]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _dic, data = ng.jcampdx.read(str(path))
    except Exception as exc:  # nmrglue raises assorted errors on malformed tables
        raise DataError(path, f"unreadable JCAMP-DX data table ({exc.__class__.__name__})") from exc
    if data is None or np.size(data) == 0:
        raise DataError(path, "no readable XYDATA or NTUPLES data table")
    return data


def _common_attrs(
    path: Path, labels: dict[str, str], utc_offset_minutes: int
) -> tuple[dict[str, Any], list[dt.datetime] | None]:
    """Attrs shared by FIDs and spectra, and the acquisition date (one-element list or None)."""
    sfo1 = _num(labels, "$SFO1", _num(labels, ".OBSERVEFREQUENCY"))
    sf = _num(labels, "$SF", sfo1)
    nucleus = labels.get(".OBSERVENUCLEUS") or labels.get("$NUC1") or labels.get(".NUCLEUS", "")
    when, offset = _date(labels, utc_offset_minutes)
    attrs: dict[str, Any] = {
        "nucleus": normalise_nucleus(nucleus),
        "sfo1_mhz": sfo1,
        "bf1_mhz": _num(labels, "$BF1"),
        "sf_mhz": sf,
        "field_t": _num(labels, ".FIELD"),
        "utc_offset_minutes": offset,
        "source": str(path),
        "checksums": file_checksums([path]),
        "units": "a.u.",
        "title": labels.get("TITLE", ""),
        "origin": labels.get("ORIGIN", ""),
        "pulse_program": labels.get(".PULSESEQUENCE", "").strip("<>"),
        "time_note": "file date as written (start or end of acquisition, vendor-dependent)",
    }
    return attrs, None if when is None else [when]


def _date(labels: dict[str, str], utc_offset_minutes: int) -> tuple[dt.datetime | None, int]:
    """Acquisition date from ``LONG DATE`` (with offset), ``DATE`` or Bruker ``$DATE`` (Unix)."""
    long_date = labels.get("LONGDATE", "")
    match = re.match(
        r"(\d{4})/(\d\d)/(\d\d)[ T]+(\d\d):(\d\d):(\d\d)(?:([+-])(\d\d):?(\d\d))?", long_date
    )
    if match:
        y, mo, d, h, mi, s = (int(g) for g in match.groups()[:6])
        offset = utc_offset_minutes
        if match.group(7):
            sign = 1 if match.group(7) == "+" else -1
            offset = sign * (int(match.group(8)) * 60 + int(match.group(9)))
        tz = dt.timezone(dt.timedelta(minutes=offset))
        return dt.datetime(y, mo, d, h, mi, s, tzinfo=tz), offset
    tz = dt.timezone(dt.timedelta(minutes=utc_offset_minutes))
    for fmt in ("%a %b %d %H:%M:%S %Y", "%Y/%m/%d %H:%M:%S"):
        try:
            naive = dt.datetime.strptime(labels.get("DATE", "").strip(), fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=tz), utc_offset_minutes
    unix = _num(labels, "$DATE")
    if np.isfinite(unix) and unix > 0:
        return dt.datetime.fromtimestamp(unix, tz=dt.UTC).astimezone(tz), utc_offset_minutes
    return None, utc_offset_minutes


def _group_delay(labels: dict[str, str]) -> float:
    """Bruker digital-filter delay, points: ``$GRPDLY``, else the DSPFVS/DECIM table; else 0."""
    grpdly = _num(labels, "$GRPDLY", -1.0)
    if grpdly >= 0:
        return grpdly
    dspfvs, decim = _num(labels, "$DSPFVS"), _num(labels, "$DECIM")
    try:
        return float(ng.fileio.bruker.bruker_dsp_table[int(dspfvs)][int(decim)])
    except (KeyError, ValueError, AttributeError):
        return 0.0


def _fid_from_1d(
    path: Path, data: np.ndarray | list[np.ndarray], labels: dict[str, str], utc_offset_minutes: int
) -> xr.DataArray:
    if not isinstance(data, list) or len(data) != 2 or data[0].shape != data[1].shape:
        raise DataError(path, "FID JCAMP-DX without matching real and imaginary pages")
    fid = np.asarray(data[0]) + 1j * np.asarray(data[1])
    first, last = _nums(labels, "FIRST"), _nums(labels, "LAST")
    if fid.size < 2 or not (np.isfinite(first[0]) and np.isfinite(last[0])):
        raise DataError(path, "FID JCAMP-DX without a usable time axis (FIRST/LAST)")
    dwell = (last[0] - first[0]) / (fid.size - 1)
    if not dwell > 0:
        raise DataError(path, f"non-positive dwell time {dwell} s from FIRST/LAST")
    attrs, times = _common_attrs(path, labels, utc_offset_minutes)
    attrs.update(sw_hz=1.0 / dwell, group_delay=_group_delay(labels))
    return make_fid_series(fid[np.newaxis, :], dwell, times, attrs)


def _spectrum_from_1d(
    path: Path, data: np.ndarray | list[np.ndarray], labels: dict[str, str], utc_offset_minutes: int
) -> xr.DataArray:
    if isinstance(data, list):
        values = np.asarray(data[0]) + 1j * np.asarray(data[1]) if len(data) == 2 else data[0]
    else:
        values = np.asarray(data)
    values = np.ravel(values)
    if values.size < 2:
        raise DataError(path, f"spectrum has {values.size} point(s)")
    attrs, times = _common_attrs(path, labels, utc_offset_minutes)
    ppm, sw_hz = _ppm_axis(path, labels, values.size, attrs["sf_mhz"])
    attrs.update(sw_hz=sw_hz, group_delay=0.0)
    npoints = _num(labels, "NPOINTS")
    if np.isfinite(npoints) and int(npoints) != values.size:
        attrs["npoints_note"] = f"NPOINTS says {int(npoints)}, data table holds {values.size}"
    return make_spectrum_series(values[np.newaxis, :], ppm, times, attrs)


def _ppm_axis(
    path: Path, labels: dict[str, str], n: int, sf_mhz: float
) -> tuple[np.ndarray, float]:
    """ppm of each point and the spectral width, Hz (see the module docstring)."""
    first, last = _num(labels, "FIRSTX"), _num(labels, "LASTX")
    if not (np.isfinite(first) and np.isfinite(last)) or first == last:
        raise DataError(path, "spectrum without a usable FIRSTX/LASTX axis")
    x = np.linspace(first, last, n)
    units = _norm_label(labels.get("XUNITS", ""))
    if units == "PPM":
        return x, abs(last - first) * n / (n - 1) * sf_mhz
    if units != "HZ":
        raise DataError(path, f"unsupported spectrum x units '{labels.get('XUNITS', '')}'")
    if not (np.isfinite(sf_mhz) and sf_mhz > 0):
        raise DataError(path, "Hz axis without an observe frequency to convert it to ppm")
    ppm = x / sf_mhz
    reference = [s.strip() for s in labels.get(".SHIFTREFERENCE", "").split(",")]
    if len(reference) == 4:
        try:
            point, ref_ppm = int(float(reference[2])), float(reference[3])
        except ValueError:
            point = 0
        if 1 <= point <= n:
            ppm = ppm - ppm[point - 1] + ref_ppm
    return ppm, abs(last - first) * n / (n - 1)


def _read_pseudo2d_fid(
    path: Path, text: str, labels: dict[str, str], utc_offset_minutes: int
) -> xr.DataArray:
    """NTUPLES pseudo-2D FID (``##PAGE= T1=...`` per row, real and imaginary pages, AFFN)."""
    pages = _pages(path, text)
    if not pages:
        raise DataError(path, "pseudo-2D JCAMP-DX without ##PAGE= data tables")
    factors = _nums(labels, "FACTOR")
    symbols = [s.strip().upper() for s in labels.get("SYMBOL", "").split(",")]
    scale = {
        s: (factors[i] if i < len(factors) and np.isfinite(factors[i]) else 1.0)
        for i, s in enumerate(symbols)
    }
    keys = list(dict.fromkeys(value for value, _part in pages))
    rows, dwell = [], 0.0
    for value in keys:
        if (value, "R") not in pages or (value, "I") not in pages:
            raise DataError(path, f"page {value} lacks its real or imaginary table")
        (dwell_r, y_r), (_dwell_i, y_i) = pages[(value, "R")], pages[(value, "I")]
        if y_r.size != y_i.size:
            raise DataError(path, f"page {value}: real and imaginary tables differ in length")
        rows.append(y_r * scale.get("R", 1.0) + 1j * y_i * scale.get("I", 1.0))
        dwell = dwell or dwell_r
    if len({r.size for r in rows}) != 1 or not dwell or dwell <= 0:
        raise DataError(path, "pseudo-2D pages differ in length or have no time axis")
    attrs, times = _common_attrs(path, labels, utc_offset_minutes)
    attrs.update(sw_hz=1.0 / dwell, group_delay=0.0, experiment=labels.get("$EXPERIMENT", ""))
    attrs["time_note"] = "pseudo-2D: every row carries the file's LONG DATE"
    page_name = _page_variable_name(labels)
    row_times = None if times is None else times * len(rows)
    return make_fid_series(
        np.vstack(rows), dwell, row_times, attrs, {page_name: np.array([float(v) for v in keys])}
    )


def _page_variable_name(labels: dict[str, str]) -> str:
    """Row coordinate name: ``vd`` (s) for a T1/inversion-recovery delay page variable."""
    names = [s.strip().upper() for s in labels.get("VARNAME", "").split(",")]
    if names and names[0].startswith("TIME"):
        return "vd"
    return names[0].lower() if names and names[0] else "page"


def _pages(path: Path, text: str) -> dict[tuple[str, str], tuple[float, np.ndarray]]:
    """``{(page value, "R"|"I"): (x step, y)}`` from ``##PAGE=`` blocks, in file order."""
    pages: dict[tuple[str, str], tuple[float, np.ndarray]] = {}
    for block in re.split(r"^##PAGE=", text, flags=re.MULTILINE)[1:]:
        head, _, body = block.partition("\n")
        value = head.split("=", 1)[-1].strip()
        table = re.search(r"^##DATA ?TABLE=(.*)$", body, flags=re.MULTILINE)
        if not table:
            continue
        kind = _TABLE_RE.search(table.group(1).replace(" ", ""))
        if not kind:
            raise DataError(path, f"page {value}: unrecognised data table '{table.group(1)}'")
        lines = body[table.end() :].split("\n##")[0]
        pages[(value, kind.group(2).upper())] = _affn_xy(path, value, lines)
    return pages


def _affn_xy(path: Path, page: str, lines: str) -> tuple[float, np.ndarray]:
    """x step per point and y values of an AFFN ``(X++(Y..Y))`` table (x opens each line)."""
    xs, ys = [], []
    for line in lines.strip().splitlines():
        if not line.strip():
            continue
        numbers = _NUMBER_RE.findall(line)
        if len("".join(numbers)) < len(re.sub(r"[\s,;]", "", line)):
            raise DataError(
                path, f"page {page}: compressed (ASDF) pseudo-2D tables are not supported"
            )
        values = [float(v) for v in numbers]
        xs.append(values[0])
        ys.extend(values[1:])
    if len(ys) < 2:
        raise DataError(path, f"page {page}: empty data table")
    points_before_last_line = len(ys) - (len(values) - 1)
    step = (xs[-1] - xs[0]) / points_before_last_line if points_before_last_line else 0.0
    return step, np.asarray(ys)
