"""Batched Levenberg-Marquardt of independent spectra against per-spectrum MINPACK fits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import least_squares

from dendritemr.fit import Component, Param, SeriesModel, lineshapes
from dendritemr.fit.batched import _Spectra, solve_local
from dendritemr.fit.covariance import parameter_errors
from dendritemr.fit.initial import starting_values
from dendritemr.fit.problem import SeriesProblem
from dendritemr.fit.series_fit import _local_errors

X = np.linspace(-40.0, 60.0, 301)


def _mixed_model(baseline: str = "constant") -> SeriesModel:
    """Every lineshape, eta free, a fixed area, a held phase and a bounded centre."""
    return SeriesModel(
        (
            Component("g", "gaussian", center=Param(-10.0, "free", -14.0, -6.0), width=5.0),
            Component(
                "v", "pseudo_voigt", center=12.0, width=4.0, eta=Param(0.6, "free", 0, 1), phase=0.1
            ),
            Component("l", center=31.0, width=-3.0, phase=Param(0.2, "free")),
            Component("k", center=45.0, width=2.0, area=Param(7.0, "fixed")),
        ),
        baseline=baseline,
    )


def _mixed_data(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, n)[:, None]
    y = (
        lineshapes.gaussian(X, 30.0 + 10.0 * t, -9.0, 6.0)
        + lineshapes.pseudo_voigt(X, 20.0, 11.0 + t, 5.0, 0.35, 0.1)
        + lineshapes.lorentzian(X, 15.0, 30.0, 3.5, 0.4 - 0.3 * t)
        + lineshapes.lorentzian(X, 7.0, 45.5, 2.5)
        + 0.2
    )
    return y + rng.normal(0.0, 0.02, y.shape)


def _problem(model, y):
    n = y.shape[0]
    problem = SeriesProblem(model, X, y, np.linspace(0.0, 1.0, n), np.full(n, 3.0))
    fixed = starting_values(model, X, y)
    return problem, fixed, problem.theta_from_values(fixed)


@pytest.mark.parametrize("baseline", ["none", "constant", "linear"])
def test_normal_matrix_and_gradient_equal_those_of_the_jacobian(baseline):
    """C (B B^T) C^T and C (B r) against J^T J and J^T r of SeriesProblem's Jacobian."""
    problem, fixed, theta = _problem(_mixed_model(baseline), _mixed_data(5, 1))
    rows = np.arange(5)
    p = theta.reshape(problem.n_local, 5).T
    r, normal, grad = _Spectra(problem, fixed).evaluate(p, rows)
    local, _ = problem.jacobian_blocks(theta, fixed)
    want_r = problem.residual(theta, fixed).reshape(5, -1)
    np.testing.assert_allclose(r, want_r, rtol=1e-12, atol=1e-12)
    want = local @ np.swapaxes(local, 1, 2)
    scale = np.sqrt(np.einsum("tii,tjj->tij", want, want))
    np.testing.assert_allclose(normal / scale, want / scale, atol=1e-12)
    np.testing.assert_allclose(grad, np.einsum("tmn,tn->tm", local, want_r), rtol=1e-9, atol=1e-9)


def test_same_minimum_as_minpack_spectrum_by_spectrum():
    """Each spectrum's parameters equal a per-spectrum MINPACK fit within 1e-7 (relative)."""
    model = _mixed_model()
    y = _mixed_data(6, 2)
    problem, fixed, theta0 = _problem(model, y)
    sol = solve_local(problem, theta0, fixed, xtol=1e-12, gtol=1e-12)
    assert sol.success
    got = sol.x.reshape(problem.n_local, 6).T
    start = theta0.reshape(problem.n_local, 6).T
    for t in range(6):
        one, one_fixed, _ = _problem(model, y[t : t + 1])
        one_fixed = {k: v[t : t + 1] for k, v in fixed.items()}

        def fun(p, one=one, one_fixed=one_fixed):
            return one.residual(p, one_fixed)

        def jac(p, one=one, one_fixed=one_fixed):
            return one.jacobian(p, one_fixed).toarray()

        ref = least_squares(
            fun,
            start[t],
            jac=jac,
            method="trf",
            bounds=(one.lower, one.upper),
            xtol=1e-15,
            ftol=1e-15,
            gtol=1e-15,
        )
        np.testing.assert_allclose(got[t], ref.x, rtol=1e-7, atol=1e-9)
        assert 0.5 * np.sum(one.residual(got[t], one_fixed) ** 2) <= ref.cost * (1 + 1e-12)


@pytest.mark.parametrize("chunk", [1, 4])
def test_blocking_does_not_change_the_result(chunk):
    problem, fixed, theta0 = _problem(_mixed_model(), _mixed_data(9, 3))
    whole = solve_local(problem, theta0, fixed, chunk=64)
    blocked = solve_local(problem, theta0, fixed, chunk=chunk)
    np.testing.assert_array_equal(blocked.x, whole.x)
    np.testing.assert_array_equal(blocked.normal, whole.normal)


def test_errors_from_normal_matrices_equal_parameter_errors():
    problem, fixed, theta0 = _problem(_mixed_model(), _mixed_data(4, 4))
    sol = solve_local(problem, theta0, fixed)
    sigma = np.array([0.02, 0.03, 0.02, 0.05])
    got = _local_errors(problem, sol.normal, sigma)
    want = parameter_errors(problem, sol.x, fixed, sigma)
    for k, v in want.items():
        np.testing.assert_allclose(got[k], v, rtol=1e-6, atol=1e-14, err_msg=k)


def test_global_parameters_refused():
    model = SeriesModel((Component("l", center=31.0, width=Param(3.0, "shared")),))
    problem, fixed, theta0 = _problem(model, _mixed_data(3, 5))
    with pytest.raises(ValueError, match="shared or drifting"):
        solve_local(problem, theta0, fixed)


def test_iteration_limit_reported():
    problem, fixed, theta0 = _problem(_mixed_model(), _mixed_data(3, 6))
    sol = solve_local(problem, theta0, fixed, max_iter=2)
    assert not sol.success and sol.status == 0
    assert sol.message == "3 spectra reached the iteration limit"
    assert solve_local(problem, theta0, fixed).success
