"""Change points and stage rates on piecewise-linear trajectories with known kinks."""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.timeline.stages import CostLinearCumsum, detect_stages


def _trajectory(rng, t, knots, rates, sigma):
    """Piecewise-linear amount with slopes ``rates`` between ``knots`` (h), plus noise."""
    y = np.zeros_like(t)
    edges = [0.0, *knots, np.inf]
    for a, b, r in zip(edges[:-1], edges[1:], rates, strict=True):
        y += r * np.clip(t - a, 0.0, b - a)
    return y + rng.normal(0.0, sigma, t.size), np.full(t.size, sigma)


def test_cost_is_chi_square_of_weighted_line():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 10, 40))
    y = rng.normal(size=(40, 2))
    e = rng.uniform(0.5, 2.0, size=(2, 40))
    cost = CostLinearCumsum(t, e).fit(y)
    for a, b in [(0, 40), (3, 17), (10, 13)]:
        chi2 = 0.0
        for d in range(2):
            w = 1 / e[d, a:b]
            coef = np.polyfit(t[a:b], y[a:b, d], 1, w=w)
            chi2 += np.sum(((y[a:b, d] - np.polyval(coef, t[a:b])) * w) ** 2)
        assert cost.error(a, b) == pytest.approx(chi2, rel=1e-7)


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_growth_stall_growth_boundaries_and_rates(seed):
    rng = np.random.default_rng(seed)
    k1, k2 = float(rng.uniform(3, 5)), float(rng.uniform(8, 11))
    t = np.arange(0.0, 16.0, 0.25)
    y, e = _trajectory(rng, t, [k1, k2], [2.0, 0.0, 1.0], 0.1)
    res = detect_stages(t, {"total": (y, e)}, current_ma=np.full(t.size, 0.3), n_boot=60)
    names = [s.name for s in res.stages]
    assert names == ["mixed-growth", "stall", "mixed-growth"]  # growth routes unknown
    assert res.stages[1].start_h == pytest.approx(k1, abs=0.5)
    assert res.stages[2].start_h == pytest.approx(k2, abs=0.5)
    g = res.stages[0].rates
    assert g["total_umol_per_h"] == pytest.approx(2.0, abs=3 * g["total_umol_per_h_err"] + 0.05)
    # per charge: 2 umol/h at 0.3 mA = 6.67 umol/mAh; F share = 6.67 / 37.31
    assert g["total_umol_per_mAh"] == pytest.approx(2.0 / 0.3, rel=0.05)
    assert g["total_charge_share"] == pytest.approx(2.0 / 0.3 / 37.31, rel=0.05)
    assert all(err > 0 for err in res.boundaries_err_h)


def test_boundary_errors_cover_truth_at_about_nominal_rate():
    hits, total = 0, 0
    for seed in range(30, 46):
        rng = np.random.default_rng(seed)
        k = float(rng.uniform(4, 8))
        t = np.arange(0.0, 12.0, 0.25)
        y, e = _trajectory(rng, t, [k], [1.0, 0.4], 0.15)
        res = detect_stages(t, {"total": (y, e)}, n_boot=40, seed=seed)
        if len(res.boundaries_h) != 1:
            continue
        total += 1
        hits += abs(res.boundaries_h[0] - k) <= 2 * res.boundaries_err_h[0]
    assert total >= 12
    assert hits / total >= 0.8  # nominal 95 % for 2 sigma; kinks fall between samples


def test_bic_finds_no_change_in_a_straight_line():
    false = 0
    for seed in range(60, 80):
        rng = np.random.default_rng(seed)
        t = np.arange(0.0, 20.0, 0.5)
        y, e = _trajectory(rng, t, [], [1.5], 0.2)
        res = detect_stages(t, {"total": (y, e)}, n_boot=0)
        false += len(res.boundaries_h) > 0
    assert false <= 2


def test_routes_name_interface_and_bulk_stages_and_short():
    rng = np.random.default_rng(4)
    t = np.arange(0.0, 20.0, 0.25)
    yi, ei = _trajectory(rng, t, [5.0, 12.0], [3.0, 0.0, 0.5], 0.1)
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
    assert names == ["interface-growth", "stall", "bulk-nucleation", "shorted"]
    assert res.stages[2].start_h == pytest.approx(12.0, abs=0.5)
    assert res.stages[-1].start_h == 18.0


def test_noise_scale_when_errors_are_understated():
    rng = np.random.default_rng(9)
    t = np.arange(0.0, 20.0, 0.25)
    y, _ = _trajectory(rng, t, [], [1.0], 0.3)
    res = detect_stages(t, {"total": (y, np.full(t.size, 0.1))}, n_boot=0)
    assert res.noise_scale == pytest.approx(3.0, rel=0.3)
    assert res.boundaries_h == []


@pytest.mark.parametrize("seed", [31, 32])
def test_slowing_growth_without_routes_keeps_its_change_point(seed):
    """7Li only (as the real TEGDME cell): growth at 4 umol/h slowing to 1 umol/h. Both stages
    are mixed-growth (routes unknown) but stay apart, each with its own rate."""
    rng = np.random.default_rng(seed)
    k = float(rng.uniform(4, 8))
    t = np.arange(0.0, 12.0, 0.1)
    y, e = _trajectory(rng, t, [k], [4.0, 1.0], 0.1)
    res = detect_stages(t, {"total": (y, e)}, n_boot=40)
    assert [s.name for s in res.stages] == ["mixed-growth", "mixed-growth"]
    assert res.stages[1].start_h == pytest.approx(k, abs=0.3)
    for stage, rate in zip(res.stages, (4.0, 1.0), strict=True):
        r = stage.rates
        assert r["total_umol_per_h"] == pytest.approx(rate, abs=3 * r["total_umol_per_h_err"])
