"""The default scenario reproduces the study's timeline, read from the model state."""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.sim.cell import ROUTE_BULK, ROUTE_INTERFACE
from dendritemr.sim.ensemble import first_stage_summary


def _order(stages):
    return [s["name"] for s in stages]


@pytest.mark.slow
def test_interface_then_stall_then_bulk(early_run):
    res = early_run
    h = res.history
    summary = first_stage_summary(h["time_h"], h["interface_umol"], h["bulk_umol"], res.stages)
    # detectable stages (ideal observer at the stated SNR): interface -> stall -> bulk
    assert summary["sequence_ok"], res.stages
    assert summary["first_stall_h"] >= 0.5
    names = _order(res.stages)
    first = res.stages[names.index("interface-growth")]
    sel = h["time_h"] <= first["end_h"]
    # fast interface growth: the first stage builds interface metal at a high rate ...
    rate = h["interface_umol"][sel][-1] / (first["end_h"] - first["start_h"])
    assert rate > 0.5  # umol/h
    # ... with no Li0 inside the pellet while the traps near the tips fill
    assert np.all(h["bulk_umol"][sel] == 0.0) and h["trapped_mol"][sel].sum() > 0
    # the bulk route is a real competitor at the end of its first stage
    assert summary["bulk_share_first_bulk_end"] > 0.15
    cells = res.metal_cells()
    assert np.any(cells["route"] == ROUTE_INTERFACE) and np.any(cells["route"] == ROUTE_BULK)
    assert np.all(np.isfinite(cells["birth_h"]))
    assert np.all((cells["crystallinity"] >= 0) & (cells["crystallinity"] <= 1))


@pytest.mark.slow
def test_default_run_shorts(default_run):
    res = default_run
    assert res.short_circuit_h is not None
    assert res.stages[-1]["name"] == "shorted"
    names = _order(res.stages)
    i = names.index("interface-growth")
    j = names.index("stall", i)
    k = next(n for n, name in enumerate(names) if name in ("bulk-nucleation", "mixed-growth"))
    assert i < j < k < len(names) - 1
    # a connected metal path across the pellet, and the voltage collapses at the short
    assert res.state.clusters.shorted
    v = res.history["voltage_V"]
    assert v[-1] < 0.05 * v[-2]
    assert res.history["tip_depth_um"][-1] == pytest.approx(res.scenario.geometry.thickness_um)


@pytest.mark.slow
def test_scheme_a_route_signatures(default_run):
    """Scheme A: interface metal near the enriched electrode, bulk metal near natural."""
    cells = default_run.metal_cells()
    itf = cells["route"] == ROUTE_INTERFACE
    x6_itf = np.sum(cells["x6"][itf] * cells["mol"][itf]) / np.sum(cells["mol"][itf])
    assert x6_itf > 0.8
    bulk = cells["route"] == ROUTE_BULK
    x6_bulk = np.sum(cells["x6"][bulk] * cells["mol"][bulk]) / np.sum(cells["mol"][bulk])
    assert x6_bulk < 0.25
    assert x6_itf - x6_bulk > 0.5
