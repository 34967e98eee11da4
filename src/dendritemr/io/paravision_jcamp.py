"""ParaVision JCAMP-DX parameter files (``acqp``, ``method``, ``reco``, ``visu_pars``).

ParaVision writes arrays as ``##$KEY=( dims )`` followed by the values on the next lines
(numbers, ``<strings>``, enum words or ``(struct, ...)`` tuples), which nmrglue's TopSpin
parser does not read. This module reads and writes that dialect.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np

from dendritemr.errors import DataError

__all__ = ["read_pv_parameters", "format_pv_parameters", "PvStruct", "PvEnum"]


@dataclasses.dataclass(frozen=True)
class PvStruct:
    """A struct array written verbatim: ``##$KEY=( dims )`` then ``text``."""

    dims: tuple[int, ...]
    text: str


@dataclasses.dataclass(frozen=True)
class PvEnum:
    """An enum value written bare (``##$KEY=Word``), not as a string."""

    word: str


_DIMS = re.compile(r"^\(\s*([0-9,\s]+)\)\s*$")
_RUN = re.compile(r"@(\d+)\*\(([^()]*)\)")
#: most values one run-length group may expand to (ParaVision arrays are far smaller)
_MAX_RUN = 10_000_000
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _scalar(text: str) -> Any:
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    if _NUMBER.match(text):
        value = float(text)
        return int(value) if re.fullmatch(r"[-+]?\d+", text) else value
    return text


def _array(dims: tuple[int, ...], body: str) -> Any:
    body = body.strip()
    if body.startswith("<"):
        strings = re.findall(r"<([^>]*)>", body)
        return strings[0] if len(dims) == 1 and len(strings) == 1 else strings
    if body.startswith("("):
        return body  # struct arrays are kept as text
    words = body.split()
    if words and all(_NUMBER.match(w) for w in words):
        values = np.array([float(w) for w in words])
        if values.size == int(np.prod(dims)) and len(dims) > 1:
            values = values.reshape(dims)
        if np.all(values == np.round(values)) and all(
            "." not in w and "e" not in w.lower() for w in words
        ):
            values = values.astype(np.int64)
        return values
    return words


def _expand_runs(body: str, path: Path, key: str) -> str:
    """``@55*(9.1758)`` (ParaVision 6/360 run-length) -> 55 copies of ``9.1758``."""
    if "@" not in body:
        return body
    total = 0

    def repeat(match: re.Match) -> str:
        nonlocal total
        count = int(match.group(1))
        total += count
        if total > _MAX_RUN:
            raise DataError(path, f"{key}: run-length group of {count} values is too large")
        return " ".join([match.group(2).strip()] * count)

    return _RUN.sub(repeat, body)


def _inline_tuple(text: str) -> Any:
    """A struct written on the label line, ``(1721896319, 898, 120)`` -> ``[1721896319, 898,
    120]`` (ParaVision 360)."""
    return [_scalar(v) for v in text.strip()[1:-1].split(",")]


def read_pv_parameters(path: str | Path) -> dict[str, Any]:
    """Read a ParaVision parameter file into a dict (keys without ``$``).

    Numeric arrays come back as numpy arrays (reshaped to their dims), string arrays as a
    string (one string) or a list, enum arrays as a list of words, struct arrays as raw text.
    ParaVision 6/360 forms are read too: run-length groups ``@55*(9.1758)`` are expanded and a
    struct written on the label line (``##$ACQ_abs_time=(1721896319, 898, 120)``, no value lines
    after it) becomes a list of its fields.

    Raises
    ------
    DataError : the file is missing, empty or not a JCAMP-DX parameter file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "missing parameter file")
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise DataError(path, f"cannot read parameter file ({exc.strerror})") from exc
    if not text.lstrip().startswith("##"):
        raise DataError(path, "not a ParaVision JCAMP-DX parameter file")
    params: dict[str, Any] = {}
    key: str | None = None
    inline = ""
    dims: tuple[int, ...] | None = None
    body: list[str] = []

    def flush() -> None:
        if key is None or dims is None:
            return
        if not body:  # "(a, b, c)" on the label line is a value, not array dimensions
            params[key] = _inline_tuple(inline)
            return
        joined = "".join(body) if body and body[0].lstrip().startswith("<") else " ".join(body)
        params[key] = _array(dims, _expand_runs(joined, path, key))

    for line in text.splitlines():
        if line.startswith("$$"):
            continue
        if line.startswith("##"):
            flush()
            key, dims, body = None, None, []
            name, _, value = line[2:].partition("=")
            if name == "END":
                break
            name = name.lstrip("$")
            match = _DIMS.match(value.strip())
            if match:
                key, inline = name, value
                dims = tuple(int(v) for v in match.group(1).replace(",", " ").split())
            elif value.strip().startswith("(") and value.strip().endswith(")"):
                params[name] = _inline_tuple(value)
            else:
                params[name] = _scalar(value)
        elif key is not None:
            body.append(line)
    flush()
    if not params:
        raise DataError(path, "parameter file holds no parameters")
    return params


def _format_value(value: Any) -> tuple[str, str | None]:
    """(text after '=', body lines or None) for one parameter."""
    if isinstance(value, PvStruct):
        return "( " + ", ".join(str(d) for d in value.dims) + " )", value.text
    if isinstance(value, PvEnum):
        return value.word, None
    if isinstance(value, str):
        return f"( {max(len(value) + 1, 8)} )", f"<{value}>"
    if isinstance(value, bool):
        return ("Yes" if value else "No"), None
    if isinstance(value, int | np.integer):
        return str(int(value)), None
    if isinstance(value, float | np.floating):
        return repr(float(value)), None
    arr = np.asarray(value)
    dims = ", ".join(str(d) for d in arr.shape)
    if arr.dtype.kind in "US":
        return f"( {dims} )", " ".join(str(v) for v in arr.ravel())
    words = [str(int(v)) if arr.dtype.kind in "iu" else repr(float(v)) for v in arr.ravel()]
    lines, line = [], ""
    for w in words:
        if len(line) + len(w) + 1 > 78:
            lines.append(line)
            line = ""
        line = f"{line} {w}" if line else w
    lines.append(line)
    return f"( {dims} )", "\n".join(lines)


def format_pv_parameters(params: dict[str, Any], header: list[str]) -> str:
    """Text of a ParaVision parameter file.

    Parameters
    ----------
    params : values: str (written ``( n )`` + ``<str>``), int, float, bool (Yes/No),
        :class:`PvEnum` for a bare enum word, :class:`PvStruct` for struct arrays, numpy
        arrays (numbers, or strings written as enum words).
    header : the ``$$`` comment lines after the standard JCAMP header (date, path).
    """
    lines = [
        "##TITLE=Parameter List",
        "##JCAMPDX=4.24",
        "##DATATYPE=Parameter Values",
        "##ORIGIN=Bruker BioSpin MRI GmbH",
        "##OWNER=dendritemr",
    ]
    lines += [f"$$ {h}" for h in header]
    for key, value in params.items():
        head, body = _format_value(value)
        lines.append(f"##${key}={head}")
        if body is not None:
            lines.append(body)
    lines.append("##END=")
    return "\n".join(lines) + "\n"
