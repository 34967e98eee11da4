"""Seeds: same seed, same output; different seed, different microstructure."""

from __future__ import annotations

import numpy as np

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
