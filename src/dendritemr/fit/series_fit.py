"""Deconvolution of a whole spectrum series as one least-squares problem.

:func:`fit_series` fits a :class:`~dendritemr.fit.model.SeriesModel` to every spectrum of a
``(time, ppm)`` series at once with :func:`scipy.optimize.least_squares` (trust-region
reflective, analytic sparse Jacobian from :mod:`dendritemr.fit.problem`; models with only
per-spectrum parameters use the batched Levenberg-Marquardt of :mod:`dendritemr.fit.batched`),
and returns areas,
positions, widths, phases, their standard errors, fitted curves and residuals as a Dataset.

Standard errors come from the covariance ``(J^T W J)^-1`` at the optimum
(:mod:`dendritemr.fit.covariance`), with ``W = diag(1 / sigma_t^2)``: ``sigma_t`` is the known
noise standard deviation when ``noise_sigma`` is given, otherwise the residual standard
deviation of spectrum ``t``, ``sqrt(RSS_t / dof_t)`` with ``dof_t = n_ppm - m - g / n_time``
(``m`` local and ``g`` global fitted parameters).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.optimize import least_squares

from dendritemr.errors import ProcessingError
from dendritemr.fit.batched import solve_local
from dendritemr.fit.covariance import block_arrow_covariance, parameter_errors
from dendritemr.fit.drift import scaled_time
from dendritemr.fit.initial import starting_values
from dendritemr.fit.model import PARAM_NAMES, SeriesModel
from dendritemr.fit.precondition import BlockPreconditioner
from dendritemr.fit.problem import SeriesProblem
from dendritemr.model import add_step, require_finite

_UNITS = {"area": "signal*ppm", "center": "ppm", "width": "ppm", "phase": "rad", "eta": "1"}
_DENSE_LIMIT = 4_000_000  # Jacobian entries below which the dense 'exact' solver is used


def wrap_phase(phase: np.ndarray) -> np.ndarray:
    """Phases (rad) wrapped to (-pi, pi]; the lines depend on phase modulo 2 pi only."""
    return -np.remainder(np.pi - np.asarray(phase, dtype=float), 2.0 * np.pi) + np.pi


def _noise_weights(noise_sigma, n_time: int) -> np.ndarray:
    if noise_sigma is None:
        return np.ones(n_time)
    sigma = np.broadcast_to(np.asarray(noise_sigma, dtype=float), (n_time,))
    if np.any(~np.isfinite(sigma)) or np.any(sigma <= 0):
        raise ProcessingError("noise_sigma must be positive and finite")
    return 1.0 / sigma


def _solve(problem: SeriesProblem, theta0: np.ndarray, fixed, tol: float, max_nfev):
    """Trust-region fit in preconditioned variables; the preconditioner is refreshed at the
    first stage's solution before a final polishing stage."""
    dense = problem.n_time * problem.n_ppm * problem.n_theta <= _DENSE_LIMIT
    theta, nfev, sol = theta0, 0, None
    for stage_tol in (max(tol, 1e-6), tol):
        pre = BlockPreconditioner(problem, theta, fixed)

        def jac(z, pre=pre):
            j = pre.jacobian(z)
            return j.toarray() if dense else j

        sol = least_squares(
            pre.residual,
            np.zeros(problem.n_theta),
            jac=jac,
            bounds=pre.bounds(),
            method="trf",
            ftol=stage_tol,
            xtol=stage_tol,
            gtol=stage_tol,
            max_nfev=max_nfev,
            tr_solver="exact" if dense else "lsmr",
            tr_options={} if dense else {"atol": 1e-6, "btol": 1e-6},
        )
        theta, nfev = pre.theta(sol.x), nfev + sol.nfev
    return theta, nfev, sol


