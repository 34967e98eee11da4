"""Route attribution: two populations with known fractions and drifting end members."""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.timeline.routes import attribute_routes, effective_end_member


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
