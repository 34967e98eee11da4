"""NMR JCAMP-DX files -> FID series ``(time, t2)`` or spectrum series ``(time, ppm)``.

Read here, without nmrglue, following JCAMP-DX 4.24 (McDonald & Wilks 1988), 5.01 (NMR:
Davies, Lancashire & Lampen 1993; compound files: Gasteiger et al. 1991) and 6.0 (NMR
pseudo-2D ``NTUPLES``: Woollard & Lancashire et al. 2007 draft, as written by Bruker and
Nanalysis):

- Labels may be indented (leading blanks are not significant) and are compared without case,
  blanks, ``-``, ``/`` or ``_``; ``$$`` starts a comment.
- Data tables ``(X++(Y..Y))`` in every ASCII form: AFFN (free numbers, ``E`` exponents), PAC
  (signs as separators), SQZ (``@A-Ia-i``), DIF (``%J-Rj-r``, with the Y-check value that repeats
  the last point of a line ending in DIF form at the start of the next, checked and dropped) and
  DUP (``S-Zs``). A ``?`` ordinate (a missing value, allowed by the standard) becomes NaN with a
  warning, so later points keep their place. ``NPOINTS`` is checked against the points read.
- ``XYDATA`` spectra and ``NTUPLES`` pages (``##PAGE=`` with ``##DATA TABLE=``): real and imaginary
  pages of a 1D FID or spectrum, and pseudo-2D pages (``NDNMRFID``, e.g. a Nanalysis T1 series:
  one row per page value, the page variable as a row coordinate, ``T1`` -> ``vd`` in s).
- Compound files (``##DATA TYPE= LINK`` with ``##BLOCKS=``): the first block holding an NMR FID
  or spectrum is read (a warning names the others).

The ppm axis of a spectrum is ``FIRSTX .. LASTX`` over the points actually present.
``XUNITS=PPM`` is used as it is; ``XUNITS=HZ`` is divided by the frequency of 0 ppm (``$SF``
when present, else ``.OBSERVE FREQUENCY``) and, when ``.SHIFT REFERENCE= kind, solvent, point,
ppm`` is given (Bruker), shifted so that that (1-based) point lies at that ppm; without it Hz are
taken relative to 0 ppm (JEOL).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nmrglue as ng
import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.varian import normalise_nucleus
from dendritemr.model import file_checksums, make_fid_series, make_spectrum_series

__all__ = ["is_jcamp", "is_jeol_delta", "read_jcamp"]

_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TABLE_RE = re.compile(r"\((\w+)\+\+\((\w+)\.\.\w+\)\)")
_JEOL_DELTA_MAGIC = b"JEOL.NMR"
_AFFN_LINE = re.compile(
    r"[\s,;]*(?:(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|\?)(?:[\s,;]+|(?=[+-])|$))*"
)
_ASDF_TOKEN = re.compile(
    r"([@A-Ia-i%J-Rj-rS-Zs])(\d*\.?\d*)|([+-]?(?:\d+\.?\d*|\.\d+))|(\?)|([\s,;]+)|(.)"
)
_SQZ = {"@": 0, **{c: i + 1 for i, c in enumerate("ABCDEFGHI")}}
_SQZ.update({c: -(i + 1) for i, c in enumerate("abcdefghi")})
_DIF = {"%": 0, **{c: i + 1 for i, c in enumerate("JKLMNOPQR")}}
_DIF.update({c: -(i + 1) for i, c in enumerate("jklmnopqr")})
_DUP = {c: i + 1 for i, c in enumerate("STUVWXYZs")}
#: most points one data table may expand to (NMR tables hold at most a few million)
_MAX_POINTS = 50_000_000
_NMR_KINDS = ("NMRFID", "NMRSPECTRUM", "NDNMRFID", "NDNMRSPECTRUM")


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
    """Whether ``path`` is a JCAMP-DX text file (a ``##TITLE=`` label within its first 4 KiB,
    labels possibly indented)."""
    path = Path(path)
    if not path.is_file():
        return False
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if b"\x00" in head:
        return False
    text = head.decode("latin-1").lstrip()
    return text.startswith("##") and "##TITLE" in text.upper().replace(" ", "")


@dataclass
class _Block:
    """One JCAMP-DX block: its labels (first value of each), entries in order, children."""

    entries: list[tuple[str, str, list[str]]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    children: list[_Block] = field(default_factory=list)

    def add(self, key: str, value: str) -> None:
        self.entries.append((key, value, []))
        self.labels.setdefault(key, value.split("$$")[0].strip())

    @property
    def kind(self) -> str:
        return _norm_label(self.labels.get("DATATYPE", ""))


def _parse_blocks(path: Path, text: str) -> list[_Block]:
    """Every block of the file (outer first), each with its labels and data lines."""
    root: list[_Block] = []
    stack: list[_Block] = []
    current: tuple[str, str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("$$"):
            continue
        if line.startswith("##"):
            name, _, value = line[2:].partition("=")
            key = _norm_label(name)
            if key == "TITLE":
                block = _Block()
                (stack[-1].children if stack else root).append(block)
                stack.append(block)
            if not stack:
                continue  # text before the first ##TITLE=
            if key == "END":
                stack.pop()
                current = None
                continue
            stack[-1].add(key, value)
            current = stack[-1].entries[-1]
        elif current is not None:
            current[2].append(line.split("$$")[0])
    blocks: list[_Block] = []

    def walk(block: _Block) -> None:
        blocks.append(block)
        for child in block.children:
            walk(child)

    for block in root:
        walk(block)
    return blocks


def _nmr_block(path: Path, blocks: list[_Block]) -> _Block:
    """The block to read: the first NMR FID/spectrum (compound LINK files: a warning if more)."""
    if not blocks:
        raise DataError(path, "not a JCAMP-DX file (no ##TITLE= label)")
    nmr = [b for b in blocks if b.kind in _NMR_KINDS]
    if nmr:
        if len(nmr) > 1:
            warnings.warn(
                f"{path}: compound JCAMP-DX file with {len(nmr)} NMR blocks; reading the first",
                stacklevel=3,
            )
        return nmr[0]
    kinds = [b.labels.get("DATATYPE", "").strip() or "missing" for b in blocks]
    if any(b.kind == "LINK" for b in blocks):
        others = ", ".join(k for k in kinds if _norm_label(k) != "LINK") or "none"
        raise DataError(
            path, f"compound JCAMP-DX (LINK) file without an NMR FID/SPECTRUM block ({others})"
        )
    raise DataError(
        path, f"unsupported JCAMP-DX data type '{kinds[0]}' (expected NMR FID/SPECTRUM)"
    )


def read_jcamp(path: str | Path, utc_offset_minutes: int = 0) -> xr.DataArray:
    """Read an NMR JCAMP-DX file into a FID or spectrum series.

    Parameters
    ----------
    path : str or Path
        ``.jdx``/``.dx`` file (JCAMP-DX 4.24, 5.01 or 6.0; a compound LINK file is read at its
        first NMR block).
    utc_offset_minutes : int
        Time zone of dates written without one (``##DATE=`` of JEOL files), minutes east of UTC.
        ``##LONG DATE=`` with an offset overrides it.

    Returns
    -------
    xarray.DataArray
        ``NMR FID``/``NDNMRFID``: complex FIDs, dims ``("time", "t2")``, ``t2`` in s.
        ``NMR SPECTRUM``: dims ``("time", "ppm")``. One row, or one per page of a pseudo-2D.
        Missing (``?``) ordinates are NaN (with a warning).

    Raises
    ------
    DataError
        Empty, binary or non-JCAMP file, unsupported data type or axis units, no data table,
        a corrupt compressed table (unknown character, failed DIF Y-check), or fewer/more points
        than ``NPOINTS`` that the axis does not explain.
    """
    path = Path(path)
    _check_readable(path)
    text = path.read_text(encoding="latin-1")
    block = _nmr_block(path, _parse_blocks(path, text))
    labels = block.labels
    kind = block.kind
    if "NTUPLES" in labels or "PAGE" in labels:
        return _read_ntuples(path, block, utc_offset_minutes)
    if kind in ("NDNMRFID", "NDNMRSPECTRUM"):
        raise DataError(path, "pseudo-2D JCAMP-DX without ##NTUPLES= pages")
    if kind == "NMRFID":
        raise DataError(path, "FID JCAMP-DX without an NTUPLES table of real and imaginary pages")
    entry = next((e for e in block.entries if e[0] == "XYDATA"), None)
    if entry is None:
        if any(e[0] in ("XYPOINTS", "PEAKTABLE") for e in block.entries):
            raise DataError(path, "XYPOINTS/PEAK TABLE spectra are not supported (XYDATA only)")
        raise DataError(path, "no readable XYDATA or NTUPLES data table")
    kind_match = _TABLE_RE.search(entry[1].replace(" ", ""))
    if kind_match is None:
        raise DataError(path, f"unrecognised XYDATA table '{entry[1].strip()[:40]}'")
    y = _decode_table(path, "XYDATA", entry[2]) * _num(labels, "YFACTOR", 1.0)
    return _spectrum(path, labels, y, utc_offset_minutes)


def _check_readable(path: Path) -> None:
    if not path.is_file():
        raise DataError(path, "no such file")
    if path.stat().st_size == 0:
        raise DataError(path, "empty file")
    if is_jeol_delta(path) or path.name.lower().endswith((".jdf", ".jdf.gz")):
        raise DataError(path, "JEOL Delta .jdf is not supported yet")
    if not is_jcamp(path):
        raise DataError(path, "not a JCAMP-DX file (no ##TITLE= label at the start)")


def _num(labels: dict[str, str], key: str, default: float = np.nan) -> float:
    """First number in ``labels[key]`` (``default`` if absent, not numeric or not finite)."""
    match = _NUMBER_RE.search(labels.get(key, ""))
    value = float(match.group()) if match else default
    return value if np.isfinite(value) else default


def _nums(labels: dict[str, str], key: str) -> list[float]:
    """Comma-separated numbers of an NTUPLES label, e.g. ``##FIRST= 0, 0, 0`` (NaN if absent)."""
    out = []
    for part in labels.get(key, "").split(","):
        match = _NUMBER_RE.search(part)
        out.append(float(match.group()) if match else np.nan)
    return out


def _decode_table(path: Path, where: str, lines: list[str]) -> np.ndarray:
    """Y values of an ``(X++(Y..Y))`` table in AFFN/PAC/SQZ/DIF/DUP form (``?`` -> NaN).

    The abscissa opening each line is skipped. A line ending in DIF form is followed by a line
    whose first ordinate repeats its last one (Y-check): it is compared and dropped.
    """
    ys: list[float] = []
    missing = 0
    dif_pending = False  # previous line ended in DIF form: next line opens with a Y-check
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        tokens = _line_tokens(path, where, number, line)
        if not tokens:
            continue
        values: list[float] = []
        last_kind = ""
        previous: tuple[str, float] | None = None
        for kind, value in tokens[1:]:
            if kind == "dup":
                if previous is None:
                    raise DataError(path, f"{where} line {number}: DUP without a value")
                if value > _MAX_POINTS or len(ys) + len(values) + value > _MAX_POINTS:
                    raise DataError(path, f"{where} line {number}: DUP count {value:g} too large")
                for _ in range(int(value) - 1):
                    _apply(previous, values, path, where, number)
                continue
            _apply((kind, value), values, path, where, number)
            previous, last_kind = (kind, value), kind
        if dif_pending and values:
            check = values.pop(0)
            if ys and not (np.isnan(check) and np.isnan(ys[-1])) and check != ys[-1]:
                raise DataError(
                    path,
                    f"{where} line {number}: DIF Y-check {check:g} does not repeat the last "
                    f"value {ys[-1]:g} (corrupt compressed table)",
                )
        missing += sum(1 for v in values if np.isnan(v))
        ys.extend(values)
        dif_pending = last_kind == "dif"
    if missing:
        warnings.warn(
            f"{path}: {where} holds {missing} missing ('?') value(s), read as NaN", stacklevel=4
        )
    if len(ys) < 2:
        raise DataError(path, f"{where}: fewer than 2 data points")
    return np.asarray(ys, dtype=float)


def _apply(
    token: tuple[str, float], values: list[float], path: Path, where: str, number: int
) -> None:
    kind, value = token
    if kind == "dif":
        if not values:
            raise DataError(path, f"{where} line {number}: DIF value without a preceding value")
        values.append(values[-1] + value)
    else:
        values.append(value)


def _line_tokens(path: Path, where: str, number: int, line: str) -> list[tuple[str, float]]:
    """``[(kind, value)]`` of one table line: kinds ``abs`` (AFFN/PAC/SQZ), ``dif``, ``dup``,
    ``nan`` for ``?``."""
    if _AFFN_LINE.fullmatch(line):
        out = []
        for text in re.findall(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|\?", line):
            out.append(("abs", np.nan) if text == "?" else ("abs", float(text)))
        return out
    out = []
    for match in _ASDF_TOKEN.finditer(line):
        pseudo, digits, plain, query, _space, other = match.groups()
        if other is not None:
            raise DataError(
                path, f"{where} line {number}: unexpected character {other!r} in data table"
            )
        if query is not None:
            out.append(("abs", np.nan))
        elif plain is not None:
            out.append(("abs", float(plain)))
        elif pseudo is not None:
            if pseudo in _SQZ:
                kind, lead = "abs", _SQZ[pseudo]
            elif pseudo in _DIF:
                kind, lead = "dif", _DIF[pseudo]
            else:
                kind, lead = "dup", _DUP[pseudo]
            magnitude = float(f"{abs(lead)}{digits}") if digits != "." else float(abs(lead))
            out.append((kind, -magnitude if lead < 0 else magnitude))
    return out


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
        try:
            tz = dt.timezone(dt.timedelta(minutes=offset))
            return dt.datetime(y, mo, d, h, mi, s, tzinfo=tz), offset
        except ValueError:  # impossible date or offset: fall back to the other labels
            pass
    tz = dt.timezone(dt.timedelta(minutes=utc_offset_minutes))
    for fmt in ("%a %b %d %H:%M:%S %Y", "%Y/%m/%d %H:%M:%S"):
        try:
            naive = dt.datetime.strptime(labels.get("DATE", "").strip(), fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=tz), utc_offset_minutes
    unix = _num(labels, "$DATE")
    if np.isfinite(unix) and 0 < unix < 32503680000:  # before year 3000
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
    except (KeyError, ValueError, OverflowError, AttributeError):
        return 0.0


def _ntuples_tables(path: Path, block: _Block) -> list[tuple[str, str, np.ndarray]]:
    """``[(page value, symbol, y)]`` of every ``##PAGE=`` data table, in file order."""
    tables = []
    page = ""
    for key, value, lines in block.entries:
        if key == "PAGE":
            page = value.split("$$")[0].strip()
        elif key == "DATATABLE":
            spec = value.split("$$")[0].replace(" ", "")
            match = _TABLE_RE.search(spec)
            if match is None:
                raise DataError(path, f"page {page}: unrecognised data table '{value.strip()}'")
            where = f"page {page.split('=', 1)[-1].strip()}"
            tables.append((page, match.group(2).upper(), _decode_table(path, where, lines)))
    return tables


def _read_ntuples(path: Path, block: _Block, utc_offset_minutes: int) -> xr.DataArray:
    """NTUPLES FID or spectrum: real/imaginary pages of one row, or several rows (pseudo-2D)."""
    labels = block.labels
    tables = _ntuples_tables(path, block)
    if not tables:
        raise DataError(path, "NTUPLES without ##PAGE= data tables")
    symbols = [s.strip().upper() for s in labels.get("SYMBOL", "").split(",")]
    factors = _nums(labels, "FACTOR")
    first, last = _nums(labels, "FIRST"), _nums(labels, "LAST")
    dims = _nums(labels, "VARDIM")
    units = [u.strip() for u in labels.get("UNITS", "").split(",")]

    def of(values: list, symbol: str, default: Any = np.nan) -> Any:
        i = symbols.index(symbol) if symbol in symbols else -1
        return values[i] if 0 <= i < len(values) else default

    rows: list[dict[str, np.ndarray]] = []
    keys: list[str] = []
    for page, symbol, y in tables:
        if not rows or symbol in rows[-1]:
            rows.append({})
            keys.append(page)
        scale = of(factors, symbol, 1.0)
        rows[-1][symbol] = y * (scale if np.isfinite(scale) else 1.0)
    data = []
    for key, row in zip(keys, rows, strict=True):
        value = key.split("=", 1)[-1].strip()
        if "R" not in row or "I" not in row:
            raise DataError(path, f"page {value} lacks its real or imaginary table")
        if row["R"].size != row["I"].size:
            raise DataError(path, f"page {value}: real and imaginary tables differ in length")
        data.append(row["R"] + 1j * row["I"])
    if len({r.size for r in data}) != 1:
        raise DataError(path, "pages differ in length")
    n = data[0].size
    declared = of(dims, "R")
    if np.isfinite(declared) and int(declared) not in (n, n * len(rows)):
        raise DataError(path, f"VAR_DIM says {int(declared)} points, the pages hold {n}")
    x_symbol = next((s for s in symbols if s not in ("R", "I") and s != symbols[0]), "X")
    if len(rows) == 1 or x_symbol not in symbols:
        x_symbol = next((s for s in symbols if s not in ("R", "I")), "X")
    x0, x1 = of(first, x_symbol), of(last, x_symbol)
    fid = "FID" in block.kind
    if fid:
        if not (np.isfinite(x0) and np.isfinite(x1)):
            raise DataError(path, "FID JCAMP-DX without a usable time axis (FIRST/LAST)")
        dwell = (x1 - x0) / (n - 1)
        if not (np.isfinite(dwell) and dwell > 0):
            raise DataError(path, f"non-positive dwell time {dwell:g} s from FIRST/LAST")
    attrs, times = _common_attrs(path, labels, utc_offset_minutes)
    row_coords = {}
    if len(rows) > 1:
        name = _page_variable_name(labels)
        try:
            row_coords[name] = np.array([float(k.split("=", 1)[-1]) for k in keys])
        except ValueError:
            row_coords[name] = np.array([k.split("=", 1)[-1].strip() for k in keys])
        attrs["time_note"] = "pseudo-2D: every row carries the file's date"
        attrs["experiment"] = labels.get("$EXPERIMENT", "")
    row_times = None if times is None else times * len(rows)
    values = np.vstack(data)
    if fid:
        attrs.update(sw_hz=1.0 / dwell, group_delay=_group_delay(labels))
        if len(rows) > 1:
            attrs["group_delay"] = 0.0
        return make_fid_series(values, dwell, row_times, attrs, row_coords)
    unit = of(units, x_symbol, "")
    ppm, sw_hz = _ppm_axis(path, labels, x0, x1, unit, n, attrs["sf_mhz"])
    attrs.update(sw_hz=sw_hz, group_delay=0.0)
    return make_spectrum_series(values, ppm, row_times, attrs, row_coords)


def _page_variable_name(labels: dict[str, str]) -> str:
    """Row coordinate name: ``vd`` (s) for a T1/inversion-recovery delay page variable."""
    names = [s.strip().upper() for s in labels.get("VARNAME", "").split(",")]
    if names and names[0].startswith("TIME"):
        return "vd"
    return re.sub(r"\W", "_", names[0].lower()) if names and names[0] else "page"


def _spectrum(
    path: Path, labels: dict[str, str], y: np.ndarray, utc_offset_minutes: int
) -> xr.DataArray:
    """One XYDATA spectrum: NPOINTS checked, ppm axis from FIRSTX/LASTX."""
    n = y.size
    first, last = _num(labels, "FIRSTX"), _num(labels, "LASTX")
    npoints = _num(labels, "NPOINTS")
    attrs, times = _common_attrs(path, labels, utc_offset_minutes)
    if np.isfinite(npoints) and int(npoints) != n:
        delta = _num(labels, "DELTAX")
        by_axis = (last - first) / delta + 1 if np.isfinite(delta) and delta else np.nan
        if not (np.isfinite(by_axis) and abs(by_axis - n) < 0.01):
            raise DataError(
                path,
                f"NPOINTS says {int(npoints)} but the XYDATA table holds {n} points "
                "(truncated or corrupt table)",
            )
        attrs["npoints_note"] = (
            f"NPOINTS says {int(npoints)}; FIRSTX, LASTX, DELTAX and the table agree on {n}"
        )
        warnings.warn(f"{path}: {attrs['npoints_note']}", stacklevel=3)
    ppm, sw_hz = _ppm_axis(path, labels, first, last, labels.get("XUNITS", ""), n, attrs["sf_mhz"])
    attrs.update(sw_hz=sw_hz, group_delay=0.0)
    return make_spectrum_series(y[np.newaxis, :], ppm, times, attrs)


def _ppm_axis(
    path: Path,
    labels: dict[str, str],
    first: float,
    last: float,
    units: str,
    n: int,
    sf_mhz: float,
) -> tuple[np.ndarray, float]:
    """ppm of each point and the spectral width, Hz (see the module docstring)."""
    if not (np.isfinite(first) and np.isfinite(last)) or first == last:
        raise DataError(path, "spectrum without a usable FIRSTX/LASTX axis")
    x = np.linspace(first, last, n)
    units = _norm_label(units)
    if units == "PPM":
        if not (np.isfinite(sf_mhz) and sf_mhz > 0):
            sf_mhz = np.nan
        return x, abs(last - first) * n / (n - 1) * sf_mhz
    if units != "HZ":
        raise DataError(path, f"unsupported spectrum x units '{units}'")
    if not (np.isfinite(sf_mhz) and sf_mhz > 0):
        raise DataError(path, "Hz axis without an observe frequency to convert it to ppm")
    ppm = x / sf_mhz
    reference = [s.strip() for s in labels.get(".SHIFTREFERENCE", "").split(",")]
    if len(reference) == 4:
        try:
            point, ref_ppm = int(float(reference[2])), float(reference[3])
        except (ValueError, OverflowError):
            point, ref_ppm = 0, 0.0
        if 1 <= point <= n and np.isfinite(ref_ppm):
            ppm = ppm - ppm[point - 1] + ref_ppm
    return ppm, abs(last - first) * n / (n - 1)
