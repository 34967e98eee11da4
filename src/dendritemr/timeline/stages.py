"""Growth stages: change points in the growth rates of the metal trajectories, stages named by the
stage rule of the ground truth, per-stage rates.

Method
------
1. Model. Each trajectory (metal per route when 6Li data give them, else the total metal; umol,
   standard errors e) is a continuous piecewise-linear function of time whose kinks (changes of
   growth rate) lie on the time points: the amount of metal does not jump, and the stage rule of
   the truth changes label only at time points (``docs/results-schema.md``, "Stage rule").
2. Noise. A change of rate is judged against the *point-to-point* error of a trajectory, the part
   that differs between consecutive measurements: a stated error can also hold parts common to
   neighbouring points (the end-member model error of the routes, a calibration), which neither
   make nor hide a kink. It is measured on the residual of every inner point from the chord of its
   two neighbours (zero for a straight line): ``r_k = y_k - (a y_{k-1} + b y_{k+1})``,
   ``a = (t_{k+1} - t_k) / (t_{k+1} - t_{k-1})``, ``b = 1 - a``; robust scale = MAD / 0.6745,
   refined once by the root mean square with residuals winsorised at 3 of it (Gaussian
   consistency factor 0.995). ``scale`` = that scale of ``r_k / sqrt(e_k^2 + a^2 e_{k-1}^2 +
   b^2 e_{k+1}^2)``; its standard error for correct errors is ``1 / sqrt(m)`` (m residuals;
   measured: 0.985 / sqrt(m) over 2000 Gaussian series of 20, 52 and 200 points). The stated
   errors are kept when ``|scale - 1| <= 2 / sqrt(m)``; above, they are too small and are scaled
   up by ``scale``; below, they overstate the scatter and the error used is
   ``min(e_k, sigma_pp)``, ``sigma_pp`` the same scale of ``r_k / sqrt(1 + a^2 + b^2)`` (a
   constant point-to-point error). A kink is signal in the residual at it (rate change x
   interval / 2), and a few of them lift the winsorised scale (by 1.34 on a test trajectory
   with five kinks of 15-20 sigma/h; the default studies' routes by 1.2-1.35, which raised the
   growth threshold as much and lost the first hour of interface growth): the noise is
   therefore measured again without the residuals within one point of the change points
   (found first with the stated errors, then with the errors so measured, until they repeat).
   When the kinks leave fewer than 5 residuals (a short, curved trajectory: defective-llzo's 11
   points of bulk growth read 3.3 times their noise from all chord residuals) the same test is
   made on the residuals of the continuous spline with those kinks, ``scale = sqrt(chi2 /
   dof)``, kept within ``2 / sqrt(2 dof)``.
3. Change points, on each detection trajectory separately (interface and bulk metal, or the
   total): exact penalised optimal partitioning (Jackson et al. 2005; what ruptures ``Pelt`` with
   ``jump=1`` computes, without its pruning, which assumes that adding a change never raises the
   cost: not true here, see below) of the weighted least-squares line cost
   (:class:`CostLinearCumsum`, chi-square of the best line, -2 log L of Gaussian errors) in which
   consecutive segments *share their boundary point* (a segment ``[s, e)`` is fitted over the
   points ``s - 1 ... e - 1``): the kink sits on that time point and a segment may span a single
   interval (growth between two measurements). Sharing counts the boundary point twice, so two
   segments can cost more than one (by that point's residual): ruptures' pruning rule could drop
   the optimum (measured: ruptures ``Pelt(custom_cost=..., min_size=1, jump=1)`` returned
   other change points in 7 of 180 ideal-observer route trajectories of the simulated studies,
   and took 4.5 times longer). Penalty per change point: BIC ``2 ln n`` (Schwarz 1978) of the
   model, a *continuous* piecewise-linear trajectory, in which a kink adds two parameters: its
   location and the change of slope (continuity fixes the intercept; ``3 ln n``, used before,
   counts a free intercept and missed the first hour of interface growth of the default study
   in 25-45 % of ideal-observer draws). The search's cost lets each segment its own intercept,
   so it also offers kinks that only a jump would need: the kinks found are then pruned by
   backward elimination under the continuous spline (:func:`prune_knots`: drop the kink whose
   removal raises the spline's chi-square least while that is below the penalty), then moved by
   up to two time points each while that lowers the spline's chi-square (:func:`refine_knots`),
   pruning and moving again until the kinks repeat (a one-interval step of bulk metal was
   offered as a 2-h ramp, whose spline fits worse and whose rate fell below the threshold; the
   figures below predate this step). Measured on
   independent Gaussian series (errors stated right, then checked as in 2.;
   ``tests/timeline/test_stage_rule.py``): a straight line shows any change point in 4.0 % of
   52-point and 0.7 % of 200-point series (300 each; 2.0 % and 0.3 % with ``3 ln n``), but a
   wrong stage name in 1 of 200 (52 points) and 0 of 200 (200 points); kinks of >= 6 sigma/h
   between segments of >= 2 intervals are found within one interval in 98.9 % of cases (0.11
   spurious change points per series; 0.04 with ``3 ln n``).
4. Fit. Each trajectory is then fitted (weighted least squares, point-to-point errors) by the
   continuous linear spline with knots at its change points.
5. Names: the stage rule of the truth applied to the fitted trajectories. At each time point a
   route is *growing* when its fitted amount rose over the trailing window ``W`` (``window_h``,
   :data:`STAGE_WINDOW_H`) by more than ``z sqrt(2) sigma_route`` (``z`` = ``detection_sigmas``,
   :data:`STAGE_DETECTION_SIGMAS`), ``sigma_route`` the median point-to-point standard error of
   that route's measured amount (2.); inside a segment that rise is the fitted rate x ``W``, at the
   start of a segment the window reaches back into the previous one, as in the truth. The window
   starts no earlier than the start of cycling (0 h), as in the truth; between 0 h and a first time
   point after it the fit's first interval is extended. Interface only: ``interface-growth``; bulk
   only: ``bulk-nucleation``; both: ``mixed-growth``; neither: ``stall``. Without routes (7Li only)
   the total is tested with its own ``sigma_total``, growth is ``mixed-growth`` with ``route:
   unknown (no 6Li data)``, and a change point of the total inside a growth stage splits it when
   the fitted rate x ``W`` changes there by more than the threshold (growth that speeds up or slows
   down detectably). The label of a time point holds for the interval since the previous one; the
   first measurement labels the time from the start of cycling (0 h) to it by the same rule, its
   window reaching back to 0 h over the extended first interval, as in the truth, unless it lies
   less than one interval after 0 h (the simulated studies' first point, at 0.0093 h) or at /
   before it: such a point is the series' baseline (its window, cut at 0 h, is too short for
   any growth to pass the test) and takes the second's label, as the truth does; consecutive
   equal labels form a stage; from the last time point before the short to the end of the
   record is ``shorted`` (the truth's convention). A stage of a single point has no rates.
6. Per-stage rates: weighted least-squares slope of each trajectory over the stage's points
   (umol/h) with its standard error (point-to-point errors, scaled by sqrt(chi2_red) when > 1),
   the rate per charge passed (umol/mAh: slope / mean current) and its share of the charge
   (slope / (I / F)).
7. Boundary uncertainty: parametric bootstrap (``n_boot`` draws of the fitted splines plus
   Gaussian noise of the point-to-point errors; change points, fits and names found again); each
   stage boundary's standard error is the RMS distance to the nearest bootstrap stage boundary in
   its neighbourhood (half-way to the neighbouring boundaries), or to the edge of the
   neighbourhood when none is found there, in quadrature with ``dt / sqrt(12)`` (``dt`` the
   median interval: a boundary sits on a time point, the change anywhere in the interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from ruptures.base import BaseCost

from dendritemr.physics import mah_to_umol

__all__ = [
    "STAGE_WINDOW_H",
    "STAGE_DETECTION_SIGMAS",
    "Stage",
    "StageResult",
    "detect_stages",
    "CostLinearCumsum",
    "optimal_partition",
    "bic_penalty",
    "point_to_point_errors",
    "change_points",
    "prune_knots",
    "refine_knots",
    "linear_spline",
    "growth_labels",
]

#: Trailing window of the stage rule (h): the truth's ``growth.stage_window_h`` (two NMR intervals
#: of the default study). The analysis default; the simulator's default scenario holds the same.
STAGE_WINDOW_H = 1.0
#: Standard errors of the difference of two measurements one window apart that count as growth
#: (``z``): the truth's ``growth.stage_detection_sigmas``.
STAGE_DETECTION_SIGMAS = 3.0

# E[min(Z^2, 9)] of a standard normal: consistency of the RMS winsorised at 3 sigma
_WINSOR = (
    math.erf(3 / math.sqrt(2)) - 6 * math.exp(-4.5) / math.sqrt(2 * math.pi)
) + 9 * math.erfc(3 / math.sqrt(2))


class CostLinearCumsum(BaseCost):
    """Weighted least-squares line cost: chi-square of the best straight line over a segment,
    summed over dimensions, in O(1) per segment from cumulative sums.

    Parameters
    ----------
    t : sample times, shape ``(n,)``.
    err : standard errors, shape ``(d, n)``; the signal passed to :meth:`fit` is ``(n, d)``.
    shared : segments share their boundary point: segment ``[s, e)`` is fitted over the points
        ``max(s - 1, 0) ... e - 1`` (a continuous trajectory whose kinks lie on time points;
        ``min_size`` 1). False: disjoint segments (``min_size`` 3).
    """

    model = "wls-line"
    min_size = 3

    def __init__(self, t, err, shared: bool = False):
        self.t = np.asarray(t, float)
        self.err = np.atleast_2d(np.asarray(err, float))
        self.shared = bool(shared)
        self.min_size = 1 if self.shared else 3

    def fit(self, signal):
        y = np.asarray(signal, float)
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        self.signal = y
        w = 1.0 / self.err.T**2  # (n, d)
        t = self.t[:, None]
        terms = (w, w * t, w * t * t, w * y, w * t * y, w * y * y)
        # (6, n + 1, d) cumulative sums; ``error`` is called O(n^2) times by the search
        self._c = np.stack(
            [np.vstack([np.zeros((1, y.shape[1])), np.cumsum(x, axis=0)]) for x in terms]
        )
        return self

    def errors(self, starts: np.ndarray, end: int) -> np.ndarray:
        """Cost of every segment ``[s, end)`` for ``s`` in ``starts`` (vectorised)."""
        starts = np.asarray(starts, dtype=int)
        if self.shared:
            starts = np.maximum(starts - 1, 0)
        s0, s1, s2, sy, sty, syy = self._c[:, end][:, None, :] - self._c[:, starts]
        det = s0 * s2 - s1 * s1
        ok = det > 1e-12 * np.maximum(s0 * s2, 1e-300)
        safe = np.where(ok, det, 1.0)
        b = np.where(ok, (s0 * sty - s1 * sy) / safe, 0.0)
        a = (sy - b * s1) / np.where(s0 > 0, s0, 1.0)
        chi2 = syy - 2 * a * sy - 2 * b * sty + a * a * s0 + 2 * a * b * s1 + b * b * s2
        return np.sum(np.maximum(chi2, 0.0), axis=1)

    def error(self, start, end):
        return float(self.errors(np.array([start]), end)[0])


def optimal_partition(cost: CostLinearCumsum, pen: float, min_size: int = 3) -> list[int]:
    """Exact penalised segmentation (optimal partitioning, Jackson et al. 2005), vectorised over
    the start of the last segment: the optimum ruptures ``Pelt`` with ``jump=1`` searches for,
    without pruning. Returns change points as ruptures does (first index of each new segment,
    without ``n``)."""
    n = cost.signal.shape[0]
    best = np.full(n + 1, np.inf)
    best[0] = -pen
    last = np.zeros(n + 1, dtype=int)
    for end in range(min_size, n + 1):
        starts = np.arange(0, end - min_size + 1)
        starts = starts[(starts == 0) | (starts >= min_size)]
        total = best[starts] + cost.errors(starts, end) + pen
        k = int(np.argmin(total))
        best[end], last[end] = total[k], starts[k]
    cps, end = [], n
    while end > 0:
        end = int(last[end])
        if end > 0:
            cps.append(end)
    return sorted(cps)


def bic_penalty(n: int, dims: int) -> float:
    """BIC penalty per kink of a continuous piecewise-linear fit of ``dims`` trajectories with
    common kinks: ``(dims + 1) ln(n)`` (per kink one change of slope per trajectory and its
    location; continuity fixes the intercept; Schwarz 1978)."""
    return (dims + 1) * float(np.log(max(n, 2)))


def _robust_scale(z: np.ndarray) -> float:
    """Standard deviation of Gaussian ``z`` with outliers: MAD / 0.6745, then the RMS with
    values winsorised at 3 of it (divided by its Gaussian expectation)."""
    z = z[np.isfinite(z)]
    if z.size == 0:
        return float("nan")
    s0 = float(np.median(np.abs(z)) / 0.6745)
    if s0 <= 0:
        return 0.0
    c = np.clip(z, -3 * s0, 3 * s0)
    return float(np.sqrt(np.mean(c * c) / _WINSOR))


def point_to_point_errors(
    t: np.ndarray, y: np.ndarray, e: np.ndarray, kinks: list[int] | None = None
) -> tuple[np.ndarray, float, float]:
    """Point-to-point standard errors of one trajectory (module docstring, step 2).

    Parameters
    ----------
    t : times (h), increasing, shape ``(n,)``.
    y, e : amounts and their stated standard errors, shape ``(n,)``.
    kinks : indices of change points found before: the chord residuals of the points within
        one index of them are left out (a kink adds its rate change x interval / 2 to the
        residual there: signal, not noise), unless fewer than 5 would remain.

    Returns
    -------
    (errors, scale, sigma_pp)
        errors used for change points and the growth test, shape ``(n,)``; ``scale`` the robust
        scatter of the chord residuals over their stated errors (1 when those are right);
        ``sigma_pp`` the constant point-to-point error. Fewer than 5 points: ``(e, 1, nan)``.
    """
    t, y, e = (np.asarray(v, float) for v in (t, y, e))
    if t.size < 5:
        return e.copy(), 1.0, float("nan")
    h1, h2 = t[1:-1] - t[:-2], t[2:] - t[1:-1]
    a, b = h2 / (h1 + h2), h1 / (h1 + h2)
    r = y[1:-1] - (a * y[:-2] + b * y[2:])
    er = np.sqrt(e[1:-1] ** 2 + (a * e[:-2]) ** 2 + (b * e[2:]) ** 2)
    use = np.ones(r.size, bool)
    for k in kinks or []:
        use[max(k - 2, 0) : k + 1] = False  # residuals of the points k - 1, k, k + 1
    if use.sum() >= 5:
        r, a, b, er = r[use], a[use], b[use], er[use]
    scale = _robust_scale(r / er)
    sigma_pp = _robust_scale(r / np.sqrt(1 + a * a + b * b))
    if not np.isfinite(scale) or abs(scale - 1.0) <= 2.0 / math.sqrt(r.size):
        return e.copy(), scale, sigma_pp  # the stated errors explain the scatter
    if scale > 1.0:
        return e * scale, scale, sigma_pp
    return np.minimum(e, max(sigma_pp, 1e-300)), scale, sigma_pp


def change_points(t: np.ndarray, y: np.ndarray, e: np.ndarray, pen: float) -> list[int]:
    """Indices of the time points where the growth rate of ``y`` changes (kinks; step 3).

    Parameters
    ----------
    t, y, e : times (h), amounts and point-to-point errors, shape ``(n,)``.
    pen : penalty per change point (chi-square units).

    Returns
    -------
    list of int, inner indices ``1 ... n - 2``, increasing.
    """
    n = np.asarray(t).size
    if n < 4:
        return []
    cost = CostLinearCumsum(t, np.asarray(e, float)[None, :], shared=True).fit(np.asarray(y, float))
    knots = [c - 1 for c in optimal_partition(cost, pen, 1) if 0 < c - 1 < n - 1]
    knots = prune_knots(t, y, e, knots, pen)
    for _ in range(10):  # refine and prune until neither changes the kinks
        moved = prune_knots(t, y, e, refine_knots(t, y, e, knots), pen)
        if moved == knots:
            break
        knots = moved
    return knots


def _spline_chi2(t, y, e, knots) -> float:
    return float(np.sum(((np.asarray(y, float) - linear_spline(t, y, e, knots)) / e) ** 2))


def prune_knots(t: np.ndarray, y: np.ndarray, e: np.ndarray, knots: list[int], pen: float):
    """Backward elimination of kinks under the continuous model: while some kink lowers the
    chi-square of the continuous linear spline by less than ``pen``, drop the one that lowers
    it least (the shared-point cost of the search lets each segment its own intercept, so it
    also offers kinks that only a jump would need).

    Parameters
    ----------
    t, y, e : times (h), amounts, errors, shape ``(n,)``.
    knots : candidate kink indices. pen : penalty per kink (chi-square units).

    Returns
    -------
    list of int, the kinks kept, increasing.
    """
    knots = sorted(knots)
    while knots:
        base = _spline_chi2(t, y, e, knots)
        gain = [_spline_chi2(t, y, e, knots[:j] + knots[j + 1 :]) - base for j in range(len(knots))]
        j = int(np.argmin(gain))
        if gain[j] >= pen:
            break
        knots.pop(j)
    return knots


def refine_knots(
    t: np.ndarray, y: np.ndarray, e: np.ndarray, knots: list[int], reach: int = 2
) -> list[int]:
    """Move kinks to where the continuous spline fits best (step 3): while moving one kink by
    up to ``reach`` time points (not onto or past a neighbouring kink, nor onto the first or last
    point) lowers the spline's chi-square, make the move that lowers it most.

    The search's cost gives each segment its own intercept, so the kinks it offers are placed for
    a trajectory that may jump; pruning only removes kinks. A step of bulk metal within one
    interval (0.16 -> 1.03 umol at 5.51 -> 6.01 h on the default study, seed 3) was offered as a
    ramp 5.01 -> 7.01 h, whose continuous spline fits worse (chi-square 94.7 against 89.7) and
    whose rate per window fell below the growth threshold.

    Parameters
    ----------
    t, y, e : times (h), amounts, errors, shape ``(n,)``.
    knots : kink indices, increasing. reach : largest move per step (time points).

    Returns
    -------
    list of int, the kinks moved, increasing (as many as given).
    """
    knots = sorted(knots)
    n = np.asarray(t).size
    best = _spline_chi2(t, y, e, knots)
    while knots:
        trial = None
        for j, k in enumerate(knots):
            lo = knots[j - 1] + 1 if j > 0 else 1
            hi = knots[j + 1] - 1 if j + 1 < len(knots) else n - 2
            for step in range(-reach, reach + 1):
                if step == 0 or not lo <= k + step <= hi:
                    continue
                cand = knots[:j] + [k + step] + knots[j + 1 :]
                c = _spline_chi2(t, y, e, cand)
                if c < best - 1e-9 and (trial is None or c < trial[0]):
                    trial = (c, cand)
        if trial is None:
            break
        best, knots = trial
    return knots


def linear_spline(t: np.ndarray, y: np.ndarray, e: np.ndarray, knots: list[int]) -> np.ndarray:
    """Weighted least-squares continuous linear spline through ``y`` with kinks at ``t[knots]``.

    Parameters
    ----------
    t, y, e : times (h), amounts and standard errors, shape ``(n,)``.
    knots : indices of the kinks.

    Returns
    -------
    ndarray, the fit at ``t``, shape ``(n,)``.
    """
    t = np.asarray(t, float)
    cols = [np.ones_like(t), t - t[0]] + [np.maximum(t - t[k], 0.0) for k in knots]
    a = np.vstack(cols).T
    w = 1.0 / np.maximum(np.asarray(e, float), 1e-300)
    beta = np.linalg.lstsq(a * w[:, None], np.asarray(y, float) * w, rcond=None)[0]
    return a @ beta


def growth_labels(
    t: np.ndarray,
    fits: dict[str, np.ndarray],
    thresholds: dict[str, float],
    window_h: float = STAGE_WINDOW_H,
) -> np.ndarray:
    """Stage name per time point from fitted trajectories by the stage rule (step 5).

    Parameters
    ----------
    t : times (h), shape ``(n,)``.
    fits : ``{"interface": ..., "bulk": ...}`` (routes) or ``{"total": ...}``, shape ``(n,)``.
    thresholds : smallest rise over the window that counts as growth, per key (umol):
        ``z sqrt(2) sigma``.
    window_h : trailing window (h).

    Returns
    -------
    ndarray of str: ``interface-growth``, ``bulk-nucleation``, ``mixed-growth``, ``stall``
    (``mixed-growth`` / ``stall`` for the total alone). A first point less than one interval
    after 0 h (or at / before it) takes the second's label, as in the truth.
    """
    t = np.asarray(t, float)
    # as in the truth, the window reaches back to the start of cycling (0 h) and no further;
    # before the first time point the fit's first interval is extended (time points before
    # cycling, t < 0, are measurements and bound the window themselves)
    base_t = np.maximum(t - window_h, min(0.0, float(t[0])))
    grow = {}
    for k, f in fits.items():
        base = np.interp(base_t, t, f)
        if t.size > 1 and t[1] > t[0]:
            slope0 = (f[1] - f[0]) / (t[1] - t[0])
            base = np.where(base_t < t[0], f[0] + slope0 * (base_t - t[0]), base)
        grow[k] = (f - base) > thresholds[k]
    if "interface" in grow:
        gi, gb = grow["interface"], grow["bulk"]
        out = np.full(t.size, "stall", dtype=object)
        out[gi & ~gb] = "interface-growth"
        out[~gi & gb] = "bulk-nucleation"
        out[gi & gb] = "mixed-growth"
    else:
        out = np.where(grow["total"], "mixed-growth", "stall").astype(object)
    if t.size > 1 and t[0] < t[1] - t[0]:
        # as in the truth: a first point less than one interval after the start of cycling (or
        # at / before it) is the series' baseline; its window, cut at 0 h, is too short for
        # growth to pass the test, so it takes the second's label (whose window covers 0 h to
        # it); a later first point labels 0 h to it by the rule (the window back to 0 h over
        # the extended first interval: the truth's amounts are 0 at 0 h)
        out[0] = out[1]
    return out.astype(str)


def _num(v):
    """JSON-ready number: a float, or None for NaN/inf (strict JSON has no NaN)."""
    if v is None or isinstance(v, bool | str):
        return v
    v = float(v)
    return v if math.isfinite(v) else None


@dataclass
class Stage:
    """One growth stage (times in h since cycling started)."""

    name: str
    start_h: float
    end_h: float
    start_err_h: float | None = None
    end_err_h: float | None = None
    rates: dict = field(default_factory=dict)
    route: str = "known"

    def to_dict(self) -> dict:
        """Results-schema entry (``name``, ``start_h``, ``end_h``) plus the extras; NaN -> None."""
        return {
            "name": self.name,
            "start_h": float(self.start_h),
            "end_h": float(self.end_h),
            "start_err_h": _num(self.start_err_h),
            "end_err_h": _num(self.end_err_h),
            "rates": {k: _num(v) for k, v in self.rates.items()},
            "route": self.route,
        }


@dataclass
class StageResult:
    """Stages, their boundaries, the change points and how they were found.

    ``boundaries_h`` are the stage boundaries (where the name changes, the short excluded);
    ``change_points_h`` the kinks per detection trajectory; ``noise_scale``, ``sigma_umol`` (the
    ``sigma_route`` of the rule) and ``threshold_umol`` (``z sqrt(2) sigma_route``) per
    trajectory.
    """

    stages: list[Stage]
    boundaries_h: list[float]
    boundaries_err_h: list[float]
    noise_scale: dict
    penalty: float
    criterion: str
    change_points_h: dict = field(default_factory=dict)
    sigma_umol: dict = field(default_factory=dict)
    threshold_umol: dict = field(default_factory=dict)
    window_h: float = STAGE_WINDOW_H
    detection_sigmas: float = STAGE_DETECTION_SIGMAS

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return {
            "stages": [s.to_dict() for s in self.stages],
            "boundaries_h": self.boundaries_h,
            "boundaries_err_h": [_num(v) for v in self.boundaries_err_h],
            "change_points_h": self.change_points_h,
            "noise_scale": {k: _num(v) for k, v in self.noise_scale.items()},
            "sigma_umol": {k: _num(v) for k, v in self.sigma_umol.items()},
            "threshold_umol": self.threshold_umol,
            "window_h": self.window_h,
            "detection_sigmas": self.detection_sigmas,
            "penalty": self.penalty,
            "criterion": self.criterion,
        }


def _wls(t, y, e):
    """Weighted LS slope and its standard error (scaled by sqrt(chi2_red) when > 1)."""
    if t.size < 2:
        return float("nan"), float("nan")
    w = 1.0 / np.maximum(e, 1e-300) ** 2
    a = np.vstack([t, np.ones_like(t)]).T
    cov = np.linalg.pinv(a.T @ (a * w[:, None]))
    beta = cov @ (a.T @ (w * y))
    err2 = cov[0, 0]
    if t.size > 2:
        chi2 = float(np.sum(w * (y - a @ beta) ** 2) / (t.size - 2))
        err2 *= max(chi2, 1.0)
    return float(beta[0]), float(np.sqrt(err2))


def _segment_rates(t, y, e, sl, names, cur, m=None) -> dict:
    """Rates of each trajectory over the points ``sl``; ``m`` ``(names, time)``: systematic
    errors shared by neighbouring points (NaN: none), whose own slope over the stage is the
    rate's systematic error, added in quadrature to the statistical one."""
    rates = {}
    for d, nm in enumerate(names):
        slope, err = _wls(t[sl], y[d, sl], e[d, sl])
        if m is not None and np.all(np.isfinite(m[d, sl])) and m[d, sl].any():
            err = float(np.hypot(err, abs(_wls(t[sl], m[d, sl], e[d, sl])[0])))
        rates[f"{nm}_umol_per_h"] = slope
        rates[f"{nm}_umol_per_h_err"] = err
        if cur is not None:
            c = cur[sl][np.isfinite(cur[sl])]  # NaN before the current starts
            i_mean = float(np.mean(c)) if c.size else float("nan")
            ok = np.isfinite(i_mean) and i_mean != 0
            per_mah = slope / i_mean if ok else float("nan")
            rates[f"{nm}_umol_per_mAh"] = per_mah
            rates[f"{nm}_umol_per_mAh_err"] = abs(err / i_mean) if ok else float("nan")
            rates[f"{nm}_charge_share"] = per_mah / float(mah_to_umol(1.0))
    return rates


