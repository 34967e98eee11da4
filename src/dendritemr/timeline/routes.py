"""Route attribution: interface fraction f_I of the dendritic metal from its 6Li fraction.

Two end-member mixing (``docs/science.md`` section 1)::

    x6_metal(t) = f_I(t) X_I(t) + (1 - f_I(t)) X_B(t)

``X_I`` and ``X_B`` are the *effective* x6 of the interface-born and bulk-born metal present at
t. Each population was formed over the history at the x6 of its source, which drifts in time:

- interface source ``x6_I(t')``: Li+ arriving at the interface from the enriched electrode side,
  i.e. the plating electrode's x6 (the pipeline uses the study's ``x6_electrode``: the measured
  electrode line shows only the skin-depth surface layer, which exchanges with the LLZO);
- bulk source ``x6_L(t')``: the LLZO where the bulk Li0 forms (:func:`local_llzo_x6`: the
  measured electrolyte line, between the deep LLZO's initial x6 and the exchange zone next to
  the plating electrode as bounds);

and a particle keeps exchanging isotopes with the LLZO around it, so its x6 relaxes toward
``x6_L(t)`` at rate ``kappa`` (1/h; 0: no exchange), ``dX/dt = -kappa (X - x6_L(t))``. The
population's mean ``X_P`` follows the same linear equation, advanced exactly between time
points (:func:`effective_end_member`); the metal formed at ``t_k``, in amount ``w_k``, joins
it at ``x6_P(t_k)``. ``w_k`` is the growth of that population between time points (the first
point: its amount). The populations' growth is what is being estimated, so the weights are
found by a fixed point: start from the growth of the total metal for both, attribute, take each
route's growth as its weights, and repeat until the fraction changes by less than ``1e-6`` (at
most ``20`` rounds). Then ``f_I = (x6_metal - X_B) / (X_I - X_B)``,
clipped to [0, 1], and

    sigma_f^2 = (sigma_x6^2 + f^2 sigma_XI^2 + (1 - f)^2 sigma_XB^2) / (X_I - X_B)^2

(delta method; end-member errors are systematic, carried through the weighted mean).

Model error of the end members: the exchange rate is not measured. With a plausible range
``[kappa_lo, kappa_hi]`` (``exchange_range_per_h``) each effective end member is evaluated at
both ends; half their difference is added in quadrature to that end member's error (a
uniform prior over the range has a standard deviation of ``range / sqrt(12)``; half the range is
the more conservative choice for a rate known only to an order of magnitude). The local LLZO's
x6 is a model too (where the metal forms, :func:`local_llzo_x6`): with ``x6_local_bounds`` the
end members are evaluated at both bounds as well and half their difference is added in the same
way. Metal per route: ``n_I = f n``, ``n_B = (1 - f) n``, linear in the metal's ``(n, x6)``
(``n_I = n (x6 - X_B) / (X_I - X_B)``), with errors by the delta method from ``sigma_n``,
``sigma_f`` and the covariance of ``n`` and ``x6`` (both come from the same 6Li and 7Li
areas)::

    sigma_nI^2 = f^2 sigma_n^2 + n^2 sigma_f^2 + 2 f n cov(n, x6) / (X_I - X_B)
    sigma_nB^2 = (1 - f)^2 sigma_n^2 + n^2 sigma_f^2 - 2 (1 - f) n cov(n, x6) / (X_I - X_B)

(the exact propagation of the covariance of ``(n6, n7)``: ``n_B`` of metal near ``X_I`` = 0.95
depends almost on ``n7`` alone, and leaving the covariance out counted the ``n6`` error twice:
2.2-2.4x the bulk's statistical error on the defective-LLZO studies). Where ``f`` is clipped the
amounts are ``n`` and 0, whose error is ``sigma_n`` and 0, and the unclipped estimate's error
(above, with the unclipped ``f``) can be much smaller than ``sigma_n`` (interface metal of
scheme B at ``X_I`` 0.076: ``n_I`` ~ 1.09 ``n7`` while ``n`` carries the ``n6`` error): there
each amount takes the larger of the two. The end members' errors are common to neighbouring
time points (they cancel in the difference of two points), so the route amounts also carry
*statistical* errors without them (``sigma_f`` from ``sigma_x6`` alone, with ``cov(n, x6)`` of
the same errors: ``interface_umol_stat_err``, ``bulk_umol_stat_err``), the errors a growth test
between time points needs (:func:`dendritemr.timeline.detect_stages`); so are the calibration's
and the decomposition's held parameters' (one error for the series), left out of them when
``metal_umol_stat_err`` / ``x6_metal_stat_err`` are given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "RouteAttribution",
    "LocalLLZO",
    "attribute_routes",
    "effective_end_member",
    "local_llzo_x6",
    "METAL_ZONE_MIN_UM",
]

#: Shallowest depth (um) of the zone next to the plating electrode in which the dendritic metal
#: may form and sit [default]: interface tips arrested at ~25 um, bulk Li0 nucleating 60-100 um
#: beyond them (docs/simulator-model.md, "Early join"), a tracer layer ~100 um deep after 7 h at
#: D* = 1e-13 m2/s (science.md s4). The upper bound of :func:`local_llzo_x6`.
METAL_ZONE_MIN_UM = 200.0

#: fixed point of the route-specific formation weights: tolerance on f_I and most rounds
#: x6 error given to a time point whose dendritic metal has no x6 (none measured: its 6Li +
#: 7Li atoms <= 0) when its route amounts are attributed with the composition of the next
#: measured metal (:func:`attribute_routes`): any composition (the route amounts of a total
#: near 0 are near 0 whatever it is)
CARRIED_X6_ERR = 0.5
_WEIGHT_TOL = 1e-6
_WEIGHT_ROUNDS = 20


@dataclass(frozen=True)
class LocalLLZO:
    """x6 of the LLZO where the dendritic metal forms (:func:`local_llzo_x6`), shape ``(n,)``.

    ``x6`` the central value (the pellet's mean: the electrolyte line); ``x6_err`` its
    statistical error; ``x6_lo`` / ``x6_hi`` the bounds of the model (deep LLZO / the shallowest
    zone), for ``attribute_routes(x6_local_bounds=...)``; ``factor`` the shallowest zone's
    excess over the pellet's mean, ``L / (2 Z_min)``."""

    x6: np.ndarray
    x6_err: np.ndarray
    x6_lo: np.ndarray
    x6_hi: np.ndarray
    factor: float


def local_llzo_x6(
    x6_line: np.ndarray,
    x6_line_err: np.ndarray,
    x6_llzo_initial: float,
    thickness_um: float,
    zone_min_um: float = METAL_ZONE_MIN_UM,
) -> LocalLLZO:
    """x6 of the LLZO where the dendritic metal forms: central value and model bounds.

    Tracer model (``docs/science.md`` sections 1 and 4): the LLZO exchanges isotopes with both
    electrodes fast (exchange current >> applied current) and the tracer spreads by
    self-diffusion, so the 6Li (scheme A; 7Li in scheme B) that the LLZO took up sits in layers
    next to the electrodes, about one diffusion length ``2 sqrt(D* t)`` deep (~100 um after
    7 h at D* = 1e-13 m2/s), while deep LLZO keeps its initial ratio ``x6_0``. The electrolyte
    line measures the pellet's mean ``x6_line(t)``, so each side holds about the excess
    inventory ``E(t) = (x6_line(t) - x6_0) L / 2`` (um), and averaged over a zone of depth
    ``Z`` next to the plating electrode that holds it the excess is ``E / Z`` whatever the
    layer's profile::

        x6_zone(t) = x6_0 + (L / (2 Z)) (x6_line(t) - x6_0),   Z <= L / 2

    Where the metal forms is not measured here (MRI depth maps could say), so the LLZO it
    forms in and exchanges with lies between the deep LLZO (``x6_0``: metal formed beyond the
    tracer layers) and the shallowest zone (``Z = zone_min_um``): those are the bounds, a model
    error of the end members that ``attribute_routes`` propagates (half their difference). The
    central value is the pellet's mean (``Z = L / 2``: anywhere in the half pellet). A central
    value from a zone depth (``Z`` 250-400 um for a 1 mm pellet: 1.25-2x the line's excess)
    lowered the interface-fraction error on the nine simulated studies it was chosen on
    (0.034 -> 0.032) but raised it on others (seed 14: 0.055 -> 0.081, its bulk Li0 formed
    deep at x6 0.08-0.13 while the line read 0.12-0.25): not used (docs/results-schema.md,
    "Route attribution").

    Parameters
    ----------
    x6_line, x6_line_err : measured 6Li fraction of the electrolyte line and its standard error,
        shape ``(n,)`` (where no line was measured pass ``x6_0``: no excess is known there).
    x6_llzo_initial : the LLZO's x6 before cycling (``x6_0``; study.toml ``x6_electrolyte``).
    thickness_um : pellet thickness ``L`` (um).
    zone_min_um : shallowest zone depth ``Z_min`` (um), :data:`METAL_ZONE_MIN_UM`; capped at
        ``L / 2``.

    Returns
    -------
    LocalLLZO

    Raises
    ------
    ValueError : a thickness or zone depth that is not positive and finite.
    """
    vals = (thickness_um, zone_min_um)
    if not all(np.isfinite(v) and v > 0 for v in vals):
        raise ValueError(f"thickness and zone depth must be positive (got {vals})")
    half = 0.5 * float(thickness_um)
    x0 = float(x6_llzo_initial)
    line = np.asarray(x6_line, float)
    factor = half / min(float(zone_min_um), half)
    shallow = np.clip(x0 + factor * (line - x0), 0.0, 1.0)
    return LocalLLZO(
        x6=line,
        x6_err=np.asarray(x6_line_err, float),
        x6_lo=np.minimum(x0, shallow),
        x6_hi=np.maximum(x0, shallow),
        factor=factor,
    )


@dataclass(frozen=True)
class RouteAttribution:
    """Interface fraction and metal per route, arrays over time points.

    ``*_err``: one standard error, end-member (model) errors included; ``*_stat_err``: the
    metal's x6 and amount errors alone (point to point: for growth tests between points)."""

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
    interface_umol_stat_err: np.ndarray | None = None
    bulk_umol_stat_err: np.ndarray | None = None


def effective_end_member(
    t: np.ndarray,
    weights: np.ndarray,
    x6_source: np.ndarray,
    x6_local: np.ndarray,
    kappa_per_h: float,
) -> np.ndarray:
    """Effective x6 at each time of metal formed at ``x6_source`` and relaxing to ``x6_local``.

    Each particle exchanges with the LLZO around it, ``dX/dt = -kappa (X - x6_local(t))``, with
    ``x6_local`` linear between time points; the population's mean follows the same equation
    (it is linear), so it is advanced exactly over each interval ``dt``::

        X <- X e^(-kappa dt) + x_m - x_(m-1) e^(-kappa dt) - r (1 - e^(-kappa dt)) / kappa

    (``r`` the local x6's slope over the interval; ``kappa -> 0``: X unchanged), then the
    metal formed at the time point joins at its source's x6 (weighted mean). Relaxing toward
    the *current* local x6 instead (the form used before) overstated the drift of old metal by
    ``r kappa a^2 / 2`` at age ``a`` while the local x6 itself drifts: 0.04 in x6 after 20 h at
    0.01/h of drift and kappa = 0.03/h.

    Parameters
    ----------
    t : time points, h, increasing, shape ``(n,)``.
    weights : amount formed at each time point (>= 0), shape ``(n,)``.
    x6_source : x6 of the newly formed metal at each time point, shape ``(n,)``.
    x6_local : x6 the metal relaxes toward, at each time point, shape ``(n,)``.
    kappa_per_h : exchange rate, 1/h (>= 0).

    Returns
    -------
    ndarray, shape ``(n,)``: the mean x6 of the metal present (before any metal has formed:
    the source's x6).
    """
    t = np.asarray(t, float)
    w = np.asarray(weights, float)
    src = np.asarray(x6_source, float)
    loc = np.asarray(x6_local, float)
    kappa = float(kappa_per_h)
    out = np.empty(t.size)
    amount, mean = 0.0, np.nan
    for m in range(t.size):
        if m and amount > 0:
            dt = t[m] - t[m - 1]
            decay = np.exp(-kappa * dt)
            gain = -np.expm1(-kappa * dt) / kappa if kappa > 0 else dt  # (1 - decay) / kappa
            slope = (loc[m] - loc[m - 1]) / dt if dt > 0 else 0.0
            mean = mean * decay + loc[m] - loc[m - 1] * decay - slope * gain
        if w[m] > 0:
            mean = (amount * mean + w[m] * src[m]) / (amount + w[m]) if amount > 0 else src[m]
            amount += w[m]
        out[m] = mean if amount > 0 else src[m]
    return out


def _linear_err(a, s_n, n, s_f, b_cov):
    """Error of a route amount ``a n + (x6 term)`` by the delta method: ``(a s_n)^2 +
    (n s_f)^2 + 2 a b cov(n, x6)`` with ``b_cov = b cov(n, x6)``, ``b`` its x6 slope (the
    end members' part of ``s_f`` is independent of the metal's ``(n, x6)``)."""
    var = (a * s_n) ** 2 + (n * s_f) ** 2 + 2.0 * a * b_cov
    return np.sqrt(np.maximum(var, 0.0))


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
    x6_local_bounds: tuple[np.ndarray, np.ndarray] | None = None,
    route_weights: bool = True,
    metal_umol_stat_err: np.ndarray | None = None,
    x6_metal_stat_err: np.ndarray | None = None,
    metal_x6_cov: np.ndarray | None = None,
    metal_x6_stat_cov: np.ndarray | None = None,
) -> RouteAttribution:
    """Interface fraction and metal per route over time (see the module docstring).

    All arrays have shape ``(n,)`` (time points, h since cycling started); NaN x6 gives NaN,
    except where the metal is given (no dendritic metal measured there, e.g. 6Li + 7Li atoms
    <= 0 at the first point): the route amounts there use the next point's x6 with the error
    :data:`CARRIED_X6_ERR` and the interface fraction stays NaN.
    ``x6_local``: the LLZO where the metal forms and which it exchanges with
    (:func:`local_llzo_x6`). ``exchange_range_per_h``: plausible range of the exchange rate
    (1/h) for the model error of the end members (None: no model error).
    ``x6_local_bounds``: ``(lo, hi)`` arrays bounding ``x6_local`` (a model error of the end
    members, e.g. :class:`LocalLLZO`'s ``x6_lo`` / ``x6_hi``; None: none).
    ``route_weights``: each population's own growth as its formation weights (the fixed point
    of the module docstring); False: the total's growth for both (the former approximation).
    ``metal_umol_stat_err`` / ``x6_metal_stat_err``: the metal's and its x6's errors without
    the parts common to every time point (calibration, held fit parameters), for the
    statistical route errors ``*_stat_err``; None: ``metal_umol_err`` / ``x6_metal_err``.
    ``metal_x6_cov`` / ``metal_x6_stat_cov``: the covariance of the metal amount with its x6
    (umol), with the errors of ``metal_umol_err`` / ``metal_umol_stat_err`` (both come from the
    same 6Li and 7Li areas: :func:`dendritemr.quant.atoms.amount_series`' ``umol_x6_cov``);
    None: 0 (``metal_x6_stat_cov`` None: ``metal_x6_cov`` when no statistical errors are
    given either, else 0). 0 at a point with a carried x6.

    Raises
    ------
    ValueError : the end members coincide (|X_I - X_B| < 0.01): routes cannot be told apart.
    """
    t = np.asarray(t, float)
    n = np.asarray(metal_umol, float)
    x6m = np.asarray(x6_metal, float).copy()
    x6_metal_err = np.asarray(x6_metal_err, float).copy()
    if x6_metal_stat_err is not None:
        x6_metal_stat_err = np.asarray(x6_metal_stat_err, float).copy()
    # a point with a total but no x6 (no dendritic metal measured: 6Li + 7Li atoms <= 0, e.g.
    # the first point): its routes with the next measured metal's composition, any x6
    # (CARRIED_X6_ERR): both amounts near 0 with the total's error, so that the growth tests
    # keep it as the baseline; its interface fraction stays undefined (NaN)
    carried = np.zeros(t.size, bool)
    finite = np.flatnonzero(np.isfinite(x6m))
    for i in np.flatnonzero(~np.isfinite(x6m) & np.isfinite(n)):
        later = finite[finite > i]
        if later.size:
            x6m[i] = x6m[later[0]]
            x6_metal_err[i] = CARRIED_X6_ERR
            if x6_metal_stat_err is not None:
                x6_metal_stat_err[i] = CARRIED_X6_ERR
            carried[i] = True
    dn = np.diff(np.nan_to_num(n), prepend=0.0)
    xi_src = np.asarray(x6_interface_source, float)
    xl = np.asarray(x6_local, float)

    def fraction(wi, wb, kappa=exchange_per_h, local=xl):
        xi_ = effective_end_member(t, wi, xi_src, local, kappa)
        xb_ = effective_end_member(t, wb, local, local, kappa)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.clip((x6m - xb_) / (xi_ - xb_), 0.0, 1.0), xi_, xb_

    def grown(amount):
        return np.clip(np.diff(np.nan_to_num(amount), prepend=0.0), 0.0, None)

    # formation weights of each population: a fixed point from the total's growth
    wi = wb = np.clip(dn, 0.0, None)
    f, xi, xb = fraction(wi, wb)
    for _ in range(_WEIGHT_ROUNDS if route_weights else 0):
        if not np.isfinite(f).any():
            break
        fin = np.where(np.isfinite(f), f, 1.0)  # no metal x6 yet: nothing attributed to bulk
        wi, wb = grown(fin * n), grown((1.0 - fin) * n)
        f_new, xi, xb = fraction(wi, wb)
        done = np.nanmax(np.abs(f_new - f)) < _WEIGHT_TOL
        f = f_new
        if done:
            break
    contrast = xi - xb
    zero = np.zeros(t.size)
    mi2, mb2 = zero, zero  # squared model errors of X_I and X_B
    for key, pair in (("kappa", exchange_range_per_h), ("local", x6_local_bounds)):
        if pair is None:
            continue
        ends = [fraction(wi, wb, **{key: v}) for v in pair]
        mi2 = mi2 + (0.5 * (ends[1][1] - ends[0][1])) ** 2
        mb2 = mb2 + (0.5 * (ends[1][2] - ends[0][2])) ** 2
    mi, mb = np.sqrt(mi2), np.sqrt(mb2)
    if np.nanmax(np.abs(contrast)) < 0.01:
        raise ValueError("interface and bulk end members differ by < 0.01 in x6")
    with np.errstate(invalid="ignore", divide="ignore"):
        s_xi = np.hypot(np.asarray(x6_interface_source_err, float), mi)
        s_xl = np.hypot(np.asarray(x6_local_err, float), mb)
        s_f = np.sqrt(
            np.asarray(x6_metal_err, float) ** 2 + (f * s_xi) ** 2 + ((1 - f) * s_xl) ** 2
        ) / np.abs(contrast)
        x6_stat = x6_metal_err if x6_metal_stat_err is None else x6_metal_stat_err
        s_f_stat = np.asarray(x6_stat, float) / np.abs(contrast)
    s_n = np.asarray(metal_umol_err, float)
    s_n_stat = s_n if metal_umol_stat_err is None else np.asarray(metal_umol_stat_err, float)
    no_stat = metal_umol_stat_err is None and x6_metal_stat_err is None
    cov = zero if metal_x6_cov is None else np.asarray(metal_x6_cov, float)
    if metal_x6_stat_cov is not None:
        cov_stat = np.asarray(metal_x6_stat_cov, float)
    else:
        cov_stat = cov if no_stat else zero
    # the carried x6 is another point's: no covariance with this point's amount
    cov, cov_stat = np.where(carried, 0.0, cov), np.where(carried, 0.0, cov_stat)
    ni, nb = f * n, (1 - f) * n
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = n / contrast  # d n_I / d x6 = -d n_B / d x6
        f_lin = (x6m - xb) / contrast  # the fraction before clipping
    # at a clipped fraction the amounts are n and 0: the larger of that form's error (f s_n)
    # and the unclipped estimate's
    clipped = np.isfinite(f_lin) & (f_lin != f)
    ni_err, nb_err, ni_stat, nb_stat = (
        np.where(clipped, np.maximum(err, a * s), err)
        for err, a, s in (
            (_linear_err(f_lin, s_n, n, s_f, slope * cov), f, s_n),
            (_linear_err(1 - f_lin, s_n, n, s_f, -slope * cov), 1 - f, s_n),
            (_linear_err(f_lin, s_n_stat, n, s_f_stat, slope * cov_stat), f, s_n_stat),
            (_linear_err(1 - f_lin, s_n_stat, n, s_f_stat, -slope * cov_stat), 1 - f, s_n_stat),
        )
    )
    f, s_f = np.where(carried, np.nan, f), np.where(carried, np.nan, s_f)
    dominant = [None if not np.isfinite(x) else ("interface" if x >= 0.5 else "bulk") for x in f]
    return RouteAttribution(
        f, s_f, ni, ni_err, nb, nb_err, xi, xb, dominant, exchange_per_h, mi, mb, ni_stat, nb_stat
    )
