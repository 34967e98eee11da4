"""Declared, documented and validated parameters of the scenario sections.

Every section of a scenario file is a frozen dataclass whose fields are declared with
:func:`param`: default, unit, source tag (**[checked]**, **[derived]**, **[lit]**,
**[default]**, as in ``docs/science.md``), validation kind and a one-line meaning, all in the
field metadata. The cell sections (:mod:`dendritemr.sim.scenario`) and the observation sections
(:mod:`dendritemr.sim.observables.settings`) use the same helpers: :func:`check_section`
validates a TOML table against a section's default instance, :func:`section_values` gives the
TOML-ready values back and :func:`toml_value` writes one of them.

Validation kinds
----------------
``positive`` (> 0), ``nonnegative`` (>= 0), ``fraction`` ([0, 1]), ``any`` (finite number),
``count`` (integer >= 1), ``bool`` (true/false), ``datetime`` (timezone-aware date-time, a TOML
offset date-time such as ``2026-03-02T09:00:00+01:00``), ``choice:a|b`` (one of the strings) and
``positive-or-none`` (> 0, or ``None`` for a documented fallback; TOML has no null, so a file
writes ``0`` for ``None``).

Examples
--------
>>> check_value("s.toml", "li7.td", 4096, "count")
4096
>>> check_value("s.toml", "spectrometer.filament_spacing_um", 0, "positive-or-none") is None
True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import numbers
from typing import Any

from dendritemr.errors import DataError

__all__ = [
    "param",
    "param_fields",
    "check_value",
    "check_section",
    "section_values",
    "section_rows",
    "toml_value",
]

_NUMBER_KINDS = ("positive", "nonnegative", "fraction", "any", "positive-or-none")


def param(default: Any, unit: str, source: str, kind: str = "positive", doc: str = "") -> Any:
    """Declare one scenario parameter (a dataclass field with its metadata).

    Parameters
    ----------
    default : default value.
    unit : physical unit ("1" for dimensionless, "-" for strings and flags).
    source : provenance tag and reference ("[lit] Tsai 2016", "[default]", ...).
    kind : validation rule, see the module docstring.
    doc : one-line meaning.
    """
    return dataclasses.field(
        default=default, metadata={"unit": unit, "source": source, "kind": kind, "doc": doc}
    )


def param_fields(section: Any) -> list[dataclasses.Field]:
    """Fields of a section class or instance declared with :func:`param` (its file keys)."""
    return [f for f in dataclasses.fields(section) if "kind" in f.metadata]


def check_value(path: str, name: str, value: Any, kind: str) -> Any:
    """Validate one value against its rule and return it converted.

    Parameters
    ----------
    path : file named in the error message.
    name : dotted key named in the error message (``"li7.td"``).
    value : value as read from TOML (or given from Python).
    kind : validation rule, see the module docstring.

    Returns
    -------
    The value; numbers of the number kinds as float, ``0`` of ``positive-or-none`` as None.

    Raises
    ------
    DataError
        One line naming ``path`` and ``name``: wrong type or value outside the allowed range.
    """
    got = type(value).__name__
    if kind.startswith("choice:"):
        options = kind.split(":", 1)[1].split("|")
        if not isinstance(value, str):
            raise DataError(path, f"{name} must be a string, got {got}")
        if value not in options:
            raise DataError(path, f"{name} must be one of {', '.join(options)}, got {value!r}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise DataError(path, f"{name} must be true or false, got {got} {value!r}")
        return value
    if kind == "datetime":
        if not isinstance(value, dt.datetime):
            raise DataError(path, f"{name} must be a date-time, got {got} {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise DataError(
                path,
                f"{name} must be timezone-aware (e.g. 2026-03-02T09:00:00+01:00), got {value}",
            )
        return value
    if kind == "count":
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise DataError(path, f"{name} must be an integer, got {got} {value!r}")
        if value < 1:
            raise DataError(path, f"{name} must be at least 1, got {value}")
        return int(value)
    if kind not in _NUMBER_KINDS:
        raise ValueError(f"unknown parameter kind {kind!r} of {name}")
    if kind == "positive-or-none" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise DataError(path, f"{name} must be a number, got {got}")
    value = float(value)
    if not math.isfinite(value):
        raise DataError(path, f"{name} must be finite, got {value}")
    if kind == "positive-or-none":
        if value < 0:
            raise DataError(path, f"{name} must be positive (or 0 for the default), got {value:g}")
        return None if value == 0 else value
    if kind == "positive" and value <= 0:
        raise DataError(path, f"{name} must be positive, got {value:g}")
    if kind == "nonnegative" and value < 0:
        raise DataError(path, f"{name} must not be negative, got {value:g}")
    if kind == "fraction" and not 0.0 <= value <= 1.0:
        raise DataError(path, f"{name} must lie in [0, 1], got {value:g}")
    return value


def check_section(path: str, name: str, default: Any, raw: Any) -> dict[str, Any]:
    """Validate one TOML table against a section's parameters.

    Parameters
    ----------
    path : file named in error messages.
    name : section name (``"li7"``).
    default : the section's default instance (its class declares the parameters).
    raw : the table as read (a mapping of key to value).

    Returns
    -------
    dict
        The validated values of the keys given; ``dataclasses.replace(default, **values)``
        builds the section.

    Raises
    ------
    DataError
        Not a table, unknown key, wrong type or value outside the allowed range.
    """
    if not isinstance(raw, dict):
        raise DataError(path, f"[{name}] must be a table, got {type(raw).__name__}")
    known = {f.name: f for f in param_fields(default)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise DataError(path, f"unknown key '{name}.{key}'")
        values[key] = check_value(path, f"{name}.{key}", value, known[key].metadata["kind"])
    return values


def section_values(section: Any) -> dict[str, Any]:
    """TOML-ready values of a section's parameters (None of ``positive-or-none`` as 0.0)."""
    out = {}
    for f in param_fields(section):
        value = getattr(section, f.name)
        if value is None and f.metadata["kind"] == "positive-or-none":
            value = 0.0
        out[f.name] = value
    return out


def section_rows(name: str, default: Any) -> list[dict[str, Any]]:
    """One row per parameter: ``section``, ``name``, ``default``, ``unit``, ``source``, ``doc``."""
    return [
        {
            "section": name,
            "name": f.name,
            "default": getattr(default, f.name),
            "unit": f.metadata["unit"],
            "source": f.metadata["source"],
            "doc": f.metadata["doc"],
        }
        for f in param_fields(default)
    ]


def toml_value(value: Any) -> str:
    """One value as TOML text (strings quoted, booleans lower case, offset date-times ISO)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, int | float):
        return repr(value)
    raise TypeError(f"no TOML form for {type(value).__name__}")
