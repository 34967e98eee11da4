"""Change points and stage rates on piecewise-linear trajectories with known kinks.

Expected stages come from the truth's own stage rule (:func:`dendritemr.sim.cell.stages.
observer_stages`) applied to the noiseless trajectory at the same time points, with the noise
as the route error: the analysis must find what the rule labels in the truth.
"""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.physics import mah_to_umol
from dendritemr.sim.cell.stages import observer_stages
from dendritemr.timeline.stages import (
    STAGE_DETECTION_SIGMAS,
    STAGE_WINDOW_H,
    CostLinearCumsum,
    detect_stages,
)


def _line(t, knots, rates):
    """Continuous piecewise-linear amount, 0 at t = 0, slopes ``rates`` between ``knots`` (h)."""
    y = np.zeros_like(t)
    edges = [0.0, *knots, np.inf]
    for a, b, r in zip(edges[:-1], edges[1:], rates, strict=True):
        y += r * np.clip(t - a, 0.0, b - a)
    return y


def _trajectory(rng, t, knots, rates, sigma):
    """Piecewise-linear amount plus Gaussian noise of ``sigma``; stated errors ``sigma``."""
    return _line(t, knots, rates) + rng.normal(0.0, sigma, t.size), np.full(t.size, sigma)


def _rule_boundaries(t, y_true, sigma, total_only=True):
    """Stage boundaries of the truth's rule on a noiseless trajectory (total as one route)."""
    thr = STAGE_DETECTION_SIGMAS * np.sqrt(2) * sigma
    st = observer_stages(
        t, y_true, np.zeros_like(t), t[-1], False, STAGE_WINDOW_H, thr, np.inf
    )  # fmt: skip
    st = [s for s in st if s["end_h"] > s["start_h"]]  # the rule's [0, t0] when t0 = 0
    names = [s["name"] for s in st]
    starts = [s["start_h"] for s in st]
    return names, np.array(starts[1:])


def test_cost_is_chi_square_of_weighted_line():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 10, 40))
    y = rng.normal(size=(40, 2))
    e = rng.uniform(0.5, 2.0, size=(2, 40))
    cost = CostLinearCumsum(t, e).fit(y)
    shared = CostLinearCumsum(t, e, shared=True).fit(y)
    for a, b in [(0, 40), (3, 17), (10, 13)]:
        chi2, chi2_shared = 0.0, 0.0
        for d in range(2):
            for lo, out in ((a, "disjoint"), (max(a - 1, 0), "shared")):
                w = 1 / e[d, lo:b]
                coef = np.polyfit(t[lo:b], y[lo:b, d], 1, w=w)
                c = np.sum(((y[lo:b, d] - np.polyval(coef, t[lo:b])) * w) ** 2)
                if out == "disjoint":
                    chi2 += c
                else:
                    chi2_shared += c
        assert cost.error(a, b) == pytest.approx(chi2, rel=1e-7)
        # shared: the segment [a, b) is fitted over the points a - 1 ... b - 1
        assert shared.error(a, b) == pytest.approx(chi2_shared, rel=1e-7)


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_growth_stall_growth_boundaries_and_rates(seed):
    rng = np.random.default_rng(seed)
    k1, k2 = float(rng.uniform(3, 5)), float(rng.uniform(8, 11))
    t = np.arange(0.0, 16.0, 0.25)
    y, e = _trajectory(rng, t, [k1, k2], [2.0, 0.0, 1.0], 0.1)
    res = detect_stages(t, {"total": (y, e)}, current_ma=np.full(t.size, 0.3), n_boot=60)
    names = [s.name for s in res.stages]
    assert names == ["mixed-growth", "stall", "mixed-growth"]  # growth routes unknown
    assert res.stages[0].route == "unknown (no 6Li data)"
    rule_names, rule_b = _rule_boundaries(t, _line(t, [k1, k2], [2.0, 0.0, 1.0]), 0.1)
    assert rule_names == ["interface-growth", "stall", "interface-growth"]
    # the rule's trailing window puts the stall's start after the kink (by up to 1 h)
    assert res.boundaries_h == pytest.approx(list(rule_b), abs=0.26)
    cps = np.array(res.change_points_h["total"])
    assert all(np.min(np.abs(cps - k)) <= 0.25 for k in (k1, k2))  # within one interval
    # the first stage's rate: the noiseless trajectory's slope over the same points
    g = res.stages[0].rates
    sel = t <= res.stages[0].end_h + 1e-9
    expect = np.polyfit(t[sel], _line(t[sel], [k1, k2], [2.0, 0.0, 1.0]), 1)[0]
    assert g["total_umol_per_h"] == pytest.approx(expect, abs=3 * g["total_umol_per_h_err"])
    # per charge: rate / 0.3 mA; share of the charge: per mAh over F (1 mAh = 37.31 umol)
    assert g["total_umol_per_mAh"] == pytest.approx(g["total_umol_per_h"] / 0.3, rel=1e-9)
    assert float(mah_to_umol(1.0)) == pytest.approx(37.31, abs=0.01)
    assert g["total_charge_share"] == pytest.approx(g["total_umol_per_mAh"] / 37.31, rel=1e-3)
    assert all(err > 0 for err in res.boundaries_err_h)


