"""Processing history: an ordered, JSON-serialisable list of steps kept in ``attrs["history"]``.

Stored as a JSON string so that it survives NetCDF round trips unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import xarray as xr


def get_history(obj: xr.DataArray | xr.Dataset) -> list[dict[str, Any]]:
    """Return the processing history of ``obj`` as a list of step dictionaries."""
    raw = obj.attrs.get("history", "[]")
    return json.loads(raw) if isinstance(raw, str) else list(raw)


def add_step(obj: xr.DataArray | xr.Dataset, step: dict[str, Any]) -> None:
    """Append ``step`` (a JSON-serialisable dict with a ``"step"`` name) to ``obj``'s history.

    Modifies ``obj.attrs`` in place; callers pass a freshly made result, never their input.
    """
    history = get_history(obj)
    history.append(step)
    obj.attrs["history"] = json.dumps(history)