def _runs(t, labels, split: list[int]) -> list[tuple[int, int]]:
    """Point ranges ``(first, last)`` of consecutive equal labels; a new run also starts after a
    point in ``split`` inside a growth run of the total (routes unknown)."""
    runs: list[list[int]] = []
    split_set = set(split)
    for k, lab in enumerate(labels):
        new = not runs or labels[runs[-1][0]] != lab
        if not new and lab == "mixed-growth" and (k - 1) in split_set:
            new = True
        if new:
            runs.append([k, k])
        else:
            runs[-1][1] = k
    return [(a, b) for a, b in runs]


def _stage_times(t, runs) -> list[tuple[float, float]]:
    """A label holds for the interval since the previous point: a run of points a..b spans
    ``(t[a-1], t[b]]``; the first run starts when cycling started (0 h; ``t[0]`` if earlier)."""
    first = min(0.0, float(t[0]))
    return [(float(t[a - 1]) if a > 0 else first, float(t[b])) for a, b in runs]


def _noise_without_kinks(t, y, e, pen, max_iter: int = 5):
    """Point-to-point errors of a detection trajectory measured without the residuals at its
    kinks (step 2): kinks found with the stated errors, the noise measured without their
    residuals, kinks found again with it, until the kinks repeat (at most ``max_iter``)."""
    e_used, prev = np.asarray(e, float), None
    out = point_to_point_errors(t, y, e)
    for _ in range(max_iter):
        knots = change_points(t, y, e_used, pen)
        if knots == prev:
            break
        out = point_to_point_errors(t, y, e, knots)
        if _residuals_left(t.size, knots) < 5:
            out = _spline_errors(t, y, e, knots)
        e_used, prev = out[0], knots
    return out


