"""Growth stages: change points in the growth rates of the metal trajectories, per-stage rates.

Method
------
1. Model. A stage is a stretch of constant growth rate: each trajectory y (total metal, and per
   route when 6Li data give them; standard errors e) is piecewise linear in time.
2. Noise. The stated errors are checked on second differences, which a linear trend does not
   touch: ``d_k = y_{k+1} - 2 y_k + y_{k-1}`` over ``sqrt(e_{k-1}^2 + 4 e_k^2 + e_{k+1}^2)``; if
   their robust scatter (MAD / 0.6745) exceeds 1 the errors are scaled up by it (``noise_scale``).
3. Change points: ruptures ``Pelt`` (``jump=1``, ``min_size=3``) with a weighted least-squares
   line cost per segment (:class:`CostLinearCumsum`: chi-square of the best line, i.e.
   -2 log L of Gaussian errors) on every trajectory (the total, the most precise, and the
   routes when known) and the BIC penalty ``(2 d + 1) ln(n)`` per change point
   (slope and intercept per dimension plus the location; Schwarz 1978). A change between points
   ``b - 1`` and ``b`` is placed half-way between them.
4. Per-stage rates: weighted least-squares slope of each trajectory over the stage's points
   (umol/h) with its standard error (scaled by sqrt(chi2_red) when > 1), the rate per charge
   passed (umol/mAh: slope / mean current) and its share of the charge (slope / (I / F)).
5. Boundary uncertainty: parametric bootstrap (``n_boot`` draws of the fitted piecewise-linear
   trajectories plus Gaussian noise of the scaled errors, detected again); each boundary's
   standard error is the RMS distance to the nearest bootstrap boundary in its neighbourhood
   (or to the edge of the neighbourhood when none is found there).
6. Names (``dendritemr.results_schema.STAGE_NAMES``): a stage whose total rate is below
   ``2 sigma`` or below ``stall_fraction`` of the largest stage rate is ``stall``; otherwise the
   interface share of its growth rate (when routes are known) gives ``interface-growth``
   (>= 0.75), ``bulk-nucleation`` (<= 0.25) or ``mixed-growth``; without routes a growth stage is
   named ``mixed-growth`` and marked ``route: unknown``. Time after the short is ``shorted``.
   Neighbouring stages of one name are merged (rates refitted over the merged range), except
   growth stages without routes: they keep the change points between them (a growth rate
   that changes), each with its own rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import ruptures as rpt
from ruptures.base import BaseCost

from dendritemr.physics import mah_to_umol

__all__ = ["Stage", "StageResult", "detect_stages", "CostLinearCumsum", "bic_penalty"]


class CostLinearCumsum(BaseCost):
    """Weighted least-squares line cost: chi-square of the best straight line over a segment,
    summed over dimensions, in O(1) per segment from cumulative sums.

    Parameters
    ----------
    t : sample times, shape ``(n,)``.
    err : standard errors, shape ``(d, n)``; the signal passed to :meth:`fit` is ``(n, d)``.
    """

    model = "wls-line"
    min_size = 3

    def __init__(self, t, err):
        self.t = np.asarray(t, float)
        self.err = np.atleast_2d(np.asarray(err, float))

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
    the start of the last segment: the same optimum as ruptures ``Pelt`` with ``jump=1``
    (PELT only prunes candidates that cannot win). Returns change points as ruptures does
    (first index of each new segment, without ``n``)."""
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
    """BIC penalty per change point of a piecewise-linear fit: ``(2 dims + 1) ln(n)``."""
    return (2 * dims + 1) * float(np.log(max(n, 2)))


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
        """Results-schema entry (``name``, ``start_h``, ``end_h``) plus the extras."""
        return {
            "name": self.name,
            "start_h": self.start_h,
            "end_h": self.end_h,
            "start_err_h": self.start_err_h,
            "end_err_h": self.end_err_h,
            "rates": self.rates,
            "route": self.route,
        }


@dataclass
class StageResult:
    """Stages, the raw change points and how they were found."""

    stages: list[Stage]
    boundaries_h: list[float]
    boundaries_err_h: list[float]
    noise_scale: float
    penalty: float
    criterion: str

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return {
            "stages": [s.to_dict() for s in self.stages],
            "boundaries_h": self.boundaries_h,
            "boundaries_err_h": self.boundaries_err_h,
            "noise_scale": self.noise_scale,
            "penalty": self.penalty,
            "criterion": self.criterion,
        }


