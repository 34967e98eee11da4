"""``ground_truth.json`` of a simulated study, in the shared results schema.

Schema: ``docs/results-schema.md`` and :mod:`dendritemr.results_schema`. The required keys
come from the run history interpolated at the NMR time points; extras describe the signals.
"""

from __future__ import annotations

import numpy as np

from dendritemr.results_schema import SCHEMA_ID
from dendritemr.sim.cell import SimulationResult
from dendritemr.sim.observables.snapshot import history_at

__all__ = ["ground_truth"]


def _clean(values) -> list:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, dtype=float)]


def ground_truth(result: SimulationResult, time_h: np.ndarray, extras: dict) -> dict:
    """Truth at the NMR time points ``time_h`` (h since the current started).

    Parameters
    ----------
    result : the run.
    time_h : mid-points of the 7Li acquisitions (h).
    extras : extra keys merged in (signals, files, settings).
    """
    t = np.asarray(time_h, dtype=float)
    inter = history_at(result, "interface_umol", t)
    bulk = history_at(result, "bulk_umol", t)
    x6i = history_at(result, "x6_interface", t)
    x6b = history_at(result, "x6_bulk", t)
    total = inter + bulk
    with np.errstate(invalid="ignore", divide="ignore"):
        x6 = np.where(total > 0, (inter * x6i + bulk * x6b) / total, np.nan)
        frac = np.where(total > 0, inter / total, np.nan)
    truth = {
        "schema": SCHEMA_ID,
        "time_h": _clean(t),
        "metal_umol": {"interface": _clean(inter), "bulk": _clean(bulk)},
        "x6_metal": _clean(x6),
        "interface_fraction": _clean(frac),
        "stages": [
            {"name": s["name"], "start_h": float(s["start_h"]), "end_h": float(s["end_h"])}
            for s in result.stages
        ],
        "short_circuit_h": None
        if result.short_circuit_h is None
        else float(result.short_circuit_h),
        "x6_interface": _clean(x6i),
        "x6_bulk": _clean(x6b),
        "x6_electrode_b": _clean(history_at(result, "x6_electrode_b", t)),
        "x6_electrode_a": _clean(history_at(result, "x6_electrode_a", t)),
        "tip_depth_um": _clean(history_at(result, "tip_depth_um", t)),
        "tip_depth_a_um": _clean(history_at(result, "tip_depth_a_um", t)),
        "voltage_V": _clean(history_at(result, "voltage_V", t)),
        "end_h": float(result.history["time_h"][-1]),
    }
    truth.update(extras)
    return truth