def _local_errors(problem: SeriesProblem, normal: np.ndarray, sigma_t: np.ndarray) -> dict:
    """Standard errors of independent spectra from the solver's normal matrices ``J^T J``.

    Same covariance as :func:`parameter_errors` (:func:`block_arrow_covariance`), fed with an
    ``m x m`` square root ``R`` (``R R^T = J^T J``) of each normal matrix in place of the
    ``m x n_ppm`` Jacobian, so the Jacobian is not evaluated again at the optimum.
    """
    nt, m = problem.n_time, problem.n_local
    eigval, eigvec = np.linalg.eigh(normal)
    root = eigvec * np.sqrt(np.maximum(eigval, 0.0))[:, None, :]
    rescale = (1.0 / np.asarray(sigma_t, dtype=float)) / problem.weight
    cov = block_arrow_covariance(root * rescale[:, None, None], np.zeros((nt, 0, m)))
    sd = np.sqrt(np.maximum(np.diagonal(cov.local, axis1=1, axis2=2), 0.0))  # (t, m)
    ncomp = len(problem.model.components)
    err = {n: np.zeros((nt, ncomp)) for n in PARAM_NAMES}
    err["baseline"] = np.zeros((nt, sum(1 for b in problem.blocks if b.comp < 0)))
    for i, b in enumerate(problem.blocks):  # all local, in layout order
        if b.comp < 0:
            err["baseline"][:, int(b.name[-1])] = sd[:, i]
        else:
            err[b.name][:, b.comp] = sd[:, i]
    return err


def _axis_order(ppm: np.ndarray) -> tuple[slice | np.ndarray, slice | np.ndarray]:
    """Index that sorts the ppm axis ascending and its inverse; slices (views, no copies of
    the outputs) when the axis is already ascending or descending."""
    order = np.argsort(ppm, kind="stable")
    n = ppm.size
    if np.array_equal(order, np.arange(n)):
        return slice(None), slice(None)
    if np.array_equal(order, np.arange(n)[::-1]):
        return slice(None, None, -1), slice(None, None, -1)
    return order, np.argsort(order)


def _check_input(spectra: xr.DataArray) -> None:
    if not isinstance(spectra, xr.DataArray) or spectra.dims != ("time", "ppm"):
        dims = getattr(spectra, "dims", None)
        raise ProcessingError(f"fit_series needs a (time, ppm) DataArray, got dims {dims}")
    require_finite(spectra, "spectra")


