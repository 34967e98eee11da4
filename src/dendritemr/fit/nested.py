"""Does a spectrum fitted alone agree with the same spectrum fitted in its series?

A spectrum fitted alone (every line shape, phase and baseline its own) and the same spectrum
inside a series fit (shapes and phases shared with, or smooth over, the other spectra) are two
estimates from the SAME data. Their difference is therefore not judged by the two standard
errors added in quadrature (``hypot``), which assumes independent estimates. To first order in
the noise, with ``e`` the noise of the weighted residual rows (unit variance, white)::

    delta a_single = g_single . e        delta a_series = g_series . e_t + (other spectra)

where ``g`` is the estimate's influence vector on the rows of spectrum ``t`` (:func:`influence`),
so ``Var(a_single - a_series) = Var(a_single) + Var(a_series) - 2 g_single . g_series``
(:func:`difference_se`). When the series model restricted to spectrum ``t`` is a special case
of the model fitted alone (the same lines: the series only ties or smooths parameters the single
fit has free) the cross term equals ``Var(a_series)`` and the variance of the difference is
``Var(a_single) - Var(a_series)`` (Hausman, Econometrica 46, 1251 (1978), lemma 2.1: an
efficient estimator is uncorrelated with its difference from any other consistent one;
:func:`nested_difference_se`). It is SMALLER than ``hypot``: adding the errors in quadrature
passes too many differences (``tests/fit/test_single_vs_series.py``, four spectra sharing two
overlapping lines' shapes: z standard deviation 0.88 with ``hypot``, 1.04 with this error; |z| <
2 in 97.7 % and 94.7 % of 300 draws, nominal 95.4 %). How much smaller depends on how much the
series adds: on the real TEGDME 7Li series, where the series' error of the first spectrum's
electrode area is 0.27 of the error alone, by 5-7 % (exact / nested).

A difference beyond ~2 of these standard errors rejects the series' restrictions for that
spectrum (Hausman's specification test): the spectrum alone wants other shapes than the
series shares, a model difference that no standard error of either fit covers.

Model error (Birge ratio, :func:`dendritemr.quant.decompose.birge_scale`): the residual misfit
is treated as extra white noise of the same variance in both fits (they fit the same data);
its level is taken from the fit alone, the less restricted model (the convention of the F and
Hausman tests), so both variances are scaled by ``scale_single ** 2``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["difference_se", "influence", "nested_difference_se"]


def influence(problem, theta: np.ndarray, t: int, weights: np.ndarray):
    """A weighted sum of spectrum ``t``'s line areas, its Cramer-Rao variance and its influence.

    Parameters
    ----------
    problem : :class:`dendritemr.fit.joint.JointProblem` (a single spectrum: ``n_time == 1``).
    theta : its fitted parameters.
    t : the time index of the spectrum.
    weights : ``(n_nuclei, n_lines)``: the sum is ``sum_kl weights[k, l] * area[k, t, l]``
        (e.g. 1 for the lines of a group in one nucleus).

    Returns
    -------
    value : float, signal x ppm.
    variance : float, (signal x ppm)^2, from ``(J^T J)^-1`` of the weighted Jacobian of the
        parameters not held at their bounds (the active set, as ``decompose``'s errors; no
        Birge ratio).
    g : ``(problem.n_ppm,)``: ``J_t C w``, the first-order change of the estimate per unit of
        spectrum ``t``'s weighted data rows (real parts then imaginary parts per nucleus, the
        layout of :meth:`JointProblem.residual`), so that two estimates from the same spectrum
        have the covariance ``g_1 . g_2``.
    """
    weights = np.asarray(weights, dtype=float)
    nk, nl = len(problem.nuclei), len(problem.lines)
    if weights.shape != (nk, nl):
        raise ValueError(f"weights must be (nuclei, lines) = {(nk, nl)}, not {weights.shape}")
    w = np.zeros(problem.n_local)
    for k in range(nk):
        for i in range(nl):
            if weights[k, i]:
                w[problem.local_index("area", k, i)] = weights[k, i]
    # the parameters held at their bounds do not respond to the noise (to first order): the
    # active-set covariance, as the reported errors (JointProblem.covariance)
    blocks = problem.jacobian_blocks(theta)
    local, glob = problem.jacobian_free(theta, problem.held_at_bounds(theta, blocks), blocks)
    cov = problem.covariance(theta, blocks=(local, glob))
    c_loc = cov.local[t] @ w  # (m,)
    c_glob = cov.cross[t].T @ w  # (g,)
    g = local[t].T @ c_loc + glob[t].T @ c_glob
    value = float(np.sum(weights * problem.values(theta)["area"][:, t, :]))
    return value, float(w @ c_loc), np.asarray(g, dtype=float)


def difference_se(
    var_single: float,
    g_single: np.ndarray,
    var_series: float,
    g_series: np.ndarray,
    scale_single: float = 1.0,
) -> float:
    """Standard error of ``a_single - a_series`` for two estimates from the same spectrum.

    ``var_*`` and ``g_*`` from :func:`influence` (Cramer-Rao variances, influence vectors on the
    same rows: the same spectrum, fitted windows and noise); ``scale_single`` the Birge ratio of
    the fit alone (module docstring). Raises ``ValueError`` when the rows differ.
    """
    g1, g2 = np.asarray(g_single, dtype=float), np.asarray(g_series, dtype=float)
    if g1.shape != g2.shape:
        raise ValueError(f"influence vectors on different rows: {g1.shape} vs {g2.shape}")
    var = var_single + var_series - 2.0 * float(g1 @ g2)
    return float(scale_single * np.sqrt(max(var, 0.0)))


def nested_difference_se(
    err_single,
    err_series,
    scale_single=1.0,
    scale_series=1.0,
):
    """Standard error of ``a_single - a_series`` when the series' model of the spectrum is a
    restriction of the model fitted alone (Hausman 1978): ``scale_single * sqrt(v_single -
    v_series)`` with ``v = (err / scale) ** 2`` the Cramer-Rao variances behind the reported
    (Birge-scaled) errors. Arrays broadcast. NaN where ``v_series >= v_single`` (then the series
    is not a restriction of the single fit: use :func:`difference_se`)."""
    s1 = np.asarray(scale_single, dtype=float)
    v1 = (np.asarray(err_single, dtype=float) / s1) ** 2
    v2 = (np.asarray(err_series, dtype=float) / np.asarray(scale_series, dtype=float)) ** 2
    out = np.where(v1 > v2, s1 * np.sqrt(np.abs(v1 - v2)), np.nan)
    return out if out.ndim else float(out)