def _residuals_left(n: int, knots: list[int]) -> int:
    """Chord residuals (inner points) not within one point of a kink."""
    use = np.ones(max(n - 2, 0), bool)
    for k in knots:
        use[max(k - 2, 0) : k + 1] = False
    return int(use.sum())


def _spline_errors(t, y, e, knots):
    """Step 2 when the kinks leave fewer than 5 chord residuals (a short, curved trajectory:
    defective-llzo's 11 points of accelerating bulk growth read 3.3 times their noise from all
    chord residuals): the same test on the residuals of the continuous spline with those kinks,
    ``scale = sqrt(chi2 / dof)``, ``dof = n - 2 - kinks``, standard error ``1 / sqrt(2 dof)``
    for correct errors: kept within two of it, then as there."""
    t, y, e = (np.asarray(v, float) for v in (t, y, e))
    dof = t.size - 2 - len(knots)
    if dof < 1:
        return e.copy(), 1.0, float("nan")
    r = y - linear_spline(t, y, e, knots)
    scale = float(np.sqrt(np.sum((r / e) ** 2) / dof))
    sigma_pp = float(np.sqrt(np.sum(r * r) / dof))
    if abs(scale - 1.0) <= 2.0 / math.sqrt(2.0 * dof):
        return e.copy(), scale, sigma_pp
    if scale > 1.0:
        return e * scale, scale, sigma_pp
    return np.minimum(e, max(sigma_pp, 1e-300)), scale, sigma_pp


