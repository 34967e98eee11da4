"""The sparse network solver: analytic values, and groups of nodes joined to no fixed node."""

from __future__ import annotations

import numpy as np

from dendritemr.sim.cell import network
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


def _grid_network(rng, nz=40, nx=8, pinned=0.3):
    """A periodic nz x nx grid (row-major, as the cell grid) with random conductances spanning
    six decades and random pinned nodes."""
    idx = np.arange(nz * nx).reshape(nz, nx)
    fa = np.concatenate([idx[:-1].ravel(), idx.ravel()])
    fb = np.concatenate([idx[1:].ravel(), np.roll(idx, -1, axis=1).ravel()])
    g = 10.0 ** rng.uniform(-6.0, 0.0, fa.size)
    fixed = rng.random(nz * nx) < pinned
    fixed[:nx] = True
    return nz * nx, fa, fb, g, fixed


def _dense_solution(n, fa, fb, g, fixed, values):
    """Reference: the same network solved densely (numpy) on its free nodes."""
    lap = np.zeros((n, n))
    np.add.at(lap, (fa, fb), -g)
    np.add.at(lap, (fb, fa), -g)
    lap[np.diag_indices(n)] -= lap.sum(axis=1)
    free = ~fixed
    out = values.copy()
    out[free] = np.linalg.solve(lap[np.ix_(free, free)], -lap[np.ix_(free, fixed)] @ values[fixed])
    return out


def test_banded_and_sparse_paths_match_a_dense_solve():
    # the grid's half-bandwidth (8) takes the banded Cholesky path; the same network with
    # its nodes shuffled (bandwidth > BAND_MAX) takes the sparse LU path
    rng = np.random.default_rng(7)
    n, fa, fb, g, fixed = _grid_network(rng)
    values = rng.normal(size=n)
    ref = _dense_solution(n, fa, fb, g, fixed, values)
    net = Network(n, fa, fb, g, fixed)
    assert net._chol is not None
    np.testing.assert_allclose(net.solve(values), ref, rtol=0, atol=1e-10 * np.abs(ref).max())
    perm = rng.permutation(n)
    shuffled = Network(n, perm[fa], perm[fb], g, fixed[np.argsort(perm)])
    assert shuffled._lu is not None
    back = shuffled.solve(values[np.argsort(perm)])[perm]
    np.testing.assert_allclose(back, ref, rtol=0, atol=1e-10 * np.abs(ref).max())


def test_restart_from_previous_factor_matches_a_fresh_factorisation(monkeypatch):
    # a sequence of networks that differ near node 0 (as Li0 cells and traps change near B
    # between two field solves): each reuses the unchanged rows of the previous factor
    kept = []
    restart = network._restart

    def counted(ab, chol, r):
        kept.append(r / ab.shape[1])
        return restart(ab, chol, r)

    monkeypatch.setattr(network, "_restart", counted)
    rng = np.random.default_rng(11)
    n, fa, fb, g, fixed = _grid_network(rng, nz=60)
    previous = None
    for _ in range(6):
        fixed = fixed.copy()
        flip = rng.integers(8, 80, 12)
        fixed[flip] = ~fixed[flip]
        g = g.copy()
        near = (fa < 80) & (rng.random(fa.size) < 0.2)
        g[near] = 10.0 ** rng.uniform(-6.0, 0.0, near.sum())
        values = rng.normal(size=n)
        net = Network(n, fa, fb, g, fixed, previous)
        fresh = Network(n, fa, fb, g, fixed)
        ref = _dense_solution(n, fa, fb, g, fixed, values)
        scale = np.abs(ref).max()
        np.testing.assert_allclose(net.solve(values), ref, rtol=0, atol=1e-10 * scale)
        np.testing.assert_allclose(
            net.solve(values), fresh.solve(values), rtol=0, atol=1e-13 * scale
        )
        previous = net
    assert len(kept) == 5 and min(kept) > 0.5
    # the same matrix again: the previous factor is taken as it is
    again = Network(n, fa, fb, g, fixed, previous)
    assert np.shares_memory(again._chol, previous._chol)
    np.testing.assert_array_equal(again.solve(values), previous.solve(values))


def test_recycled_factor_memory_gives_the_same_numbers(monkeypatch):
    # recycle=True (the field solver's chain of electron networks) reuses the previous
    # network's factor memory instead of copying its kept rows: every solution of the chain
    # must be bitwise the one of the copying chain, also when the number of free nodes changes
    # (pinned nodes freed and pinned) and when a network repeats its predecessor's matrix
    in_place = []
    restart = network._restart

    def counted(ab, chol, r, out=None):
        in_place.append(out is not None and np.shares_memory(out, chol))
        return restart(ab, chol, r, out)

    monkeypatch.setattr(network, "_restart", counted)
    rng = np.random.default_rng(23)
    n, fa, fb, g, fixed = _grid_network(rng, nz=60)
    chain_copy, chain_recycle = None, None
    n_free = set()
    for step in range(10):
        fixed = fixed.copy()
        if step % 4 != 3:  # every fourth network repeats the previous one
            flip = rng.integers(8, 40 + 20 * step, 10)
            fixed[flip] = ~fixed[flip]
            g = g.copy()
            near = (fa < 100) & (rng.random(fa.size) < 0.2)
            g[near] = 10.0 ** rng.uniform(-6.0, 0.0, near.sum())
        values = rng.normal(size=(n, 2))
        source = rng.normal(size=(n, 2))
        chain_copy = Network(n, fa, fb, g, fixed, chain_copy)
        chain_recycle = Network(n, fa, fb, g, fixed, chain_recycle, recycle=True)
        n_free.add(int((~chain_copy.fixed).sum()))
        np.testing.assert_array_equal(
            chain_recycle.solve(values, source), chain_copy.solve(values, source)
        )
        np.testing.assert_array_equal(
            chain_recycle.solve(values[:, 0]), chain_copy.solve(values[:, 0])
        )
        ref = _dense_solution(n, fa, fb, g, fixed, values[:, 1])
        np.testing.assert_allclose(
            chain_recycle.solve(values[:, 1]), ref, rtol=0, atol=1e-10 * np.abs(ref).max()
        )
    assert len(n_free) > 3
    assert sum(in_place) >= 4  # restarts inside the previous factor's memory happened
