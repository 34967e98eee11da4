"""Seeds: same seed, same output; different seed, different microstructure."""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.sim.cell import run
from dendritemr.sim.cell.grid import make_grid
from dendritemr.sim.cell.microstructure import build_microstructure


def test_same_seed_identical(small_run, make_small):
    again = run(make_small())
    for key, value in small_run.history.items():
        np.testing.assert_array_equal(value, again.history[key], err_msg=key)
    np.testing.assert_array_equal(small_run.state.metal, again.state.metal)


def test_different_seed_different_microstructure(make_small):
    grids = []
    for seed in (1, 2):
        sc = make_small(seed=seed)
        g = sc.geometry
        grid = make_grid(g.thickness_um, g.width_um, g.cell_um, g.area_cm2)
        grids.append(build_microstructure(sc, grid))
    assert not np.array_equal(grids[0].grain_id, grids[1].grain_id)
    assert not np.array_equal(grids[0].contact_b, grids[1].contact_b)


#: Seed 1 of the default pellet to 12 h as computed before the solver speed-ups of issue 11
#: (partial-pivoting LU, one relabelling per dissolved particle; commit f67815b): the same
#: physics must give the same trajectory to round-off (212 steps, 123 of them with relays).
_EARLY_REFERENCE = {
    "steps": 212,
    "bulk_cells": 137,
    "bulk_umol": 1.2884634721178236,
    "interface_umol": 2.311248742899167,
    "voltage_V": 0.37317215024005196,
    "x6_bulk": 0.11039490880272534,
    "relay_out_mol": 2.2071071983615455e-05,
    "trapped_mol": 4.954385411573941e-06,
    "reduced_mol": 3.0603920016634462e-06,
}


def test_early_run_matches_reference(early_run):
    h = early_run.history
    assert h["time_h"].size == _EARLY_REFERENCE["steps"]
    assert int(h["n_bulk_cells"][-1]) == _EARLY_REFERENCE["bulk_cells"]
    for key in ("bulk_umol", "interface_umol", "voltage_V", "x6_bulk"):
        assert h[key][-1] == pytest.approx(_EARLY_REFERENCE[key], rel=1e-9), key
    for key in ("relay_out_mol", "trapped_mol", "reduced_mol"):
        assert h[key].sum() == pytest.approx(_EARLY_REFERENCE[key], rel=1e-9), key
