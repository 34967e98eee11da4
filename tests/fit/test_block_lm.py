"""block_lm: the batched normal-matrix blocks equal the dense J^T J and J^T r."""

import numpy as np

from dendritemr.fit.block_lm import normal_blocks


def _dense(local, glob):
    """Dense Jacobian (rows: residuals time-major; columns: local blocks b*nt+t, then globals)."""
    nt, m, n = local.shape
    g = glob.shape[1]
    j = np.zeros((nt * n, m * nt + g))
    for t in range(nt):
        for b in range(m):
            j[t * n : (t + 1) * n, b * nt + t] = local[t, b]
        j[t * n : (t + 1) * n, m * nt :] = glob[t].T
    return j


def test_normal_blocks_equal_dense_products():
    rng = np.random.default_rng(11)
    nt, m, g, n = 5, 3, 4, 17
    local = rng.normal(size=(nt, m, n))
    glob = rng.normal(size=(nt, g, n))
    rr = rng.normal(size=(nt, n))
    a, c, s, gl, gg = normal_blocks(local, glob, rr)
    j = _dense(local, glob)
    jtj = j.T @ j
    jtr = j.T @ rr.ravel()
    for t in range(nt):
        rows = [b * nt + t for b in range(m)]
        np.testing.assert_allclose(a[t], jtj[np.ix_(rows, rows)], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(c[t], jtj[rows, m * nt :], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gl[t], jtr[rows], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s, jtj[m * nt :, m * nt :], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gg, jtr[m * nt :], rtol=1e-12, atol=1e-12)


def test_normal_blocks_without_globals():
    rng = np.random.default_rng(12)
    local = rng.normal(size=(4, 2, 9))
    rr = rng.normal(size=(4, 9))
    a, c, s, gl, gg = normal_blocks(local, np.zeros((4, 0, 9)), rr)
    assert c.shape == (4, 2, 0) and s.shape == (0, 0) and gg.shape == (0,)
    np.testing.assert_allclose(a[1], local[1] @ local[1].T, rtol=1e-12)
    np.testing.assert_allclose(gl[2], local[2] @ rr[2], rtol=1e-12)
