"""Stage labels from the model state (not from a timer).

For each step the growth rates of interface metal (cells + crack fillings) and bulk metal over a
trailing window of ``stage_window_h`` are compared with ``stage_rate_fraction * I / F``:
only interface active -> ``interface-growth``; only bulk -> ``bulk-nucleation``; both ->
``mixed-growth``; neither -> ``stall`` (once metal exists; before any growth also ``stall``);
after the short -> ``shorted``. Consecutive equal labels are merged into intervals with the
names of the results schema (design.md).
"""

from __future__ import annotations

import numpy as np

__all__ = ["STAGE_NAMES", "label_steps", "stage_intervals"]

STAGE_NAMES = ("interface-growth", "stall", "bulk-nucleation", "mixed-growth", "shorted")


def label_steps(
    time_h: np.ndarray,
    interface_mol: np.ndarray,
    bulk_mol: np.ndarray,
    charge_rate_mol_h: np.ndarray,
    shorted: np.ndarray,
    window_h: float,
    fraction: float,
) -> np.ndarray:
    """Stage name per step.

    Parameters
    ----------
    time_h : step end times (h).
    interface_mol, bulk_mol : dendritic metal per route after each step (mol).
    charge_rate_mol_h : |I| / F per step (mol/h).
    shorted : bool per step.
    window_h : trailing window (h).
    fraction : activity threshold as a fraction of |I| / F.

    Returns
    -------
    ndarray of str
    """
    t = np.asarray(time_h, float)
    start = np.searchsorted(t, t - window_h, side="left")
    span = np.maximum(t - t[start], 1e-12)
    thresh = fraction * np.asarray(charge_rate_mol_h)
    first = t - window_h < t[0]
    base_i = np.where(first, 0.0, interface_mol[start])
    base_b = np.where(first, 0.0, bulk_mol[start])
    span = np.where(first, np.maximum(t, 1e-12), span)
    active_i = (interface_mol - base_i) / span > thresh
    active_b = (bulk_mol - base_b) / span > thresh
    out = np.full(t.size, "stall", dtype=object)
    out[active_i & ~active_b] = "interface-growth"
    out[~active_i & active_b] = "bulk-nucleation"
    out[active_i & active_b] = "mixed-growth"
    out[np.asarray(shorted, bool)] = "shorted"
    return out.astype(str)


def stage_intervals(time_h: np.ndarray, labels: np.ndarray, start_h: float = 0.0) -> list[dict]:
    """Merge per-step labels into ``[{"name", "start_h", "end_h"}]`` intervals.

    Parameters
    ----------
    time_h : step end times (h).
    labels : stage per step.
    start_h : time the first step starts (h).

    Returns
    -------
    list of dict
    """
    out: list[dict] = []
    prev_end = start_h
    for t, name in zip(time_h, labels, strict=True):
        if out and out[-1]["name"] == name:
            out[-1]["end_h"] = float(t)
        else:
            out.append({"name": str(name), "start_h": float(prev_end), "end_h": float(t)})
        prev_end = float(t)
    return out
