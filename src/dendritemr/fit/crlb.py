"""Cramer-Rao lower bounds for line parameters and for quantities derived from them.

For spectra with white Gaussian noise of standard deviation ``sigma`` the Fisher information of
the parameters ``theta`` of a model ``f(x; theta)`` is ``I = J^T J / sigma^2`` with
``J = d f / d theta`` (analytic lineshape partials), and every unbiased estimator has
covariance ``>= I^-1`` (Kay, *Fundamentals of Statistical Signal Processing: Estimation
Theory*, 1993, ch. 3). A derived quantity ``q = g(theta)`` has the bound
``grad(g)^T I^-1 grad(g)`` (delta method / transformation of parameters, Kay sect. 3.8).

The 6Li atom fraction of Li metal (``docs/science.md`` sect. 3) follows from the integrated
metal areas ``A6``, ``A7`` of the two isotopes' spectra: ``A_k = C_k N_k w_k ...`` with the
receptivity weights ``w_k = gamma_k^3 I_k (I_k + 1)`` relative to 7Li and an instrument ratio
``K = C6 / C7`` calibrated on a reference, so ``N6 / N7 = (A6 / w6) / (K A7 / w7)`` and
``x6 = N6 / (N6 + N7)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from dendritemr.fit.covariance import parameter_errors
from dendritemr.fit.drift import scaled_time
from dendritemr.fit.model import BASELINES, PARAM_NAMES, SeriesModel
from dendritemr.fit.problem import SeriesProblem

# gyromagnetic ratios, 1e7 rad s-1 T-1 (IUPAC 2001), and spins
_GAMMA6, _GAMMA7 = 3.9371709, 10.3977013
_I6, _I7 = 1.0, 1.5
WEIGHT6 = (_GAMMA6 / _GAMMA7) ** 3 * (_I6 * (_I6 + 1)) / (_I7 * (_I7 + 1))
"""Signal per 6Li nucleus relative to 7Li at the same field, gamma^3 I(I+1) (= 0.02896)."""


def fisher_information(jac: np.ndarray, sigma: float | np.ndarray) -> np.ndarray:
    """Fisher information ``J^T J / sigma^2`` of a model with white Gaussian noise.

    Parameters
    ----------
    jac : ``(..., n_points, n_params)`` model derivatives (signal per parameter unit).
    sigma : noise standard deviation, signal units; scalar or one per point ``(..., n_points)``.

    Returns
    -------
    numpy.ndarray
        ``(..., n_params, n_params)``, in 1 / parameter units squared.
    """
    jw = np.asarray(jac, dtype=float) / np.asarray(sigma, dtype=float)[..., None]
    return np.swapaxes(jw, -1, -2) @ jw


def crlb_covariance(jac: np.ndarray, sigma: float | np.ndarray) -> np.ndarray:
    """Cramer-Rao bound on the parameter covariance, the (pseudo-)inverse Fisher information.

    Parameters are those of :func:`fisher_information`; returns ``(..., n_params, n_params)``.
    """
    return np.linalg.pinv(fisher_information(jac, sigma), hermitian=True)


def crlb_of_function(grad: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Variance bound of a derived quantity ``g(theta)`` by the delta method.

    Parameters
    ----------
    grad : ``(..., n_params)`` gradient of ``g`` at the parameter values.
    cov : ``(..., n_params, n_params)`` parameter covariance (e.g. :func:`crlb_covariance`).

    Returns
    -------
    numpy.ndarray
        ``grad^T cov grad``, shape ``(...)``, in units of ``g`` squared.
    """
    grad = np.asarray(grad, dtype=float)
    return np.einsum("...i,...ij,...j->...", grad, np.asarray(cov, dtype=float), grad)


