"""Route attribution: interface fraction f_I of the dendritic metal from its 6Li fraction.

Two end-member mixing (``docs/science.md`` section 1)::

    x6_metal(t) = f_I(t) X_I(t) + (1 - f_I(t)) X_B(t)

``X_I`` and ``X_B`` are the *effective* x6 of the interface-born and bulk-born metal present at
t. Each population was formed over the history at the x6 of its source, which drifts in time:

- interface source ``x6_I(t')``: Li+ arriving at the interface from the enriched electrode side,
  i.e. the plating electrode's x6 (the pipeline uses the study's ``x6_electrode``: the measured
  electrode line shows only the skin-depth surface layer, which exchanges with the LLZO);
- bulk source ``x6_L(t')``: the local LLZO where bulk Li0 forms (the measured electrolyte line,
  else the study's ``x6_electrolyte``: deep LLZO keeps its ratio for tens of hours);

and a particle keeps exchanging isotopes with the LLZO around it, so its x6 relaxes toward
``x6_L(t)`` at rate ``kappa`` (1/h; 0: no exchange)::

    X_P(t) = x6_L(t) + sum_k w_k (x6_P(t_k) - x6_L(t)) exp(-kappa (t - t_k)) / sum_k w_k

with weights ``w_k`` the growth of the total metal between time points (the first point: its
amount), the same for both populations (an approximation: the routes' own growth histories are
what is being estimated). Then ``f_I = (x6_metal - X_B) / (X_I - X_B)``, clipped to [0, 1], and

    sigma_f^2 = (sigma_x6^2 + f^2 sigma_XI^2 + (1 - f)^2 sigma_XB^2) / (X_I - X_B)^2

(delta method; end-member errors are systematic, carried through the weighted mean).

Model error of the end members: the exchange rate is not measured. With a plausible range
``[kappa_lo, kappa_hi]`` (``exchange_range_per_h``) each effective end member is evaluated at
both ends; half their difference is added in quadrature to that end member's error (a
uniform prior over the range has a standard deviation of ``range / sqrt(12)``; half the range is
the more conservative choice for a rate known only to an order of magnitude). Metal per route:
``n_I = f n``, ``n_B = (1 - f) n`` with errors from ``sigma_f`` and ``sigma_n``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RouteAttribution", "attribute_routes", "effective_end_member"]


@dataclass(frozen=True)
class RouteAttribution:
    """Interface fraction and metal per route, arrays over time points."""

    interface_fraction: np.ndarray
    interface_fraction_err: np.ndarray
    interface_umol: np.ndarray
    interface_umol_err: np.ndarray
    bulk_umol: np.ndarray
    bulk_umol_err: np.ndarray
    x6_interface_eff: np.ndarray
    x6_bulk_eff: np.ndarray
    dominant: list
    exchange_per_h: float
    x6_interface_model_err: np.ndarray | None = None
    x6_bulk_model_err: np.ndarray | None = None


def effective_end_member(
    t: np.ndarray,
    weights: np.ndarray,
    x6_source: np.ndarray,
    x6_local: np.ndarray,
    kappa_per_h: float,
) -> np.ndarray:
    """Effective x6 at each time of metal formed at ``x6_source`` and relaxing to ``x6_local``.

    Parameters
    ----------
    t : time points, h, shape ``(n,)``.
    weights : amount formed at each time point (>= 0), shape ``(n,)``.
    x6_source : x6 of the newly formed metal at each time point, shape ``(n,)``.
    x6_local : x6 the metal relaxes toward, at each time point, shape ``(n,)``.
    kappa_per_h : exchange rate, 1/h.
    """
    t = np.asarray(t, float)
    age = t[:, None] - t[None, :]  # (now, formed)
    formed = age >= 0
    decay = np.where(formed, np.exp(-kappa_per_h * np.where(formed, age, 0.0)), 0.0)
    w = np.where(formed, weights[None, :], 0.0)
    wsum = w.sum(axis=1)
    excess = (x6_source[None, :] - x6_local[:, None]) * decay
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_excess = np.where(wsum > 0, (w * excess).sum(axis=1) / wsum, np.nan)
    fallback = x6_source - x6_local
    return x6_local + np.where(np.isfinite(mean_excess), mean_excess, fallback)


def attribute_routes(
    t: np.ndarray,
    metal_umol: np.ndarray,
    metal_umol_err: np.ndarray,
    x6_metal: np.ndarray,
    x6_metal_err: np.ndarray,
    x6_interface_source: np.ndarray,
    x6_interface_source_err: np.ndarray,
    x6_local: np.ndarray,
    x6_local_err: np.ndarray,
    exchange_per_h: float = 0.0,
    exchange_range_per_h: tuple[float, float] | None = None,
) -> RouteAttribution:
    """Interface fraction and metal per route over time (see the module docstring).

    All arrays have shape ``(n,)`` (time points, h since cycling started); NaN x6 gives NaN.
    ``exchange_range_per_h``: plausible range of the exchange rate (1/h) for the model error
    of the end members (None: no model error).

    Raises
    ------
    ValueError : the end members coincide (|X_I - X_B| < 0.01): routes cannot be told apart.
    """
    t = np.asarray(t, float)
    n = np.asarray(metal_umol, float)
    dn = np.diff(np.nan_to_num(n), prepend=0.0)
    w = np.clip(dn, 0.0, None)
    xi_src = np.asarray(x6_interface_source, float)
    xl = np.asarray(x6_local, float)
    xi = effective_end_member(t, w, xi_src, xl, exchange_per_h)
    xb = effective_end_member(t, w, xl, xl, exchange_per_h)
    contrast = xi - xb
    zero = np.zeros(t.size)
    mi, mb = zero, zero
    if exchange_range_per_h is not None:
        lo, hi = (float(k) for k in exchange_range_per_h)
        ends_i = [effective_end_member(t, w, xi_src, xl, k) for k in (lo, hi)]
        ends_b = [effective_end_member(t, w, xl, xl, k) for k in (lo, hi)]
        mi = 0.5 * np.abs(ends_i[1] - ends_i[0])
        mb = 0.5 * np.abs(ends_b[1] - ends_b[0])
    if np.nanmax(np.abs(contrast)) < 0.01:
        raise ValueError("interface and bulk end members differ by < 0.01 in x6")
    with np.errstate(invalid="ignore", divide="ignore"):
        f_raw = (np.asarray(x6_metal, float) - xb) / contrast
        f = np.clip(f_raw, 0.0, 1.0)
        s_xi = np.hypot(np.asarray(x6_interface_source_err, float), mi)
        s_xl = np.hypot(np.asarray(x6_local_err, float), mb)
        s_f = np.sqrt(
            np.asarray(x6_metal_err, float) ** 2 + (f * s_xi) ** 2 + ((1 - f) * s_xl) ** 2
        ) / np.abs(contrast)
    s_n = np.asarray(metal_umol_err, float)
    ni, nb = f * n, (1 - f) * n
    ni_err = np.hypot(f * s_n, n * s_f)
    nb_err = np.hypot((1 - f) * s_n, n * s_f)
    dominant = [None if not np.isfinite(x) else ("interface" if x >= 0.5 else "bulk") for x in f]
    return RouteAttribution(
        f, s_f, ni, ni_err, nb, nb_err, xi, xb, dominant, exchange_per_h, mi, mb
    )
