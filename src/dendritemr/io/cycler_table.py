"""Text tables of cycler data: delimiter, decimal mark, column names with units, units.

Shared by every cycler text reader (:mod:`dendritemr.io.cycler_eclab`,
:mod:`dendritemr.io.cycler_vendor`) and the generic CSV/TSV reader :func:`read_generic`.
Every reader returns the same :func:`cycler_dataset`: a Dataset over ``time_s`` (seconds
since the file's time zero) with ``voltage_V`` and, where the file has one, ``current_mA``
(positive: the direction the file calls positive) and attributes ``source``, ``format`` and
``start`` (ISO 8601 time of the file's time zero, naive when the file gives no zone).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from dendritemr.errors import DataError

__all__ = [
    "TIME_UNITS_S",
    "CURRENT_UNITS_MA",
    "VOLTAGE_UNITS_V",
    "split_name_unit",
    "sniff_delimiter",
    "parse_numbers",
    "parse_clock",
    "pick_column",
    "cycler_dataset",
    "read_generic",
    "read_lines",
]

#: factors to seconds, milliamperes and volts
TIME_UNITS_S = {"s": 1.0, "sec": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0, "hr": 3600.0}
CURRENT_UNITS_MA = {"a": 1e3, "ma": 1.0, "ua": 1e-3, "µa": 1e-3, "μa": 1e-3, "na": 1e-6}
VOLTAGE_UNITS_V = {"v": 1.0, "mv": 1e-3}

_UNIT_RE = re.compile(
    r"^\s*(?P<name>.*?)\s*(?:/\s*(?P<u1>[^/()\[\]]+?)|\((?P<u2>[^()]*)\)|\[(?P<u3>[^\[\]]*)\])\s*$"
)

#: column names (lower case, units stripped) by quantity, in order of preference
TIME_NAMES = ("time", "test time", "total time", "test_time", "elapsed time", "t", "testtime")
CURRENT_NAMES = ("i", "<i>", "current", "cur")
VOLTAGE_NAMES = ("ewe", "<ewe>", "ecell", "voltage", "u", "e", "potential", "ewe-ece")


def read_lines(path: Path) -> list[str]:
    """Text lines of a file (utf-8, latin-1, or utf-8/utf-16 with a byte order mark), without
    line ends.

    Raises
    ------
    DataError : missing or unreadable file, or an empty one.
    """
    if not path.is_file():
        raise DataError(path, "no such cycler file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(path, f"unreadable cycler file ({exc.strerror})") from None
    text = None
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if raw.startswith(bom):  # Excel's "CSV UTF-8" and "Unicode text" exports
            try:
                text = raw[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                raise DataError(
                    path, f"not valid {codec.upper()} text after its byte order mark"
                ) from None
            break
    if text is None:
        if b"\0" in raw[:4096]:
            raise DataError(path, "binary file, not a cycler text export")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DataError(path, "empty cycler file")
    return lines


def split_name_unit(header: str) -> tuple[str, str | None]:
    """``"time/s"``, ``"Time (s)"``, ``"Voltage [V]"``, ``"Test Time / s"`` -> (name, unit).

    EC-Lab's ``control/V/mA`` keeps its last unit. The name is lower-cased and stripped.
    A known unit after an underscore, as in dendritemr's own variable names (``time_s``,
    ``voltage_V``, ``current_mA``), is a unit too (such a file was refused: 'no time column').
    """
    h = header.strip().strip('"')
    m = _UNIT_RE.match(h)
    if m and m.group("name"):
        unit = m.group("u1") or m.group("u2") or m.group("u3")
        return m.group("name").strip().lower(), unit.strip()
    m = re.fullmatch(r"(?P<name>.+?)\s*_\s*(?P<unit>[A-Za-zµμ]+)", h)
    if m and m.group("unit").lower() in _SUFFIX_UNITS:
        return m.group("name").strip().lower(), m.group("unit")
    return h.lower(), None


def sniff_delimiter(line: str) -> str:
    """Tab, semicolon or comma: whichever splits the header line into the most fields."""
    counts = {d: line.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        return "whitespace"
    return best


def _split(line: str, delimiter: str) -> list[str]:
    if delimiter == "whitespace":
        return line.split()
    if '"' in line:  # quoted cells may hold the delimiter: "0,5","1,2" (Excel, decimal comma)
        cells = next(csv.reader([line.rstrip("\r")], delimiter=delimiter))
    else:
        cells = line.rstrip("\r").split(delimiter)
    while cells and not cells[-1].strip():
        cells.pop()
    return [c.strip().strip('"') for c in cells]


def parse_numbers(cells: Sequence[str], decimal: str) -> np.ndarray:
    """Floats from text cells with ``decimal`` ``"."`` or ``","``; NaN where unreadable."""
    out = np.full(len(cells), np.nan)
    for i, c in enumerate(cells):
        c = c.strip()
        if decimal == ",":
            c = c.replace(".", "").replace(",", ".") if c.count(",") == 1 else c
        try:
            out[i] = float(c)
        except ValueError:
            pass
    return out


def parse_clock(text: str) -> float:
    """``"HH:MM:SS(.f)"`` or ``"D-HH:MM:SS"`` / ``"D.HH:MM:SS"`` -> seconds; NaN if not a clock."""
    m = re.fullmatch(r"\s*(?:(\d+)[-.d ]\s*)?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)\s*", text)
    if not m:
        return float("nan")
    days = int(m.group(1) or 0)
    return days * 86400.0 + int(m.group(2)) * 3600.0 + int(m.group(3)) * 60.0 + float(m.group(4))


def pick_column(
    names: Sequence[str], wanted: Sequence[str], units: Sequence[str | None] | None = None
) -> int | None:
    """Index of the first of ``wanted`` among ``names`` (lower case, units stripped).

    With ``units``, a column that states its unit is preferred to a same-quantity column that
    does not (Arbin exports carry both ``Current`` and ``Current / A``).
    """
    groups = [range(len(names))]
    if units is not None:
        groups = [[i for i in range(len(names)) if units[i]], range(len(names))]
    for group in groups:
        for w in wanted:
            for i in group:
                if names[i] == w:
                    return i
    return None


_ALL_UNITS = {*TIME_UNITS_S, *CURRENT_UNITS_MA, *VOLTAGE_UNITS_V, "mah", "ah", "wh", "mwh", "c"}
#: units read after an underscore (``time_s``): those of time, current and voltage only
_SUFFIX_UNITS = {*TIME_UNITS_S, *CURRENT_UNITS_MA, *VOLTAGE_UNITS_V}


def _is_units_row(cells: Sequence[str]) -> bool:
    """True when every non-empty cell is a unit name (a units row under the header)."""
    filled = [c.strip().lower().replace(".", "") for c in cells if c.strip()]
    return bool(filled) and all(c in _ALL_UNITS for c in filled)


def _unit_factor(unit: str | None, table: dict[str, float], path: Path, column: str) -> float:
    if unit is None:
        raise DataError(path, f"column {column!r} has no unit (give 'name/unit' or a units row)")
    key = unit.strip().lower().replace(".", "").replace(" ", "")
    if key not in table:
        raise DataError(path, f"unknown unit {unit!r} of column {column!r}")
    return table[key]


def cycler_dataset(
    path: Path,
    time_s: np.ndarray,
    voltage_v: np.ndarray,
    current_ma: np.ndarray | None,
    fmt: str,
    start: dt.datetime | None = None,
    extra: dict[str, np.ndarray] | None = None,
) -> xr.Dataset:
    """Check and assemble a cycler Dataset (see the module docstring).

    Raises
    ------
    DataError : fewer than 2 rows, NaN or infinite values, time decreasing anywhere.
    """
    time_s = np.asarray(time_s, dtype=float)
    if time_s.size < 2:
        raise DataError(path, "fewer than 2 data rows")
    arrays = {"time": time_s, "voltage": voltage_v}
    if current_ma is not None:
        arrays["current"] = current_ma
    for name, a in arrays.items():
        bad = ~np.isfinite(np.asarray(a, dtype=float))
        if bad.any():
            row = int(np.argmax(bad)) + 1
            raise DataError(path, f"unreadable or missing {name} value in data row {row}")
    steps = np.diff(time_s)
    if np.any(steps < 0):
        row = int(np.argmax(steps < 0)) + 2
        raise DataError(path, f"non-monotonic time: decreases at data row {row}")
    data = {"voltage_V": ("time_s", np.asarray(voltage_v, float), {"units": "V"})}
    if current_ma is not None:
        data["current_mA"] = ("time_s", np.asarray(current_ma, float), {"units": "mA"})
    for k, v in (extra or {}).items():
        data[k] = ("time_s", np.asarray(v, float))
    ds = xr.Dataset(
        data,
        coords={"time_s": ("time_s", time_s, {"units": "s"})},
        attrs={"source": str(path), "format": fmt},
    )
    if start is not None:
        ds.attrs["start"] = start.isoformat()
    return ds


def _decimal_of(rows: list[list[str]], delimiter: str, decimal: str) -> str:
    if decimal != "auto":
        return decimal
    # a comma-delimited file has decimal commas only inside quoted cells, which the sample sees
    sample = [c for r in rows[:50] for c in r]
    comma = sum(bool(re.fullmatch(r"[-+]?\d+,\d+(?:[eE][-+]?\d+)?", c.strip())) for c in sample)
    point = sum(bool(re.fullmatch(r"[-+]?\d*\.\d+(?:[eE][-+]?\d+)?", c.strip())) for c in sample)
    return "," if comma > point else "."


def table_columns(
    lines: list[str], path: Path, decimal: str = "auto", delimiter: str | None = None
) -> tuple[list[str], list[str | None], list[list[str]], str]:
    """Header names, units (from the header or a units row) and data rows of a text table.

    The header is the first non-empty line; a following line of unit names only
    (``s, mA, V``) is taken as a units row. Returns ``(names, units, rows, decimal)``.
    """
    body = [ln for ln in lines if ln.strip()]
    if not body:
        raise DataError(path, "no header line")
    delimiter = delimiter or sniff_delimiter(body[0])
    header = _split(body[0], delimiter)
    names, units = zip(*(split_name_unit(h) for h in header), strict=True)
    names, units = list(names), list(units)
    rows = [_split(ln, delimiter) for ln in body[1:]]
    if rows and _is_units_row(rows[0]):
        units = [
            u or (rows[0][i] if i < len(rows[0]) and rows[0][i] else None)
            for i, u in enumerate(units)
        ]
        rows = rows[1:]
    if not rows:
        raise DataError(path, "no data rows")
    _refuse_long_rows(rows, len(header), delimiter, path)
    return names, units, rows, _decimal_of(rows, delimiter, decimal)


def _refuse_long_rows(rows: list[list[str]], n_header: int, delimiter: str, path: Path) -> None:
    """Raise for a data row with more cells than the header.

    Such a row cannot be matched to the columns: in a comma-separated file written with a
    decimal comma (``0,5,0,1`` for 0.5 s, 0.1 V) every number is split in two and the columns
    shift, so reading on would give wrong numbers without a word.

    Raises
    ------
    DataError : one line naming the first such data row (1-based, after any units row).
    """
    for i, row in enumerate(rows, start=1):
        if len(row) > n_header:
            hint = ""
            if delimiter == "," and any(re.fullmatch(r"[-+]?\d+", c) for c in row):
                hint = (
                    " (decimal commas in a comma-separated file? quote each number, as"
                    " Excel does, or separate the columns by ';' or tab)"
                )
            raise DataError(
                path, f"data row {i} has {len(row)} cells but the header {n_header}{hint}"
            )


def column_values(rows: list[list[str]], j: int, decimal: str) -> np.ndarray:
    """Column ``j`` of the data rows as floats (NaN where missing or unreadable)."""
    return parse_numbers([r[j] if j < len(r) else "" for r in rows], decimal)


def _time_column(
    names: list[str], units: list[str | None], rows: list[list[str]], decimal: str, path: Path
) -> np.ndarray:
    j = pick_column(names, TIME_NAMES, units)
    if j is None:
        raise DataError(
            path,
            f"no time column (looked for {', '.join(TIME_NAMES[:4])}, ...; the header has "
            f"{_header_text(names)})",
        )
    values = column_values(rows, j, decimal)
    if np.isnan(values).all():
        clock = np.array([parse_clock(r[j] if j < len(r) else "") for r in rows])
        if np.isfinite(clock).all():
            return clock
    return values * _unit_factor(units[j], TIME_UNITS_S, path, names[j])


def _header_text(names: Sequence[str], most: int = 8) -> str:
    """The columns of a header for an error message: ``'a', 'b', ... (12 columns)``."""
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f", ... ({len(names)} columns)" if len(names) > most else "")


def read_generic(
    path: str | Path,
    decimal: str = "auto",
    lines: list[str] | None = None,
    fmt: str = "generic-csv",
    start: dt.datetime | None = None,
) -> xr.Dataset:
    """Read a CSV/TSV/semicolon table with units in the header (``time/s``, ``Current (mA)``,
    ``Voltage [V]``) or in a units row below it.

    Time may be a number with a unit (s, ms, min, h) or a clock ``HH:MM:SS``; current A, mA,
    uA or nA (optional); voltage V or mV.

    Raises
    ------
    DataError : no time or voltage column, a column without or with an unknown unit, NaNs,
        non-monotonic time, no data rows.
    """
    path = Path(path)
    lines = read_lines(path) if lines is None else lines
    names, units, rows, dec = table_columns(lines, path, decimal)
    time_s = _time_column(names, units, rows, dec, path)
    jv = pick_column(names, VOLTAGE_NAMES, units)
    if jv is None:
        raise DataError(
            path,
            f"no voltage column (looked for {', '.join(VOLTAGE_NAMES[:5])}; the header has "
            f"{_header_text(names)})",
        )
    voltage = column_values(rows, jv, dec) * _unit_factor(
        units[jv], VOLTAGE_UNITS_V, path, names[jv]
    )
    ji = pick_column(names, CURRENT_NAMES, units)
    current = None
    if ji is not None:
        current = column_values(rows, ji, dec) * _unit_factor(
            units[ji], CURRENT_UNITS_MA, path, names[ji]
        )
    return cycler_dataset(path, time_s, voltage, current, fmt, start)
