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


def test_normal_blocks_with_the_joint_problems_support_equal_the_dense_products():
    """Two nuclei: the local rows of each act on its own points only (local_support); the
    blocked products skip the zeros and agree with the dense ones."""
    from dendritemr.fit.drift import scaled_time
    from dendritemr.fit.joint import JointProblem, Line, NucleusData, PhaseGroup

    rng = np.random.default_rng(13)
    nt = 4
    data = []
    for k, npts in enumerate((90, 50)):
        x = np.linspace(150.0, 350.0, npts)
        win = (x > 280).astype(int)
        y = rng.normal(size=(nt, npts)) + 1j * rng.normal(size=(nt, npts))
        data.append(NucleusData(x, win, y, np.full(nt, 0.5 + k), period=800.0))
    lines = [
        Line("electrode", 248.0, (200.0, 300.0), width=5.0, phase_group="skin"),
        Line("micro", 18.0, (4.0, 45.0), relative_to="electrode", width=8.0),
    ]
    p = JointProblem(
        data,
        lines,
        [PhaseGroup("skin", -0.7, (-1.6, 0.2))],
        scaled_time(np.arange(nt, dtype=float)),
    )
    theta = p.initial_theta({})
    theta[: p.n_local * nt] += rng.normal(0, 1.0, p.n_local * nt)
    local, glob = p.jacobian_blocks(theta)
    rr = p.residual(theta).reshape(nt, -1)
    support = p.local_support
    assert len(support) == 2
    for rows, cols in support:  # zero outside the declared support
        outside = np.ones(local.shape[2], bool)
        outside[cols] = False
        assert not np.any(local[:, rows][:, :, outside])
    dense = normal_blocks(local, glob, rr)
    blocked = normal_blocks(local, glob, rr, support)
    for d, b in zip(dense, blocked, strict=True):
        np.testing.assert_allclose(b, d, rtol=1e-12, atol=1e-12 * np.abs(d).max())
    # a support that does not partition the rows falls back to the dense products
    partial = normal_blocks(local, glob, rr, support[:1])
    for d, b in zip(dense, partial, strict=True):
        np.testing.assert_array_equal(b, d)