def _analyse(t, y_det, e_det, det_names, pen, window_h, z, routes_known):
    """Change points, fits, labels and point runs of the detection trajectories."""
    knots, fits, thr = {}, {}, {}
    for d, nm in enumerate(det_names):
        knots[nm] = change_points(t, y_det[d], e_det[d], pen)
        fits[nm] = linear_spline(t, y_det[d], e_det[d], knots[nm])
        thr[nm] = z * math.sqrt(2.0) * float(np.median(e_det[d]))
    labels = growth_labels(t, fits, thr, window_h)
    split = (
        []
        if routes_known
        else _growth_kinks(t, fits["total"], knots["total"], thr["total"], window_h)
    )
    return knots, fits, thr, labels, _runs(t, labels, split)


def _growth_kinks(t, fit, knots, threshold, window_h) -> list[int]:
    """Change points of a fitted total where growth continues on both sides (fitted rate x
    window above the threshold) and its rate changes by more than the threshold per window:
    they split a growth stage (growth that speeds up or slows down detectably)."""
    edges = [0, *knots, t.size - 1]
    rate = [
        (fit[b] - fit[a]) / (t[b] - t[a]) * window_h if t[b] > t[a] else 0.0
        for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]
    return [
        k
        for j, k in enumerate(knots)
        if min(rate[j], rate[j + 1]) > threshold and abs(rate[j + 1] - rate[j]) > threshold
    ]