def _noise_scale(y: np.ndarray, e: np.ndarray) -> float:
    """Robust scatter of normalised second differences (1 when the errors are right)."""
    if y.shape[1] < 4:
        return 1.0
    d2 = y[:, 2:] - 2 * y[:, 1:-1] + y[:, :-2]
    s = np.sqrt(e[:, 2:] ** 2 + 4 * e[:, 1:-1] ** 2 + e[:, :-2] ** 2)
    return max(float(np.median(np.abs(d2 / s)) / 0.6745), 1.0)


def _changes(t, y, e, pen: float, fast: bool = False) -> list[int]:
    """Change points (first point of each new segment) of trajectories ``y`` (d, n)."""
    n = y.shape[1]
    if n < 6:
        return []
    if not fast:
        algo = rpt.Pelt(custom_cost=CostLinearCumsum(t, e), jump=1, min_size=3).fit(y.T)
        return [b for b in algo.predict(pen=pen) if b < n]
    return optimal_partition(CostLinearCumsum(t, e).fit(y.T), pen, 3)


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


def _piecewise_fit(t, y, e, bounds):
    """Piecewise-linear fit of each row of y over point ranges ``bounds`` [(i0, i1)]."""
    fit = np.empty_like(y)
    for i0, i1 in bounds:
        sl = slice(i0, i1 + 1)
        for d in range(y.shape[0]):
            w = 1.0 / np.maximum(e[d, sl], 1e-300) ** 2
            a = np.vstack([t[sl], np.ones(i1 - i0 + 1)]).T
            beta = np.linalg.lstsq(a * np.sqrt(w)[:, None], y[d, sl] * np.sqrt(w), rcond=None)[0]
            fit[d, sl] = a @ beta
    return fit


