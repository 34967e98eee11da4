"""Route attribution: two populations with known fractions and drifting end members."""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.timeline.routes import attribute_routes, effective_end_member, local_llzo_x6


def _populations(t, rate_i, rate_b, x6_i, x6_l, kappa):
    """Exact forward model: amounts per route and x6 of the mixture (Euler on a fine grid)."""
    fine = np.linspace(t[0], t[-1], 4001)
    dt = fine[1] - fine[0]
    ni = nb = 0.0
    n6i = n6b = 0.0
    out = []
    for tk in fine:
        xl = x6_l(tk)
        # exchange: each population relaxes toward the local LLZO
        n6i += -kappa * (n6i - ni * xl) * dt
        n6b += -kappa * (n6b - nb * xl) * dt
        ni, nb = ni + rate_i(tk) * dt, nb + rate_b(tk) * dt
        n6i += rate_i(tk) * dt * x6_i(tk)
        n6b += rate_b(tk) * dt * xl
        out.append((ni, nb, (n6i + n6b) / (ni + nb) if ni + nb > 0 else np.nan))
    out = np.array(out)
    idx = np.searchsorted(fine, t)
    return out[idx, 0], out[idx, 1], out[idx, 2]


def test_constant_end_members_recover_fraction():
    t = np.linspace(0.1, 20, 40)
    ni, nb, x6 = _populations(
        t, lambda s: 1.0, lambda s: 0.0 if s < 8 else 2.0, lambda s: 0.95, lambda s: 0.0759, 0.0
    )
    n = ni + nb
    r = attribute_routes(
        t,
        n,
        0.01 * n + 1e-3,
        x6,
        np.full(t.size, 1e-3),
        np.full(t.size, 0.95),
        np.full(t.size, 0.005),
        np.full(t.size, 0.0759),
        np.full(t.size, 1e-3),
    )
    np.testing.assert_allclose(r.interface_fraction, ni / n, atol=5e-3)
    np.testing.assert_allclose(r.bulk_umol, nb, atol=0.02 * n.max())
    assert r.dominant[0] == "interface" and r.dominant[-1] == "bulk"
    assert np.all(r.interface_fraction_err > 0)


def test_drifting_end_members_and_exchange():
    t = np.linspace(0.2, 30, 60)
    x6l = lambda s: 0.0759 + 0.01 * s  # noqa: E731  the LLZO enriches over time
    x6i = lambda s: 0.95 - 0.005 * s  # noqa: E731  the electrode depletes
    kappa = 0.03
    ni, nb, x6 = _populations(t, lambda s: 1.0, lambda s: 0.5 if s > 10 else 0.0, x6i, x6l, kappa)
    n = ni + nb
    args = (
        t,
        n,
        np.full(t.size, 1e-3),
        x6,
        np.full(t.size, 1e-3),
        x6i(t),
        np.full(t.size, 0.005),
        x6l(t),
        np.full(t.size, 0.002),
    )
    with_ex = attribute_routes(*args, exchange_per_h=kappa)
    no_ex = attribute_routes(*args, exchange_per_h=0.0)
    truth = ni / n
    err_with = np.mean(np.abs(with_ex.interface_fraction - truth))
    err_without = np.mean(np.abs(no_ex.interface_fraction - truth))
    assert err_with < 0.03
    assert err_with < 0.5 * err_without  # ignoring exchange makes interface metal look bulk


def test_effective_end_member_limits():
    t = np.array([0.0, 1.0, 2.0])
    w = np.array([1.0, 1.0, 0.0])
    src, loc = np.array([0.9, 0.7, 0.5]), np.array([0.1, 0.1, 0.1])
    # no exchange: the amount-weighted mean of the sources formed so far
    np.testing.assert_allclose(effective_end_member(t, w, src, loc, 0.0), [0.9, 0.8, 0.8])
    # fast exchange: metal formed earlier is at the local value; just-formed metal is not yet
    fast = effective_end_member(t, w, src, loc, 1e3)
    np.testing.assert_allclose(fast[1:], [0.1 + 0.5 * (0.7 - 0.1), 0.1], atol=1e-6)


def test_coinciding_end_members_raise():
    t = np.linspace(0, 1, 5)
    one = np.ones(5)
    with pytest.raises(ValueError, match="differ by < 0.01"):
        attribute_routes(t, one, one, 0.5 * one, one, 0.5 * one, one, 0.5 * one, one)


