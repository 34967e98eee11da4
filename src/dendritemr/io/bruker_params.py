"""Bruker JCAMP-style parameter files (acqus, acqu2s, procs) and list files (vdlist, vclist)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from dendritemr.errors import DataError

_TIME_UNITS = {"": 1.0, "s": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}


def read_parameters(path: str | Path) -> dict[str, Any]:
    """Read a TopSpin parameter file into a dict (keys without ``$``, e.g. ``"TD"``).

    Raises
    ------
    DataError : the file is missing, empty or not a JCAMP-DX parameter file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "missing parameter file")
    try:
        head = path.read_bytes()[:64]
    except OSError as exc:
        raise DataError(path, f"cannot read parameter file ({exc.strerror})") from exc
    if not head.lstrip().startswith(b"##"):
        raise DataError(path, "not a TopSpin JCAMP-DX parameter file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        text = path.read_bytes().decode("cp1252", errors="replace")
    params = _parse(path, text)
    if len(params) <= 2:
        raise DataError(path, "parameter file holds no parameters")
    return params


_ARRAY = re.compile(r"^\(\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*\)(.*)$")
#: most values of one array parameter (TopSpin arrays hold at most a few thousand)
_MAX_ARRAY = 1_000_000


def _value(text: str) -> Any:
    """One value as TopSpin writes it: ``<string>``, an int, a float, else the text."""
    if text == "":
        return None
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    try:
        return float(text) if any(c in text for c in ".eEnN") else int(text)
    except ValueError:
        return text


def _parse(path: Path, text: str) -> dict[str, Any]:
    """``##$KEY= value`` lines: strings without ``<>``, numbers, ``yes``/``no`` as bool, arrays
    ``(0..n-1)`` as lists of their values (which follow on the next lines); ``$$`` comments and
    core labels (``##TITLE=``) are kept in ``_comments`` and ``_coreheader``.

    Values and types follow :func:`nmrglue.bruker.read_jcamp`; unlike it, a value cut off by
    the end of the file (an unclosed ``<string``, an array with too few values) is a DataError,
    never an endless read.
    """
    params: dict[str, Any] = {"_coreheader": [], "_comments": []}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        i += 1
        if line.startswith("##END="):
            break
        if line.startswith("$$"):
            params["_comments"].append(line)
            continue
        if not line.startswith("##$"):
            if line.startswith("##"):
                params["_coreheader"].append(line)
            continue
        key, eq, value = line[3:].partition("=")
        if not eq:
            raise DataError(path, f"line {i}: parameter without '=': {line[:40]!r}")
        value = value.strip()
        if value.startswith("<"):
            while not value.endswith(">"):
                if i >= len(lines) or lines[i].startswith("##"):
                    raise DataError(path, f"{key}: string value not closed by '>'")
                value += "\n" + lines[i].rstrip()
                i += 1
            params[key] = value[1:-1]
            continue
        match = _ARRAY.match(value)
        if match:
            first, last, rest = int(match.group(1)), int(match.group(2)), match.group(3)
            count = last - first + 1
            if not 0 < count <= _MAX_ARRAY:
                raise DataError(path, f"{key}: array size ({first}..{last}) is not usable")
            body = rest.split()
            while len(body) < count and i < len(lines) and not lines[i].startswith("##"):
                body += lines[i].split()
                i += 1
            if len(body) != count:
                raise DataError(path, f"{key}: array ({first}..{last}) holds {len(body)} values")
            params[key] = [_value(t) for t in body]
            continue
        params[key] = {"yes": True, "no": False}.get(value, _value(value))
    return params


def require(params: dict[str, Any], key: str, path: str | Path) -> Any:
    """Return ``params[key]`` or raise a DataError naming the file and the missing key."""
    if key not in params:
        raise DataError(path, f"parameter {key} missing")
    return params[key]


_MISSING = object()


def number(
    params: dict[str, Any],
    key: str,
    path: str | Path,
    default: Any = _MISSING,
    *,
    integer: bool = False,
    positive: bool = False,
) -> Any:
    """``params[key]`` as a finite float (or int), or a DataError naming the file and the key.

    Parameters
    ----------
    params : from :func:`read_parameters`.
    key : parameter name without ``$`` (e.g. ``"SW_h"``).
    path : the parameter file (for the message).
    default : returned when the key is absent (absent and no default: DataError).
    integer : the value must be a whole number (returned as int).
    positive : the value must be > 0.

    Raises
    ------
    DataError : absent without default, not a number, NaN or infinite, not whole when
        ``integer``, not positive when ``positive``.
    """
    if key not in params:
        if default is _MISSING:
            raise DataError(path, f"parameter {key} missing")
        return default
    raw = params[key]
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise DataError(path, f"parameter {key}={str(raw)[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(path, f"parameter {key}={value} is not finite")
    if integer:
        if value != round(value) or abs(value) > 2**53:
            raise DataError(path, f"parameter {key}={value:g} is not a whole number")
        value = int(value)
    if positive and not value > 0:
        raise DataError(path, f"parameter {key}={value:g} must be positive")
    return value


def number_list(params: dict[str, Any], key: str, path: str | Path, index: int, default: float):
    """Element ``index`` of an array parameter (``D``, ``P``...) as a finite float."""
    values = params.get(key)
    if not isinstance(values, list | tuple) or len(values) <= index:
        return default
    return number({key: values[index]}, key, path)


def strip_brackets(value: Any) -> str:
    """``"<7Li>"`` -> ``"7Li"``."""
    return str(value).strip().strip("<>").strip()


def read_delay_list(path: str | Path) -> list[float]:
    """Read a vdlist (values with optional s/m/u/n suffix) in seconds."""
    values = []
    for line in Path(path).read_text(errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([-+0-9.eE]+)\s*([smun]?)", line)
        try:
            value = float(match.group(1)) * _TIME_UNITS[match.group(2)]  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            raise DataError(path, f"unreadable delay {line[:40]!r}") from None
        if not (math.isfinite(value) and value >= 0):
            raise DataError(path, f"delay {line!r} is not a finite non-negative time")
        values.append(value)
    return values


def read_count_list(path: str | Path) -> list[int]:
    """Read a vclist (integer loop counters)."""
    try:
        return [int(float(v)) for v in Path(path).read_text(errors="replace").split() if v]
    except (ValueError, OverflowError) as exc:
        raise DataError(path, f"unreadable counter list ({exc})") from exc