def _boundaries(t, runs) -> np.ndarray:
    return np.array([s for s, _ in _stage_times(t, runs)[1:]])


def detect_stages(
    hours: np.ndarray,
    trajectories: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    current_ma: np.ndarray | None = None,
    short_h: float | None = None,
    routes_known: bool = False,
    n_boot: int = 100,
    window_h: float = STAGE_WINDOW_H,
    detection_sigmas: float = STAGE_DETECTION_SIGMAS,
    seed: int = 0,
    model_err: dict[str, np.ndarray] | None = None,
) -> StageResult:
    """Find and name growth stages in metal trajectories (method: module docstring).

    Parameters
    ----------
    hours : time points, h since cycling started, increasing, shape ``(n,)``.
    trajectories : ``{"total": (umol, err), "interface": ..., "bulk": ...}``, arrays ``(n,)``;
        ``total`` is required; ``interface``/``bulk`` (with ``routes_known``) are the detection
        trajectories and name stages by route. Points with NaN or non-positive errors are dropped.
    current_ma : mean current per time point (mA), for rates per charge; None: not given.
    short_h : short-circuit time (h): points after it are excluded and a ``shorted`` stage added.
    routes_known : name stages by route from ``interface`` and ``bulk``.
    n_boot : bootstrap draws for the boundary uncertainty (0: none, errors NaN).
    window_h : trailing window of the stage rule (h).
    detection_sigmas : ``z`` of the stage rule (standard errors of a difference).
    seed : random seed of the bootstrap.
    model_err : ``{name: (n,)}``: systematic errors of a trajectory shared by neighbouring
        points (a route's end-member model error: one end-member value moves every point the
        same way), umol. They do not enter the growth test (they cancel in differences); the
        slope of each over a stage is added in quadrature to that stage's rate error (the rate's
        change when the error is one standard deviation everywhere).

    Returns
    -------
    StageResult

    Raises
    ------
    KeyError
        ``total`` (or, with ``routes_known``, ``interface``/``bulk``) missing.
    """
    t_all = np.asarray(hours, float)
    names = ["total"] + (["interface", "bulk"] if routes_known else [])
    y_all = np.array([np.asarray(trajectories[k][0], float) for k in names])
    e_all = np.array([np.asarray(trajectories[k][1], float) for k in names])
    keep = np.all(np.isfinite(y_all) & np.isfinite(e_all) & (e_all > 0), axis=0)
    keep &= np.isfinite(t_all)
    if short_h is not None:
        keep &= t_all <= short_h
    t, y, e = t_all[keep], y_all[:, keep], e_all[:, keep]
    cur = None if current_ma is None else np.asarray(current_ma, float)[keep]
    m_all = np.array(
        [np.asarray((model_err or {}).get(k, np.full(t_all.size, np.nan)), float) for k in names]
    )
    m = m_all[:, keep]
    det = [1, 2] if routes_known else [0]
    det_names = [names[d] for d in det]
    pen = bic_penalty(t.size, 1)
    criterion = (
        "kinks on each of " + ", ".join(det_names) + " separately: exact optimal partitioning "
        "(= ruptures Pelt jump=1 without pruning) of a weighted least-squares line cost whose "
        f"segments share their boundary point, BIC penalty 2 ln n = {pen:.2f} per kink of a "
        "continuous piecewise-linear trajectory, kinks pruned under the continuous spline; "
        "point-to-point errors from chord residuals without those at the kinks; names by the "
        "stage rule on the fitted "
        f"splines: growing when the rise over {window_h:g} h exceeds {detection_sigmas:g} sqrt(2) "
        "sigma_route (median point-to-point error)"
    )
    if t.size < 3:
        stages = []
        if t.size:
            stages = [Stage("stall", float(t[0]), float(t[-1]), route="unknown")]
        return StageResult(stages, [], [], {}, pen, criterion + "; too few points")
    e_pp = np.empty_like(e)
    scales, sig_pp = {}, {}
    for d, nm in enumerate(names):
        e_pp[d], scales[nm], sig_pp[nm] = point_to_point_errors(t, y[d], e[d])
    for d in det:
        e_pp[d], scales[names[d]], sig_pp[names[d]] = _noise_without_kinks(t, y[d], e[d], pen)
    knots, fits, thr, labels, runs = _analyse(
        t, y[det], e_pp[det], det_names, pen, window_h, detection_sigmas, routes_known
    )
    times = _stage_times(t, runs)
    tb = _boundaries(t, runs)
    b_err = _bootstrap(
        t, fits, e_pp[det], det_names, tb, pen, window_h, detection_sigmas, routes_known,
        n_boot, seed,
    )  # fmt: skip
    stages = []
    for k, ((a, b), (start, end)) in enumerate(zip(runs, times, strict=True)):
        lo = int(np.searchsorted(t, start))
        rates = _segment_rates(t, y, e_pp, slice(lo, b + 1), names, cur, m) if b > lo else {}
        if routes_known and rates:
            si = max(rates["interface_umol_per_h"], 0.0)
            sb = max(rates["bulk_umol_per_h"], 0.0)
            rates["interface_share"] = si / (si + sb) if si + sb > 0 else None
        name = str(labels[a])
        route = (
            "known" if routes_known else ("unknown" if name == "stall" else "unknown (no 6Li data)")
        )
        stages.append(
            Stage(
                name,
                start,
                end,
                b_err[k - 1] if k > 0 else None,
                b_err[k] if k < len(tb) else None,
                rates,
                route,
            )
        )
    if short_h is not None:
        # as in the truth: the interval from the last time point to the short is shorted (a
        # zero-length stage at the short when the record ends there), and so is what follows
        end_all = float(t_all[np.isfinite(t_all)][-1])
        start = float(t[-1]) if t.size else float(short_h)
        stages.append(Stage("shorted", start, max(end_all, float(short_h)), route="n/a"))
    return StageResult(
        stages,
        [float(x) for x in tb],
        [float(x) for x in b_err],
        {k: float(v) for k, v in scales.items()},
        pen,
        criterion,
        {nm: [float(t[i]) for i in knots[nm]] for nm in det_names},
        {nm: float(np.median(e_pp[names.index(nm)])) for nm in names},
        {nm: float(v) for nm, v in thr.items()},
        float(window_h),
        float(detection_sigmas),
    )