def test_unknown_exchange_rate_is_covered_by_the_model_error():
    """The truth exchanges at 0.015/h; the analysis takes the middle of a plausible 0-0.02/h.
    Without a model error the interface fraction misses its 2-sigma band late in the run; with
    the end members' spread over the range the band covers the truth at every point."""
    t = np.linspace(0.5, 40, 80)
    x6l = lambda s: 0.0759 + 0.0 * s  # noqa: E731
    x6i = lambda s: 0.95 + 0.0 * s  # noqa: E731
    ni, nb, x6 = _populations(t, lambda s: 1.0, lambda s: 0.8 if s > 15 else 0.0, x6i, x6l, 0.015)
    n = ni + nb
    args = (
        t, n, np.full(t.size, 1e-3), x6, np.full(t.size, 2e-3),
        x6i(t), np.full(t.size, 0.005), x6l(t), np.full(t.size, 5e-4),
    )  # fmt: skip
    truth = ni / n
    plain = attribute_routes(*args, exchange_per_h=0.01)
    model = attribute_routes(*args, exchange_per_h=0.01, exchange_range_per_h=(0.0, 0.02))
    miss_plain = np.abs(plain.interface_fraction - truth) > 2 * plain.interface_fraction_err
    miss_model = np.abs(model.interface_fraction - truth) > 2 * model.interface_fraction_err
    assert miss_plain[-10:].all()
    assert not miss_model.any()
    # the model error grows with the age of the metal and vanishes at the start
    assert model.x6_interface_model_err[0] == pytest.approx(0.0, abs=1e-3)
    assert model.x6_interface_model_err[-1] > 0.05
    np.testing.assert_allclose(model.interface_fraction, plain.interface_fraction)


def test_relaxation_follows_a_drifting_local_x6_exactly():
    """One batch formed at t0 relaxing toward a local x6 that drifts linearly: the analytic
    solution of dX/dt = -kappa (X - x0 - r t) is x_L(t) - r/kappa + (X0 - x_L(t0) + r/kappa)
    exp(-kappa (t - t0)). Relaxing toward the current local value (the form used before) was
    off by ~ r kappa a^2 / 2 at age a: 0.04 here after 20 h."""
    t = np.linspace(0.0, 40.0, 81)
    kappa, r, x0 = 0.03, 0.01, 0.0759
    loc = x0 + r * t
    w = np.zeros(t.size)
    w[4] = 2.0  # formed at 2 h at the source's 0.95
    src = np.full(t.size, 0.95)
    got = effective_end_member(t, w, src, loc, kappa)
    a = t[4:] - t[4]
    want = loc[4:] - r / kappa + (0.95 - loc[4] + r / kappa) * np.exp(-kappa * a)
    np.testing.assert_allclose(got[4:], want, atol=1e-12)
    old_form = loc[4:] + (0.95 - loc[4:]) * np.exp(-kappa * a)
    assert np.max(np.abs(old_form - want)) > 0.03
    # a second batch joins as a weighted mean; before any metal: the source's x6
    w[40] = 1.0
    both = effective_end_member(t, w, src, loc, kappa)
    np.testing.assert_allclose(both[40], (2.0 * got[40] + 0.95) / 3.0, atol=1e-12)
    assert np.all(both[:4] == 0.95)


