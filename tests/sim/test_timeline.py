"""The default scenario reproduces the study's timeline, read from the model state."""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.sim.cell import ROUTE_BULK, ROUTE_INTERFACE


def _order(stages):
    return [s["name"] for s in stages]


@pytest.mark.slow
def test_interface_then_stall_then_bulk(early_run):
    names = _order(early_run.stages)
    i = names.index("interface-growth")
    j = names.index("stall", i)
    k = next(n for n, name in enumerate(names) if name in ("bulk-nucleation", "mixed-growth"))
    assert i < j < k
    h = early_run.history
    # fast interface growth: the first stage builds interface metal at a high rate
    first = early_run.stages[i]
    sel = h["time_h"] <= first["end_h"]
    rate = h["interface_umol"][sel][-1] / (first["end_h"] - first["start_h"])
    assert rate > 0.1  # umol/h, against ~0 during the stall
    # the stall: no bulk metal until traps are filled
    assert np.all(h["bulk_umol"][h["time_h"] < early_run.stages[k]["start_h"] - 1e-9] == 0)
    cells = early_run.metal_cells()
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
