"""Bruker JCAMP-style parameter files (acqus, acqu2s, procs) and list files (vdlist, vclist)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nmrglue as ng

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
        params = ng.bruker.read_jcamp(str(path))
    except Exception as exc:  # nmrglue raises assorted errors on malformed files
        raise DataError(path, f"unreadable parameter file ({exc})") from exc
    if not params:
        raise DataError(path, "parameter file holds no parameters")
    return params


def require(params: dict[str, Any], key: str, path: str | Path) -> Any:
    """Return ``params[key]`` or raise a DataError naming the file and the missing key."""
    if key not in params:
        raise DataError(path, f"parameter {key} missing")
    return params[key]


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
        if match is None:
            raise DataError(path, f"unreadable delay {line!r}")
        values.append(float(match.group(1)) * _TIME_UNITS[match.group(2)])
    return values


def read_count_list(path: str | Path) -> list[int]:
    """Read a vclist (integer loop counters)."""
    try:
        return [int(float(v)) for v in Path(path).read_text().split() if v]
    except ValueError as exc:
        raise DataError(path, f"unreadable counter list ({exc})") from exc