@pytest.mark.parametrize(
    "rate_i, rate_b, kappa",
    [
        (lambda s: 1.0, lambda s: 0.5 if s > 10 else 0.0, 0.03),
        (lambda s: 1.0 if s < 3 or s > 20 else 0.0, lambda s: 1.0 if 6 < s < 12 else 0.0, 0.03),
        (
            lambda s: 2.0 if s < 1 else (0.5 if s > 8 else 0.0),
            lambda s: 0.3 if 4 < s < 6 else 0.0,
            0.01,
        ),
    ],
)
def test_route_specific_formation_weights(rate_i, rate_b, kappa):
    """Routes that grow at different times (interface, stall, bulk, interface again) with
    drifting sources and exchange: each population's effective x6 is the history of its own
    growth (the fixed point), not of the total's. Measured on these histories: interface
    fraction MAE 0.0011-0.0055 with route-specific weights, 0.0043-0.0125 with the total's
    (bulk amounts within 2 % of the largest vs 3-16 %)."""
    t = np.linspace(0.2, 30, 60)
    x6l = lambda s: 0.0759 + 0.01 * s  # noqa: E731
    x6i = lambda s: 0.95 - 0.005 * s  # noqa: E731
    ni, nb, x6 = _populations(t, rate_i, rate_b, x6i, x6l, kappa)
    n = ni + nb
    args = (
        t, n, np.full(t.size, 1e-3), x6, np.full(t.size, 1e-3),
        x6i(t), np.full(t.size, 0.005), x6l(t), np.full(t.size, 0.002),
    )  # fmt: skip
    own = attribute_routes(*args, exchange_per_h=kappa)
    total = attribute_routes(*args, exchange_per_h=kappa, route_weights=False)
    truth = ni / n
    err_own = np.mean(np.abs(own.interface_fraction - truth))
    err_total = np.mean(np.abs(total.interface_fraction - truth))
    assert err_own < 0.007
    assert err_own < 0.75 * err_total
    assert np.max(np.abs(own.bulk_umol - nb)) < 0.03 * nb.max()


def test_local_llzo_bounds():
    """Central value: the measured line (the pellet's mean); bounds: the deep LLZO's initial x6
    and the shallowest zone, x0 + L / (2 Z_min) (line - x0), in either scheme."""
    line = np.array([0.0759, 0.10, 0.15])
    z = local_llzo_x6(line, np.full(3, 1e-3), 0.0759, 1000.0, zone_min_um=200.0)
    assert z.factor == pytest.approx(2.5)
    np.testing.assert_allclose(z.x6, line)
    np.testing.assert_allclose(z.x6_lo, 0.0759)
    np.testing.assert_allclose(z.x6_hi, 0.0759 + 2.5 * (line - 0.0759))
    # scheme B: enriched LLZO that the natural electrodes deplete
    b = local_llzo_x6(np.array([0.95, 0.90]), np.zeros(2), 0.95, 1000.0, zone_min_um=200.0)
    np.testing.assert_allclose(b.x6_hi, 0.95)
    np.testing.assert_allclose(b.x6_lo, [0.95, 0.95 - 2.5 * 0.05])
    # a zone deeper than half the pellet is the half pellet; a thin pellet caps the factor at 1
    assert local_llzo_x6(line, line, 0.0759, 300.0, zone_min_um=200.0).factor == 1.0
    with pytest.raises(ValueError, match="positive"):
        local_llzo_x6(line, line, 0.0759, 0.0)


def test_local_llzo_bounds_cover_metal_formed_deep():
    """Bulk Li0 that forms deep in the pellet, at the LLZO's initial x6, while the line (the
    pellet's mean) rises: the central end member is too high, and the bounds' model error makes
    the stated errors cover the true fraction (they did not without it)."""
    t = np.linspace(0.5, 40, 80)
    x0 = 0.0759
    deep = lambda s: x0 + 0.0 * s  # noqa: E731
    ni, nb, x6 = _populations(
        t, lambda s: 1.0 if s < 2 else 0.1, lambda s: 0.6 if s > 8 else 0.0,
        lambda s: 0.95 + 0.0 * s, deep, 0.0,
    )  # fmt: skip
    n = ni + nb
    line = x0 + 0.004 * t  # the pellet's mean rises by exchange with the electrodes
    z = local_llzo_x6(line, np.full(t.size, 3e-4), x0, 1000.0)
    args = (
        t, n, np.full(t.size, 1e-3), x6, np.full(t.size, 2e-3),
        np.full(t.size, 0.95), np.full(t.size, 0.005), z.x6, z.x6_err,
    )  # fmt: skip
    truth = ni / n
    plain = attribute_routes(*args)
    model = attribute_routes(*args, x6_local_bounds=(z.x6_lo, z.x6_hi))
    late = t > 20
    assert (
        np.mean(
            np.abs(plain.interface_fraction - truth)[late] > 2 * plain.interface_fraction_err[late]
        )
        > 0.5
    )
    assert not np.any(np.abs(model.interface_fraction - truth) > 2 * model.interface_fraction_err)
    np.testing.assert_allclose(model.interface_fraction, plain.interface_fraction)


