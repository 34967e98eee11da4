"""The metal state of a finished run at any time point, from its history and final state.

The cell model returns the per-step history (amounts and 6Li fractions per route) and the
final grid. A metal cell exists at time ``t`` when its birth time is at or before ``t``;
the Li it holds is scaled per route so that the totals equal the history at ``t`` (metal
still in crack pools is carried by the first cells of its route, where the pools are).
Crystallinity follows ``1 - exp(-age / tau)`` as in the model. Clusters are relabelled
(4-neighbour, periodic in x) among the cells present.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import ndimage

from dendritemr.sim.cell import ROUTE_BULK, ROUTE_INTERFACE, SimulationResult

__all__ = ["Snapshot", "snapshot", "history_at"]


@dataclasses.dataclass
class Snapshot:
    """Metal cells and isotope fractions at one time.

    Attributes
    ----------
    time_h : time since the start of the current (h).
    iz, ix : grid indices of the metal cells.
    route : 1 interface, 2 bulk; mol : Li per cell (mol); x6 : 6Li fraction per cell.
    crystallinity : crystalline fraction per cell; cluster : cluster label per cell (0..).
    x6_electrode : 6Li fraction of the surface layers {"B", "A"}.
    x6_llzo : mean 6Li fraction of the LLZO.
    """

    time_h: float
    iz: np.ndarray
    ix: np.ndarray
    route: np.ndarray
    mol: np.ndarray
    x6: np.ndarray
    crystallinity: np.ndarray
    cluster: np.ndarray
    x6_electrode: dict[str, float]
    x6_llzo: float


def history_at(result: SimulationResult, key: str, time_h: np.ndarray | float) -> np.ndarray:
    """History value ``key`` linearly interpolated at ``time_h`` (h); amounts are 0 at t=0."""
    h = result.history
    t = np.concatenate([[0.0], h["time_h"]])
    v = np.asarray(h[key], dtype=float)
    first = 0.0 if key.endswith("umol") or key.endswith("mol") else v[0]
    v = np.concatenate([[first], v])
    if np.any(np.isnan(v)):  # x6 of a route before it exists
        good = ~np.isnan(v)
        v = np.interp(t, t[good], v[good]) if good.any() else np.zeros_like(v)
    return np.interp(time_h, t, v)


def _periodic_labels(mask: np.ndarray) -> np.ndarray:
    """4-neighbour labels (0-based, -1 outside) joined across the periodic x boundary."""
    lab, n = ndimage.label(mask)
    parent = np.arange(n + 1)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in zip(lab[:, 0], lab[:, -1], strict=True):
        if a and b:
            parent[find(a)] = find(b)
    roots = np.array([find(i) for i in range(n + 1)])
    _, dense = np.unique(roots, return_inverse=True)
    return np.where(mask, dense.reshape(roots.shape)[lab] - 1, -1)


def snapshot(result: SimulationResult, time_h: float) -> Snapshot:
    """Metal state at ``time_h`` (h since the current started).

    Parameters
    ----------
    result : a finished run (:func:`dendritemr.sim.cell.run`).
    time_h : time (h), clipped to the simulated span.
    """
    cells = result.metal_cells()
    g = result.grid
    t_end = float(result.history["time_h"][-1])
    t = float(np.clip(time_h, 0.0, t_end))
    tau = result.scenario.growth.crystallisation_time_h
    keep_all = []
    mol_all = []
    x6_all = []
    for route, name in ((ROUTE_INTERFACE, "interface"), (ROUTE_BULK, "bulk")):
        sel = np.flatnonzero(cells["route"] == route)
        total = float(history_at(result, f"{name}_umol", t)) * 1e-6
        if sel.size == 0 or total <= 0:
            continue
        present = sel[cells["birth_h"][sel] <= t + 1e-9]
        if present.size == 0:  # only crack pools yet: carried by the first cells to form
            first = cells["birth_h"][sel].min()
            present = sel[cells["birth_h"][sel] <= first + 1e-9]
        weights = np.maximum(cells["mol"][present], 1e-30)
        keep_all.append(present)
        mol_all.append(total * weights / weights.sum())
        x6 = float(history_at(result, f"x6_{name}", t))
        x6_all.append(np.full(present.size, x6))
    if keep_all:
        keep = np.concatenate(keep_all)
        mol = np.concatenate(mol_all)
        x6 = np.concatenate(x6_all)
    else:
        keep, mol, x6 = np.zeros(0, int), np.zeros(0), np.zeros(0)
    iz, ix = cells["iz"][keep], cells["ix"][keep]
    mask = np.zeros((g.nz, g.nx), bool)
    mask[iz, ix] = True
    labels = _periodic_labels(mask)[iz, ix] if keep.size else np.zeros(0, int)
    age = np.maximum(t - cells["birth_h"][keep], 0.0)
    sc = result.scenario.isotopes
    final_llzo = float(np.mean(result.state.llzo_x6))
    frac = t / t_end if t_end > 0 else 1.0
    return Snapshot(
        time_h=t,
        iz=iz,
        ix=ix,
        route=cells["route"][keep],
        mol=mol,
        x6=x6,
        crystallinity=-np.expm1(-age / tau),
        cluster=labels,
        x6_electrode={
            "B": float(history_at(result, "x6_electrode_b", t)),
            "A": float(history_at(result, "x6_electrode_a", t)),
        },
        x6_llzo=sc.llzo_x6 + (final_llzo - sc.llzo_x6) * frac,
    )