def series_crlb(
    model: SeriesModel,
    ppm: np.ndarray,
    truth: Mapping[str, np.ndarray],
    sigma: float | np.ndarray,
    hours: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Cramer-Rao standard deviations of every line parameter of a series model.

    The bound is evaluated with the same parameter treatment (fixed / shared / free / drift)
    and baseline as the fit, so it is the bound for that model, not for a simpler one.

    Parameters
    ----------
    model : the component model the data would be fitted with.
    ppm : ppm axis, shape ``(n_ppm,)``.
    truth : true values ``{name: (n_time, n_comp)}`` (or broadcastable) for ``area``,
        ``center``, ``width`` and optionally ``phase``, ``eta`` (defaults: the model's values),
        and optionally ``"baseline"`` ``(n_time, n_baseline)`` (default 0).
    sigma : white-noise standard deviation, signal units; scalar or one per spectrum.
    hours : acquisition times (h), needed only for drifting parameters.

    Returns
    -------
    dict
        ``{name: (n_time, n_comp)}`` bound standard deviations in the parameter's units
        (0 where fixed) and ``"baseline"``.
    """
    n_time = max(np.shape(np.asarray(truth["area"]))[0] if np.ndim(truth["area"]) else 1, 1)
    ncomp = len(model.components)
    x = np.sort(np.asarray(ppm, dtype=float))
    vals = {}
    for c_name in PARAM_NAMES:
        default = np.array([c.param(c_name).value or 0.0 for c in model.components])
        vals[c_name] = np.broadcast_to(
            np.asarray(truth.get(c_name, default), dtype=float), (n_time, ncomp)
        ).copy()
    vals["baseline"] = np.broadcast_to(
        np.asarray(truth.get("baseline", 0.0), dtype=float),
        (n_time, BASELINES[model.baseline]),
    ).copy()
    sigma_t = np.broadcast_to(np.asarray(sigma, dtype=float), (n_time,))
    tau = scaled_time(np.arange(n_time) if hours is None else hours)
    problem = SeriesProblem(model, x, np.zeros((n_time, x.size)), tau, 1.0 / sigma_t)
    theta = problem.theta_from_values(vals)
    return parameter_errors(problem, theta, vals, sigma_t)


def x6_from_areas(
    a6: np.ndarray | float,
    a7: np.ndarray | float,
    k_instrument: float,
    weight6: float = WEIGHT6,
    weight7: float = 1.0,
    *,
    a6_err: np.ndarray | float = 0.0,
    a7_err: np.ndarray | float = 0.0,
    k_err: float = 0.0,
    cov: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """6Li atom fraction of a metal line from its 6Li and 7Li areas, with its standard error.

    ``r = N6 / N7 = (a6 / weight6) / (k_instrument * a7 / weight7)``, ``x6 = r / (1 + r)``,
    computed as ``n6 / (n6 + n7)`` so that it stays defined while ``n6 + n7 > 0`` (an area
    scattering about zero gives an x6 just outside [0, 1] with its error, not a gap).
    The error combines both spectra's area errors, their covariance (a joint fit of both
    spectra shares centres and widths) and the calibration error of ``K`` by the delta method::

        sigma_x6 = x6 (1 - x6) sqrt((a6_err/a6)^2 + (a7_err/a7)^2 - 2 cov/(a6 a7) + (k_err/K)^2)

    The one definition of x6 in the package (:func:`dendritemr.quant.atoms.x6_series` calls it
    with the signal per atom of each nucleus as the weights).

    Parameters
    ----------
    a6, a7 : integrated metal areas in the 6Li and 7Li spectra (any common area unit per
        spectrum; ``K`` absorbs the scale).
    k_instrument : instrument ratio ``K = (A6/A7)_ref / (w6 N6 / (w7 N7))_ref`` calibrated on a
        reference of known composition (1 for identical probe efficiency, gain and scans).
    weight6, weight7 : receptivity per nucleus, gamma^3 I(I+1) relative to 7Li.
    a6_err, a7_err : standard errors of ``a6`` and ``a7`` (e.g. from :func:`fit_series` or the
        CRLB).
    k_err : standard error of ``k_instrument``.
    cov : covariance of ``a6`` and ``a7``.

    Returns
    -------
    x6, x6_err : arrays of the broadcast shape (dimensionless atom fraction).
    """
    a6 = np.asarray(a6, dtype=float)
    a7 = np.asarray(a7, dtype=float)
    # atoms (up to one common factor) n6 = a6 / (K w6), n7 = a7 / w7 and x6 = n6 / (n6 + n7):
    # the same number as r / (1 + r) for positive areas, and defined (with its error) as long
    # as n6 + n7 > 0, also when one isotope's area scatters about zero.
    g6, g7 = 1.0 / (k_instrument * weight6), 1.0 / weight7
    n6, n7 = a6 * g6, a7 * g7
    with np.errstate(divide="ignore", invalid="ignore"):
        n = n6 + n7
        x6 = n6 / n
        var = (
            (n7 * g6 * np.asarray(a6_err)) ** 2
            + (n6 * g7 * np.asarray(a7_err)) ** 2
            - 2.0 * n6 * n7 * g6 * g7 * np.asarray(cov)
        ) / n**4
        var = var + (x6 * (1.0 - x6) * k_err / k_instrument) ** 2
    return x6, np.sqrt(np.maximum(var, 0.0))
