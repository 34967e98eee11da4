"""Cycler log of the simulated cell: time, current and voltage as a text (CSV) export.

Layout (read by :func:`dendritemr.io.cycler_csv.read_cycler_csv`)::

    # dendritemr cycler export
    # start: 2026-03-02T09:00:00+01:00
    time/s,current/mA,voltage/V
    0.0,0.3,0.0123
    ...

Rows every ``interval_s`` from the start of the current to the end of the run: the current
of the model step holding that time, the voltage linearly interpolated between step ends,
plus Gaussian measurement noise.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from dendritemr.sim.cell import SimulationResult

__all__ = ["cycler_table", "cycler_text"]


def cycler_table(
    result: SimulationResult, interval_s: float, noise_v: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Sampled log: ``time_s`` (s), ``current_mA`` (mA), ``voltage_V`` (V)."""
    h = result.history
    t_end = float(h["time_h"][-1]) * 3600.0
    t = np.arange(0.0, t_end + 1e-9, interval_s)
    if t[-1] < t_end:
        t = np.append(t, t_end)
    ends = h["time_h"] * 3600.0
    step = np.minimum(np.searchsorted(ends, t, side="left"), ends.size - 1)
    current = h["current_A"][step] * 1e3
    v0 = h["voltage_V"][0]
    voltage = np.interp(t, np.concatenate([[0.0], ends]), np.concatenate([[v0], h["voltage_V"]]))
    voltage = voltage + noise_v * rng.standard_normal(t.size)
    return {"time_s": t, "current_mA": current, "voltage_V": voltage}


def cycler_text(table: dict[str, np.ndarray], start: dt.datetime) -> str:
    """CSV text with a two-line comment header (start time, ISO 8601 with offset)."""
    lines = [
        "# dendritemr cycler export",
        f"# start: {start.isoformat()}",
        "time/s,current/mA,voltage/V",
    ]
    for t, i, v in zip(table["time_s"], table["current_mA"], table["voltage_V"], strict=True):
        lines.append(f"{t:.1f},{i:.6g},{v:.6g}")
    return "\n".join(lines) + "\n"
