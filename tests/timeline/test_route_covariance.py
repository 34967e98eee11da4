"""Route errors against Monte Carlo draws of the 6Li and 7Li areas (independent numpy check).

The route amounts are linear in the atoms: ``n_I = (n6 (1 - X_B) - X_B n7) / (X_I - X_B)``,
``n_B = n - n_I``. Draw the two areas (and the calibration, K and C7) with a known covariance,
convert them to atoms with the receptivities, compute the routes in numpy and compare their
sample standard deviations with the errors the quantification (``quant.atoms``) and
``attribute_routes`` report, wired as ``analyze`` wires them. Cases where leaving out the
covariance of the amount and its x6 overstates an error by more than 2x: the bulk of
interface-rich metal with X_I 0.95 (scheme A) and the interface with X_I 0.076 (scheme B).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from dendritemr.physics import signal_per_nucleus
from dendritemr.quant import atoms as A
from dendritemr.timeline.routes import attribute_routes

FIELD = 9.4
C7 = 3.0  # 7Li signal per umol
K = 1.3  # C6 / C7
DRAWS = 20000


def _decomposition(a6, a7, s6, s7, corr, stat_scale, nt=3):
    """A one-group decomposition result (``nt`` time points) with the given areas (scalars or
    arrays over time), errors and correlation; the statistical errors are ``stat_scale`` of
    them."""
    area = np.stack(np.broadcast_arrays(a7, a6, np.zeros(nt)))[:2, :, None]  # (7Li, 6Li)
    err = np.stack(np.broadcast_arrays(s7, s6, np.zeros(nt)))[:2, :, None]
    cov = np.full((nt, 1), corr * s6 * s7)
    return xr.Dataset(
        {
            "group_area": (("nucleus", "time", "group"), area),
            "group_area_err": (("nucleus", "time", "group"), err),
            "group_area_cov": (("time", "group"), cov),
            "group_area_stat_err": (("nucleus", "time", "group"), stat_scale * err),
            "group_area_stat_cov": (("time", "group"), stat_scale**2 * cov),
        },
        coords={
            "nucleus": ["7Li", "6Li"],
            "group": ["microstructure"],
            "hours": ("time", 1.0 + np.arange(nt)),
        },
    )


def _reported(ds, xi, xb, k_rel, c7_rel):
    """Routes as ``analyze`` wires them: amounts and x6 of the quantification, end members
    without errors (constant, no exchange)."""
    acq6, acq7, relax = A.Acquisition("6Li"), A.Acquisition("7Li"), A.Relaxation()
    am = A.amount_series(ds, C7, c7_rel, acq7, relax, FIELD, acq6=acq6, k=K, k_rel_err=k_rel)
    x6 = A.x6_series(ds, K, k_rel, acq6, acq7, relax, FIELD)
    g = {"group": "microstructure"}
    nt = ds.sizes["time"]
    return attribute_routes(
        ds["hours"].values,
        am["umol"].sel(g).values,
        am["umol_err"].sel(g).values,
        x6["x6"].sel(g).values,
        x6["x6_err"].sel(g).values,
        np.full(nt, xi),
        np.zeros(nt),
        np.full(nt, xb),
        np.zeros(nt),
        metal_umol_stat_err=am["umol_stat_err"].sel(g).values,
        x6_metal_stat_err=x6["x6_stat_err"].sel(g).values,
        metal_x6_cov=am["umol_x6_cov"].sel(g).values,
        metal_x6_stat_cov=am["umol_x6_stat_cov"].sel(g).values,
    )


def _drawn_routes(rng, a6, a7, s6, s7, corr, xi, xb, k_rel=0.0, c7_rel=0.0):
    """Sample standard deviations of the routes (numpy only) and the old formula's errors."""
    cov = np.array([[s6**2, corr * s6 * s7], [corr * s6 * s7, s7**2]])
    d6, d7 = rng.multivariate_normal([a6, a7], cov, DRAWS).T
    k = K * (1.0 + k_rel * rng.standard_normal(DRAWS))
    c7 = C7 * (1.0 + c7_rel * rng.standard_normal(DRAWS))
    w6, w7 = signal_per_nucleus("6Li"), 1.0  # fully relaxed, fully visible (microstructure)
    n6, n7 = d6 / (k * c7 * w6), d7 / (c7 * w7)
    n = n6 + n7
    x6 = n6 / n
    inter = n * (x6 - xb) / (xi - xb)
    sd_i, sd_b = inter.std(ddof=1), (n - inter).std(ddof=1)
    f = np.clip((x6.mean() - xb) / (xi - xb), 0, 1)
    # the former formula: the errors of n and x6 taken as independent
    old_i = np.hypot(f * n.std(), n.mean() * x6.std() / abs(xi - xb))
    old_b = np.hypot((1 - f) * n.std(), n.mean() * x6.std() / abs(xi - xb))
    return sd_i, sd_b, old_i, old_b


