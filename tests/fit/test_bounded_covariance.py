"""Active-set covariance of the joint line problem (``JointProblem.held_at_bounds`` and
``covariance(theta, held)``): a line area bounded at 0 that the data push below 0 is held there,
and the other parameters' covariance is that of the problem without it, checked against the
dense pseudo-inverse of ``J^T J`` over the free columns (independent numpy). The Fisher
covariance of all parameters (the default) gives the electrode area a larger error (by 1.9 %
here): the overlapping bounded line would trade area with it if it could move."""

import numpy as np

from dendritemr.fit.block_lm import solve_block_arrow
from dendritemr.fit.drift import scaled_time
from dendritemr.fit.joint import JointProblem, Line, NucleusData, PhaseGroup, complex_lorentzian

NT = 4


def _problem(ys, sigma):
    x = np.concatenate([np.linspace(150.0, 350.0, 300), np.linspace(-30.0, 30.0, 80)])
    win = np.concatenate([np.zeros(300, int), np.ones(80, int)])
    data = [NucleusData(x, win, ys[k], np.full(NT, sigma)) for k in range(2)]
    lines = [
        Line("electrode", 248.0, (200.0, 300.0), width=5.0, phase_group="skin"),
        Line("micro", 4.5, (4.0, 45.0), relative_to="electrode", width=8.0, area_min=0.0),
        Line("llzo", 1.0, (-20.0, 20.0), width=3.0, width_per_nucleus=True),
    ]
    groups = [PhaseGroup("skin", -0.7, (-1.6, 0.2))]
    return JointProblem(data, lines, groups, scaled_time(np.arange(NT, dtype=float)))


def test_an_area_held_at_its_bound_gets_the_reduced_problems_covariance():
    rng = np.random.default_rng(17)
    x = np.concatenate([np.linspace(150.0, 350.0, 300), np.linspace(-30.0, 30.0, 80)])
    ys = []
    for _k in range(2):
        y = np.zeros((NT, x.size), complex)
        for t in range(NT):
            y[t] += 100.0 * np.exp(-0.7854j) * complex_lorentzian(x - 248.0, 5.0)
            # a negative line where the bounded one sits: its unbounded area would be < 0
            y[t] -= 4.0 * complex_lorentzian(x - 252.5, 8.0)
            y[t] += 300.0 * complex_lorentzian(x - 1.0, 3.0)
        ys.append(y + rng.normal(0, 0.05, y.shape) + 1j * rng.normal(0, 0.05, y.shape))
    p = _problem(ys, 0.05)
    theta = p.initial_theta(
        {"center": {"electrode": 248.0, "micro": 4.5, "llzo": 1.0}, "psi": {"skin": -0.7},
         "area": np.array([[[100, 1, 300]] * NT] * 2, float)}
    )  # fmt: skip
    sol = solve_block_arrow(p, theta)
    held = p.held_at_bounds(sol.x)
    micro = [p.local_index("area", k, 1) for k in range(2)]
    for k in range(2):
        sl = slice(p.blocks[micro[k]].start, p.blocks[micro[k]].start + NT)
        assert np.all(sol.x[sl] == 0.0) and np.all(held[sl])
    assert held.sum() == 2 * NT  # nothing else is at a bound
    cov = p.covariance(sol.x, held)
    fisher = p.covariance(sol.x)
    # dense reference: (J^T J)^+ over the free columns, column-scaled (the held line's centre
    # and width have zero columns at zero area: no information, zero variance, as the
    # block-arrow covariance's pseudo-inverse gives them)
    jac = p.jacobian(sol.x).toarray()[:, ~held]
    d = np.linalg.norm(jac, axis=0)
    d[d == 0] = 1.0
    ref = np.full((p.n_theta, p.n_theta), 0.0)
    js = jac / d
    ref[np.ix_(~held, ~held)] = np.linalg.pinv(js.T @ js, hermitian=True) / np.outer(d, d)
    el = [p.local_index("area", k, 0) for k in range(2)]
    for k in range(2):
        i = p.blocks[el[k]].start  # theta index of the electrode area at time 0
        assert np.isclose(cov.local[0, el[k], el[k]], ref[i, i], rtol=1e-6)
        assert cov.local[0, micro[k], micro[k]] <= 1e-12 * cov.local[0, el[k], el[k]]
        # the Fisher error of the electrode area is inflated by the overlapping line's freedom
        # (a marginal variance is never below the conditional one: 1.019 here)
        ratio = np.sqrt(fisher.local[0, el[k], el[k]] / cov.local[0, el[k], el[k]])
        assert 1.01 < ratio < 1.05, ratio
    g = p.global_slice("center", line=0)
    gi = p.n_local * NT + g.start
    assert np.isclose(cov.glob[g, g][0, 0], ref[gi, gi], rtol=1e-6)