def _bootstrap(t, fits, e_det, det_names, tb, pen, window_h, z, routes_known, n_boot, seed):
    if tb.size == 0:
        return []
    if n_boot <= 0:
        return [float("nan")] * tb.size
    rng = np.random.default_rng(seed)
    fit = np.array([fits[nm] for nm in det_names])
    # neighbourhood of each boundary: half-way to its neighbours (or the ends)
    edges = np.concatenate([[t[0]], 0.5 * (tb[1:] + tb[:-1]), [t[-1]]])
    sq = np.zeros(tb.size)
    for _ in range(n_boot):
        yb = fit + rng.standard_normal(fit.shape) * e_det
        *_, runs = _analyse(t, yb, e_det, det_names, pen, window_h, z, routes_known)
        found = _boundaries(t, runs)
        for k, tk in enumerate(tb):
            near = found[(found >= edges[k]) & (found <= edges[k + 1])]
            if near.size:
                sq[k] += float(np.min((near - tk) ** 2))
            else:
                sq[k] += max(tk - edges[k], edges[k + 1] - tk) ** 2
    # a boundary lies on a time point; the change it marks lies anywhere in the interval
    # around it: a uniform spread of one median interval in quadrature
    dt = float(np.median(np.diff(t)))
    return list(np.sqrt(sq / n_boot + dt * dt / 12.0))
