"""Time bases for parameters that are shared by, or drift smoothly across, a spectrum series.

A per-spectrum value is ``values = basis @ coefficients`` with ``basis`` of shape
``(n_time, n_coef)``. All bases are non-negative and sum to one in every row, so bounds on the
coefficients are bounds on every value.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import BSpline


def scaled_time(hours: np.ndarray) -> np.ndarray:
    """Map acquisition times (h) onto [0, 1]; spectrum index is used where times are unknown."""
    t = np.asarray(hours, dtype=float)
    if t.size == 0 or not np.all(np.isfinite(t)):
        t = np.arange(t.size, dtype=float)
    span = t.max() - t.min() if t.size else 0.0
    return (t - t.min()) / span if span > 0 else np.zeros_like(t)


def time_basis(mode: str, tau: np.ndarray, n_coef: int = 4) -> np.ndarray:
    """Basis matrix for a global parameter mode.

    Parameters
    ----------
    mode : ``"shared"`` (one column of ones), ``"linear"`` (values at first and last time)
        or ``"smooth"`` (clamped cubic B-spline with ``n_coef`` coefficients).
    tau : scaled times in [0, 1], shape ``(n_time,)`` (see :func:`scaled_time`).
    n_coef : number of B-spline coefficients for ``"smooth"``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_time, k)``; ``k = 1`` when the series has a single distinct time.
    """
    tau = np.asarray(tau, dtype=float)
    if mode == "shared" or tau.size < 2 or np.ptp(tau) == 0.0:
        return np.ones((tau.size, 1))
    if mode == "linear":
        return np.column_stack([1.0 - tau, tau])
    if mode == "smooth":
        degree = 3
        inner = np.linspace(0.0, 1.0, n_coef - degree + 1)
        knots = np.concatenate([np.zeros(degree), inner, np.ones(degree)])
        return BSpline.design_matrix(np.clip(tau, 0.0, 1.0), knots, degree).toarray()
    raise ValueError(f"no time basis for mode {mode!r}")