def test_boundary_errors_cover_truth_at_about_nominal_rate():
    hits, total = 0, 0
    for seed in range(30, 46):
        rng = np.random.default_rng(seed)
        k = float(rng.uniform(4, 8))
        t = np.arange(0.0, 12.0, 0.25)
        y, e = _trajectory(rng, t, [k], [1.0, 0.4], 0.15)
        res = detect_stages(t, {"total": (y, e)}, n_boot=40, seed=seed)
        _, rule_b = _rule_boundaries(t, _line(t, [k], [1.0, 0.4]), 0.15)
        if len(res.boundaries_h) != len(rule_b):
            continue
        for b, err, tb in zip(res.boundaries_h, res.boundaries_err_h, rule_b, strict=True):
            total += 1
            # the rule's boundary lies on a time point: allow the half interval of that grid
            hits += abs(b - tb) <= 2 * err + 1e-9
    assert total >= 20
    assert hits / total >= 0.8  # nominal 95 % for 2 sigma


def test_no_change_point_in_a_straight_line():
    """False alarms: straight lines with Gaussian noise (errors stated right, then estimated)."""
    false = 0
    for seed in range(60, 100):
        rng = np.random.default_rng(seed)
        t = np.arange(0.0, 20.0, 0.5)
        y, e = _trajectory(rng, t, [], [1.5], 0.2)
        res = detect_stages(t, {"total": (y, e)}, n_boot=0)
        false += len(res.change_points_h["total"]) > 0
        # steady growth: one growth stage (after the start-up while the rise since the first
        # point is still below the threshold, as in the truth's rule)
        assert [s.name for s in res.stages][-1] == "mixed-growth"
        assert len(res.stages) <= 2
    assert false <= 4  # measured 5 % over 200 such 52-point series (test_stage_rule.py)


def test_routes_name_interface_and_bulk_stages_and_short():
    rng = np.random.default_rng(4)
    t = np.arange(0.0, 20.0, 0.25)
    yi, ei = _trajectory(rng, t, [5.0, 12.0], [3.0, 0.0, 0.2], 0.1)
    yb, eb = _trajectory(rng, t, [5.0, 12.0], [0.0, 0.0, 2.0], 0.1)
    total = (yi + yb, np.hypot(ei, eb))
    res = detect_stages(
        t,
        {"total": total, "interface": (yi, ei), "bulk": (yb, eb)},
        routes_known=True,
        short_h=18.0,
        n_boot=30,
    )
    names = [s.name for s in res.stages]
    # from 12 h the interface grows by 0.2 umol/h: below the rule's 3 sqrt(2) 0.1 = 0.42 umol
    # per 1 h window, so only the bulk route counts as growing
    assert names == ["interface-growth", "stall", "bulk-nucleation", "shorted"]
    assert res.stages[1].start_h == pytest.approx(5.75, abs=0.26)  # kink + trailing window
    assert res.stages[2].start_h == pytest.approx(12.25, abs=0.26)
    assert res.stages[-1].start_h == 18.0
    assert res.threshold_umol["interface"] == pytest.approx(3 * np.sqrt(2) * 0.1, rel=0.3)