def test_statistical_route_errors_leave_out_the_end_members():
    """The *_stat_err of the route amounts hold the metal's x6 and amount errors alone (the
    end members' errors are common to neighbouring points and cancel in a growth test):
    hypot(f sigma_n, n sigma_x6 / |X_I - X_B|) exactly, the same with or without the model
    errors, and never above the full errors."""
    t = np.linspace(0.5, 30, 60)
    ni, nb, x6 = _populations(
        t, lambda s: 1.0, lambda s: 0.5 if s > 10 else 0.0,
        lambda s: 0.95 + 0.0 * s, lambda s: 0.0759 + 0.003 * s, 0.01,
    )  # fmt: skip
    n = ni + nb
    s_n, s_x6 = np.full(t.size, 0.2), np.full(t.size, 0.01)
    loc = 0.0759 + 0.003 * t
    args = (
        t,
        n,
        s_n,
        x6,
        s_x6,
        np.full(t.size, 0.95),
        np.full(t.size, 0.01),
        loc,
        np.full(t.size, 0.003),
    )
    plain = attribute_routes(*args, exchange_per_h=0.01)
    model = attribute_routes(
        *args, exchange_per_h=0.01, exchange_range_per_h=(0.0, 0.02),
        x6_local_bounds=(np.full(t.size, 0.0759), 0.0759 + 0.0075 * t),
    )  # fmt: skip
    f, c = model.interface_fraction, model.x6_interface_eff - model.x6_bulk_eff
    np.testing.assert_allclose(
        model.interface_umol_stat_err, np.hypot(f * s_n, n * s_x6 / np.abs(c))
    )
    np.testing.assert_allclose(
        model.bulk_umol_stat_err, np.hypot((1 - f) * s_n, n * s_x6 / np.abs(c))
    )
    np.testing.assert_allclose(model.interface_umol_stat_err, plain.interface_umol_stat_err)
    assert np.all(model.interface_umol_stat_err <= plain.interface_umol_err + 1e-15)
    assert np.all(plain.interface_umol_err <= model.interface_umol_err + 1e-15)
    assert (
        model.bulk_umol_err[-1] > 2 * model.bulk_umol_stat_err[-1]
    )  # the model error dominates late


def test_a_point_without_measured_metal_keeps_its_route_amounts():
    """First point with a total consistent with zero but no x6 (6Li + 7Li atoms <= 0, as the
    decomposition reports on three of nine simulated studies): its routes come from the next
    point's composition with any x6 (CARRIED_X6_ERR), so the growth tests keep it as the
    baseline; the fraction there stays undefined. Analytic: interface = f_next * n."""
    from dendritemr.timeline.routes import CARRIED_X6_ERR

    t = np.array([0.0, 0.5, 1.0, 1.5])
    n = np.array([-0.3, 1.5, 2.1, 2.2])
    x6 = np.array([np.nan, 0.9, 0.9, 0.9])
    args = (
        t,
        n,
        np.full(4, 0.4),
        x6,
        np.full(4, 0.02),
        np.full(4, 0.95),
        np.full(4, 0.005),
        np.full(4, 0.0759),
        np.full(4, 1e-3),
    )
    r = attribute_routes(*args)
    f_next = (0.9 - 0.0759) / (0.95 - 0.0759)
    assert np.isclose(r.interface_fraction[1], f_next, atol=1e-6)
    assert np.isnan(r.interface_fraction[0]) and np.isnan(r.interface_fraction_err[0])
    assert r.dominant[0] is None
    assert np.isclose(r.interface_umol[0], f_next * -0.3, atol=1e-6)
    assert np.isclose(r.bulk_umol[0], (1 - f_next) * -0.3, atol=1e-6)
    # error: the total's share plus the unknown composition's (CARRIED_X6_ERR / contrast)
    s_f = np.hypot(CARRIED_X6_ERR, 0.95 * 0.005) / (0.95 - 0.0759)
    assert np.isclose(r.interface_umol_err[0], np.hypot(f_next * 0.4, 0.3 * s_f), rtol=1e-3)
    # no total either: nothing to attribute
    n2 = n.copy()
    n2[0] = np.nan
    r2 = attribute_routes(t, n2, *args[2:])
    assert np.isnan(r2.interface_umol[0]) and np.isnan(r2.bulk_umol[0])
