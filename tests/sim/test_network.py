"""The sparse network solver: analytic values, and groups of nodes joined to no fixed node."""

from __future__ import annotations

import numpy as np

from dendritemr.sim.cell.network import Network


def test_series_chain_and_floating_island():
    # nodes 0-1-2 a chain between fixed 0 (1 V) and 2 (0 V) with g 1 and 3 S: node 1 at 0.25 V;
    # nodes 3-4 joined only to each other (an island, e.g. a grain ringed by idle trap cells),
    # node 5 with no face at all
    fa = np.array([0, 1, 3])
    fb = np.array([1, 2, 4])
    g = np.array([1.0, 3.0, 2.0])
    fixed = np.array([True, False, True, False, False, False])
    net = Network(6, fa, fb, g, fixed)
    phi = net.solve(np.array([1.0, 0, 0, 0, 0, 0]))
    assert phi[1] == np.float64(0.25)
    assert np.array_equal(net.floating, [False, False, False, True, True, False])
    assert phi[3] == 0.0 and phi[4] == 0.0
    out = net.net_out(phi)
    assert out[0] == -out[2] == 0.75
    assert np.all(out[3:] == 0.0)