# areas (6Li, 7Li), their errors and correlation; end members (X_I, X_B); the route whose
# former error is > 2x off
CASES = {
    # scheme A: 6Li-rich interface metal (f ~ 0.7), a noisy 6Li line
    "scheme-a": ((0.12, 1.87), (0.035, 0.15), -0.2, (0.95, 0.076), "bulk"),
    # scheme B: the interface metal is natural (X_I 0.076), the bulk 6Li-rich (f ~ 0.7)
    "scheme-b": ((0.077, 3.97), (0.02, 0.12), 0.1, (0.076, 0.95), "interface"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_route_errors_are_the_propagated_covariance_of_the_areas(name):
    (a6, a7), (s6, s7), corr, (xi, xb), off = CASES[name]
    rng = np.random.default_rng(7)
    stat_scale = 0.8
    # statistical errors: the statistical area covariance alone (K and C7 common to all points)
    ds = _decomposition(a6, a7, s6, s7, corr, stat_scale)
    r = _reported(ds, xi, xb, k_rel=0.03, c7_rel=0.05)
    f = r.interface_fraction[0]
    assert 0.55 < f < 0.85
    sd_i, sd_b, old_i, old_b = _drawn_routes(
        rng, a6, a7, stat_scale * s6, stat_scale * s7, corr, xi, xb
    )
    np.testing.assert_allclose(r.interface_umol_stat_err, sd_i, rtol=0.03)
    np.testing.assert_allclose(r.bulk_umol_stat_err, sd_b, rtol=0.03)
    # the case is one the former independent formula gets wrong by more than 2x
    assert {"interface": old_i / sd_i, "bulk": old_b / sd_b}[off] > 2.0
    # full errors: the full area covariance, K and C7 drawn too (end members exact here)
    sd_i, sd_b, _, _ = _drawn_routes(rng, a6, a7, s6, s7, corr, xi, xb, k_rel=0.03, c7_rel=0.05)
    np.testing.assert_allclose(r.interface_umol_err, sd_i, rtol=0.04)
    np.testing.assert_allclose(r.bulk_umol_err, sd_b, rtol=0.04)


def test_amount_x6_covariance_matches_draws():
    """``umol_x6_cov`` against the sample covariance of drawn amounts and x6 (with K)."""
    rng = np.random.default_rng(3)
    a6, a7, s6, s7, corr, k_rel = 0.12, 1.87, 0.02, 0.1, -0.3, 0.03
    ds = _decomposition(a6, a7, s6, s7, corr, 1.0)
    acq6, acq7, relax = A.Acquisition("6Li"), A.Acquisition("7Li"), A.Relaxation()
    am = A.amount_series(ds, C7, 0.0, acq7, relax, FIELD, acq6=acq6, k=K, k_rel_err=k_rel)
    cov = np.array([[s6**2, corr * s6 * s7], [corr * s6 * s7, s7**2]])
    d6, d7 = rng.multivariate_normal([a6, a7], cov, 200000).T
    k = K * (1.0 + k_rel * rng.standard_normal(d6.size))
    n6, n7 = d6 / (k * C7 * signal_per_nucleus("6Li")), d7 / C7
    sample = np.cov(n6 + n7, n6 / (n6 + n7))[0, 1]
    reported = am["umol_x6_cov"].sel(group="microstructure").values
    np.testing.assert_allclose(reported, sample, rtol=0.05)
    assert abs(sample) > 0.1 * np.sqrt(np.var(n6 + n7) * np.var(n6 / (n6 + n7)))  # not ~0


def test_clipped_fraction_keeps_the_amount_error():
    """Pure interface metal of scheme B (X_I 0.076, X_B 0.95) with a noisy 6Li line: about
    half the draws read x6 < X_I and clip f at 1, where the interface amount is the total n
    (carrying the 6Li error) while the unclipped estimate ~1.09 n7 has a far smaller error.
    Each draw analysed as one time point (constant end members, no exchange): the reported
    errors cover the truth at about the nominal 2-sigma rate for both routes, where the
    unclipped estimate's error alone would not."""
    rng = np.random.default_rng(11)
    xi, xb, ntot, nd = 0.076, 0.95, 2.0, 4000
    w6 = signal_per_nucleus("6Li")
    a6, a7 = xi * ntot * K * C7 * w6, (1 - xi) * ntot * C7  # true areas
    s6, s7, corr = 1.2 * a6, 0.03 * a7, 0.0
    cov = np.array([[s6**2, corr * s6 * s7], [corr * s6 * s7, s7**2]])
    d6, d7 = rng.multivariate_normal([a6, a7], cov, nd).T
    ds = _decomposition(d6, d7, s6, s7, corr, 1.0, nt=nd)
    r = _reported(ds, xi, xb, k_rel=0.0, c7_rel=0.0)
    clipped = r.interface_fraction == 1.0
    assert 0.3 < clipped.mean() < 0.7
    cover_i = np.mean(np.abs(r.interface_umol - ntot) <= 2 * r.interface_umol_stat_err)
    cover_b = np.mean(np.abs(r.bulk_umol - 0.0) <= 2 * r.bulk_umol_stat_err)
    assert cover_i > 0.93 and cover_b > 0.93
    # the unclipped estimate's error (numpy: n_I = (n6 (1 - X_B) - X_B n7) / (X_I - X_B))
    g6, g7 = 1.0 / (K * C7 * w6), 1.0 / C7
    c = xi - xb
    sd_lin = np.sqrt(((1 - xb) / c * g6 * s6) ** 2 + (xb / c * g7 * s7) ** 2)
    assert np.mean(np.abs(r.interface_umol - ntot) <= 2 * sd_lin) < 0.8