def _bounds(n_points: int, cps: list[int]) -> list[tuple[int, int]]:
    """Inclusive point ranges of the segments between change points."""
    edges = [0, *cps, n_points]
    return [(a, b - 1) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _boundary_times(t: np.ndarray, cps: list[int]) -> np.ndarray:
    return np.array([0.5 * (t[c - 1] + t[c]) for c in cps])


def detect_stages(
    hours: np.ndarray,
    trajectories: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    current_ma: np.ndarray | None = None,
    short_h: float | None = None,
    routes_known: bool = False,
    n_boot: int = 100,
    stall_fraction: float = 0.1,
    seed: int = 0,
) -> StageResult:
    """Find growth stages in metal trajectories.

    Parameters
    ----------
    hours : time points, h since cycling started, increasing, shape ``(n,)``.
    trajectories : ``{"total": (umol, err), "interface": ..., "bulk": ...}``, arrays ``(n,)``;
        ``total`` is required; ``interface``/``bulk`` (with ``routes_known``) name stages by route.
        Points with NaN are dropped.
    current_ma : mean current per time point (mA), for rates per charge; None: not given.
    short_h : short-circuit time (h): points after it are excluded and a ``shorted`` stage added.
    n_boot : bootstrap draws for the boundary uncertainty (0: none).
    stall_fraction : a stage growing slower than this fraction of the fastest stage is a stall.
    seed : random seed of the bootstrap.
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
    det = [0] if not routes_known else [0, 1, 2]  # trajectories used for change points
    pen = bic_penalty(t.size, len(det))
    criterion = (
        "ruptures Pelt, jump=1, min_size=3, weighted least-squares line cost "
        f"({', '.join(names[d] for d in det)}), BIC penalty (2d+1) ln n = {pen:.2f}"
    )
    if t.size < 3:
        stages = []
        if t.size:
            stages = [Stage("stall", float(t[0]), float(t[-1]), route="unknown")]
        return StageResult(stages, [], [], 1.0, pen, criterion + "; too few points")
    scale = _noise_scale(y[det], e[det])
    e_s = e * scale
    cps = _changes(t, y[det], e_s[det], pen)
    bounds = _bounds(t.size, cps)
    tb = _boundary_times(t, cps)
    b_err = _bootstrap(t, y, e_s, det, bounds, cps, pen, n_boot, seed)
    stages = _name(t, tb, y, e_s, bounds, cps, b_err, names, cur, routes_known, stall_fraction)
    if short_h is not None:
        end = float(t_all[np.isfinite(t_all)][-1])
        stages.append(Stage("shorted", float(short_h), max(end, float(short_h)), route="n/a"))
    return StageResult(
        stages,
        [float(x) for x in tb],
        [float(x) for x in b_err],
        scale,
        pen,
        criterion,
    )


def _bootstrap(t, y, e, det, bounds, cps, pen, n_boot, seed) -> list[float]:
    if not cps:
        return []
    if n_boot <= 0:
        return [float("nan")] * len(cps)
    rng = np.random.default_rng(seed)
    fit = _piecewise_fit(t, y, e, bounds)
    tb = _boundary_times(t, cps)
    # neighbourhood of each boundary: half-way to its neighbours (or the ends)
    edges = np.concatenate([[t[0]], 0.5 * (tb[1:] + tb[:-1]), [t[-1]]])
    sq = np.zeros(len(cps))
    for _ in range(n_boot):
        yb = fit + rng.standard_normal(y.shape) * e
        found = _boundary_times(t, _changes(t, yb[det], e[det], pen, fast=True))
        for k, tk in enumerate(tb):
            near = found[(found >= edges[k]) & (found <= edges[k + 1])]
            if near.size:
                sq[k] += float(np.min((near - tk) ** 2))
            else:
                sq[k] += max(tk - edges[k], edges[k + 1] - tk) ** 2
    return list(np.sqrt(sq / n_boot))


def _segment_rates(t, y, e, sl, names, cur) -> dict:
    rates = {}
    for d, nm in enumerate(names):
        slope, err = _wls(t[sl], y[d, sl], e[d, sl])
        rates[f"{nm}_umol_per_h"] = slope
        rates[f"{nm}_umol_per_h_err"] = err
        if cur is not None:
            i_mean = float(np.nanmean(cur[sl]))
            ok = np.isfinite(i_mean) and i_mean != 0
            per_mah = slope / i_mean if ok else float("nan")
            rates[f"{nm}_umol_per_mAh"] = per_mah
            rates[f"{nm}_umol_per_mAh_err"] = abs(err / i_mean) if ok else float("nan")
            rates[f"{nm}_charge_share"] = per_mah / float(mah_to_umol(1.0))
    return rates


def _classify(rates: dict, fastest: float, routes_known: bool, stall_fraction: float):
    s, se = rates["total_umol_per_h"], rates["total_umol_per_h_err"]
    if s < 2 * se or s < stall_fraction * fastest:
        return "stall", "known" if routes_known else "unknown"
    if not routes_known:
        return "mixed-growth", "unknown (no 6Li data)"
    si = max(rates["interface_umol_per_h"], 0.0)
    sb = max(rates["bulk_umol_per_h"], 0.0)
    share = si / (si + sb) if si + sb > 0 else 0.5
    if share >= 0.75:
        return "interface-growth", "known"
    if share <= 0.25:
        return "bulk-nucleation", "known"
    return "mixed-growth", "known"


def _name(t, tb, y, e, bounds, cps, b_err, names, cur, routes_known, stall_fraction):
    raw = [_segment_rates(t, y, e, slice(i0, i1 + 1), names, cur) for i0, i1 in bounds]
    fastest = max((abs(r["total_umol_per_h"]) for r in raw), default=0.0)
    labels = [_classify(r, fastest, routes_known, stall_fraction) for r in raw]
    # merge neighbours of one name; rates are refitted over the merged range
    groups: list[list[int]] = []
    for k, lab in enumerate(labels):
        # without routes every growth stage is "mixed-growth": keep the change points between
        # them (growth that slows or speeds up), merge only stalls and route-named stages
        same = groups and labels[groups[-1][0]] == lab
        if same and (routes_known or lab[0] == "stall"):
            groups[-1].append(k)
        else:
            groups.append([k])
    stages = []
    for g in groups:
        i0, i1 = bounds[g[0]][0], bounds[g[-1]][1]
        rates = _segment_rates(t, y, e, slice(i0, i1 + 1), names, cur)
        if routes_known:
            si = max(rates["interface_umol_per_h"], 0.0)
            sb = max(rates["bulk_umol_per_h"], 0.0)
            rates["interface_share"] = si / (si + sb) if si + sb > 0 else None
        name, route = labels[g[0]]
        start_err = b_err[g[0] - 1] if g[0] > 0 else None
        end_err = b_err[g[-1]] if g[-1] < len(cps) else None
        start = float(t[0]) if g[0] == 0 else float(tb[g[0] - 1])
        end = float(t[-1]) if g[-1] == len(cps) else float(tb[g[-1]])
        stages.append(Stage(name, start, end, start_err, end_err, rates, route))
    return stages