def fit_series(
    spectra: xr.DataArray,
    model: SeriesModel,
    *,
    noise_sigma: float | np.ndarray | None = None,
    initial: xr.Dataset | None = None,
    keep_components: bool = True,
    tol: float = 1e-10,
    max_nfev: int | None = None,
) -> xr.Dataset:
    """Fit ``model`` to every spectrum of ``spectra`` as one vectorised least-squares problem.

    Parameters
    ----------
    spectra : ``(time, ppm)`` series (real part used); ppm ascending or descending.
    model : lines, their parameter treatment and the baseline.
    noise_sigma : known noise standard deviation (signal units), scalar or one per spectrum.
        When given, the fit is weighted by it and the standard errors use it; otherwise the fit
        is unweighted and errors use each spectrum's residual standard deviation.
    initial : a previous result of this function to warm start from (see
        :func:`dendritemr.fit.initial.starting_values`).
    keep_components : also return the individual line curves ``(time, component, ppm)``.
    tol : ``ftol``, ``xtol`` and ``gtol`` of :func:`scipy.optimize.least_squares` (``xtol`` and
        ``gtol`` of :func:`dendritemr.fit.batched.solve_local` for models without shared or
        drifting parameters).
    max_nfev : maximum number of residual evaluations (``None``: scipy's default); for the
        batched solver the maximum number of accepted steps per spectrum (``None``: 200).

    Returns
    -------
    xarray.Dataset
        ``area``, ``center``, ``width``, ``phase``, ``eta`` ``(time, component)`` and their
        ``*_err`` standard errors; ``baseline_coef`` ``(time, baseline_term)`` and its error;
        ``fit``, ``residual`` and ``baseline`` ``(time, ppm)`` on the input's ppm order;
        ``components`` ``(time, component, ppm)``; ``rss``, ``dof``, ``noise_sigma_used`` and
        ``redchi`` ``(time,)`` (``redchi = RSS / (dof sigma^2)`` with ``sigma = 1`` when no
        ``noise_sigma`` is given, as in lmfit). ``attrs``: the input's metadata, solver status and
        a ``"fit_series"`` history step.
    """
    _check_input(spectra)
    ppm = np.asarray(spectra["ppm"].values, dtype=float)
    order, inv = _axis_order(ppm)
    x = ppm[order]
    y = np.ascontiguousarray(np.real(np.asarray(spectra.values))[:, order], dtype=float)
    n_time, n_ppm = y.shape
    hours = spectra["hours"].values if "hours" in spectra.coords else np.arange(n_time)
    weight = _noise_weights(noise_sigma, n_time)
    problem = SeriesProblem(model, x, y, scaled_time(hours), weight)
    fixed = starting_values(model, x, y, initial)
    theta0 = problem.theta_from_values(fixed)
    if problem.n_theta >= n_time * n_ppm:
        raise ProcessingError(f"{problem.n_theta} parameters for {n_time * n_ppm} data points")
    if problem.n_global == 0:  # independent spectra: batched Levenberg-Marquardt
        sol = solve_local(problem, theta0, fixed, xtol=tol, gtol=tol, max_iter=max_nfev or 200)
        theta, nfev = sol.x, sol.nfev
    else:
        theta, nfev, sol = _solve(problem, theta0, fixed, tol, max_nfev)

    vals = problem.values(theta, fixed)
    vals["phase"] = wrap_phase(vals["phase"])
    curves = problem.curves(vals)
    base = problem.baseline(vals)
    fitted = curves.sum(axis=1) + base
    resid = y - fitted
    rss = np.sum(resid**2, axis=1)
    dof = n_ppm - problem.n_local - problem.n_global / n_time
    if noise_sigma is None:  # residual scatter; floored so that exact (noiseless) fits work
        floor = 1e-12 * max(float(np.max(np.abs(y))), np.finfo(float).tiny)
        sigma_t = np.maximum(np.sqrt(rss / dof), floor)
    else:
        sigma_t = 1.0 / weight
    if problem.n_global == 0:
        err = _local_errors(problem, sol.normal, sigma_t)
    else:
        err = parameter_errors(problem, theta, fixed, sigma_t)
    redchi = rss * weight**2 / dof

    time_coords = {k: v for k, v in spectra.coords.items() if v.dims == ("time",)}
    coords = {**time_coords, "component": model.names, "ppm": spectra["ppm"]}
    tc, tp = ("time", "component"), ("time", "ppm")
    data = {}
    for name in PARAM_NAMES:
        data[name] = (tc, vals[name], {"units": _UNITS[name]})
        data[f"{name}_err"] = (tc, err[name], {"units": _UNITS[name], "long_name": "std error"})
    data["baseline_coef"] = (
        ("time", "baseline_term"),
        vals["baseline"],
        {"long_name": "baseline coefficients of (scaled ppm)^k"},
    )
    data["baseline_coef_err"] = (("time", "baseline_term"), err["baseline"])
    data["fit"] = (tp, fitted[:, inv])
    data["residual"] = (tp, resid[:, inv], {"long_name": "data - fit"})
    data["baseline"] = (tp, base[:, inv])
    if keep_components:
        data["components"] = (("time", "component", "ppm"), curves[:, :, inv])
    data["rss"] = ("time", rss)
    data["dof"] = ("time", np.full(n_time, dof))
    data["noise_sigma_used"] = ("time", sigma_t, {"long_name": "sigma behind the errors"})
    data["redchi"] = ("time", redchi)
    ds = xr.Dataset(data, coords=coords, attrs=dict(spectra.attrs))
    ds.attrs.update(
        fit_success=int(sol.success),
        fit_message=str(sol.message),
        fit_nfev=nfev,
        fit_status=int(sol.status),
    )
    add_step(
        ds,
        {
            "step": "fit_series",
            "model": model.to_dict(),
            "noise_sigma": None if noise_sigma is None else np.ravel(noise_sigma).tolist(),
            "warm_start": initial is not None,
            "tol": tol,
            "solver": "batched Levenberg-Marquardt"
            if problem.n_global == 0
            else "scipy.optimize.least_squares(trf)",
            "nfev": nfev,
            "status": int(sol.status),
        },
    )
    return ds