def test_noise_scale_when_errors_are_understated():
    rng = np.random.default_rng(9)
    t = np.arange(0.0, 20.0, 0.25)
    y, _ = _trajectory(rng, t, [], [1.0], 0.3)
    res = detect_stages(t, {"total": (y, np.full(t.size, 0.1))}, n_boot=0)
    assert res.noise_scale["total"] == pytest.approx(3.0, rel=0.2)
    assert res.sigma_umol["total"] == pytest.approx(0.3, rel=0.2)
    assert res.change_points_h["total"] == []


@pytest.mark.parametrize("seed", [31, 32])
def test_slowing_growth_without_routes_keeps_its_change_point(seed):
    """7Li only (as the real TEGDME cell): growth at 4 umol/h slowing to 1 umol/h. Both stages
    are mixed-growth (routes unknown) but stay apart, each with its own rate."""
    rng = np.random.default_rng(seed)
    k = float(rng.uniform(4, 8))
    t = np.arange(0.0, 12.0, 0.1)
    y, e = _trajectory(rng, t, [k], [4.0, 1.0], 0.1)
    res = detect_stages(t, {"total": (y, e)}, n_boot=40)
    growth = [s for s in res.stages if s.name != "stall"]
    assert [s.name for s in res.stages][-2:] == ["mixed-growth", "mixed-growth"]
    assert growth[-1].start_h == pytest.approx(k, abs=0.15)
    for stage, rate in zip(growth[-2:], (4.0, 1.0), strict=True):
        r = stage.rates
        assert r["total_umol_per_h"] == pytest.approx(rate, abs=3 * r["total_umol_per_h_err"])


def test_shorted_starts_at_the_last_time_point_before_the_short():
    """As in the truth: the interval in which the short happened is shorted (it was a stage of
    zero length at the short when the record ended there: 'shorted 33.65-33.65')."""
    rng = np.random.default_rng(12)
    t = np.arange(0.0, 10.0, 0.5)
    y, e = _trajectory(rng, t, [4.0], [2.0, 0.0], 0.1)
    res = detect_stages(t, {"total": (y, e)}, short_h=7.3, n_boot=10)
    last = res.stages[-1]
    assert last.name == "shorted"
    assert (last.start_h, last.end_h) == (7.0, 9.5)
    assert res.stages[-2].end_h == 7.0
    res = detect_stages(t[:15], {"total": (y[:15], e[:15])}, short_h=7.3, n_boot=10)
    assert (res.stages[-1].start_h, res.stages[-1].end_h) == (7.0, 7.3)


def test_rate_errors_hold_the_routes_systematic_error():
    """Two routes growing steadily (interface 1.5 umol/h, bulk 0.5 umol/h) with a systematic
    end-member error of 10 % of each amount, the same sign at every point: each stage rate's
    error is the statistical slope error and 10 % of the rate in quadrature; without it, the
    statistical error alone (which is smaller than that 10 %)."""
    rng = np.random.default_rng(77)
    t = np.arange(0.0, 20.0, 0.5)
    inter, bulk = 1.5 * t, 0.5 * t
    e = np.full(t.size, 0.1)
    traj = {
        "total": (inter + bulk + rng.normal(0, 0.1, t.size), np.full(t.size, 0.14)),
        "interface": (inter + rng.normal(0, 0.1, t.size), e),
        "bulk": (bulk + rng.normal(0, 0.1, t.size), e),
    }
    plain = detect_stages(t, traj, routes_known=True, n_boot=0)
    sys_err = {"interface": 0.1 * inter, "bulk": 0.1 * bulk}
    held = detect_stages(t, traj, routes_known=True, n_boot=0, model_err=sys_err)
    assert [s.name for s in held.stages] == [s.name for s in plain.stages]
    last, last0 = held.stages[-1].rates, plain.stages[-1].rates
    for route, rate in (("interface", 1.5), ("bulk", 0.5)):
        stat = last0[f"{route}_umol_per_h_err"]
        assert stat < 0.1 * rate
        assert last[f"{route}_umol_per_h"] == pytest.approx(last0[f"{route}_umol_per_h"])
        assert last[f"{route}_umol_per_h_err"] == pytest.approx(
            np.hypot(stat, 0.1 * rate), rel=1e-6
        )
    assert last["total_umol_per_h_err"] == last0["total_umol_per_h_err"]
