"""x6 from paired 6Li/7Li spectra of known composition, with every correction."""

import numpy as np
import pytest

from dendritemr.fit import Component, Param, SeriesModel, fit_series, lorentzian
from dendritemr.model import make_spectrum_series
from dendritemr.physics import korringa_t1, signal_per_nucleus
from dendritemr.quant import LineCorrection, calibrate_k, correction_ratio, x6_from_pair

FIELD = 7.05
PPM = np.linspace(320.0, 180.0, 700)


def test_correction_factors():
    bulk = correction_ratio(LineCorrection("bulk"), field_t=FIELD)
    micro = correction_ratio(LineCorrection("micro"), field_t=FIELD)
    assert bulk["visibility"] == pytest.approx(1.625, abs=1e-3)
    assert micro["visibility"] == 1.0
    assert micro["receptivity"] == pytest.approx(0.0290, abs=1e-4)
    # TR = 1 s at 298.15 K: Korringa T1 6Li 1.03 s, 7Li 0.148 s
    sat = correction_ratio(LineCorrection("micro"), field_t=FIELD, tr6_s=1.0, tr7_s=1.0)
    t6, t7 = korringa_t1("6Li", 298.15), korringa_t1("7Li", 298.15)
    assert sat["saturation"] == pytest.approx((1 - np.exp(-1 / t6)) / (1 - np.exp(-1 / t7)))
    assert sat["saturation"] == pytest.approx(0.622, abs=2e-3)
    slab = correction_ratio(LineCorrection("slab", thickness_um=1.0), field_t=FIELD)
    assert slab["visibility"] == pytest.approx(1.0, abs=1e-3)  # 1 um << delta


def _pair(x6, k, ratio, rng, sigma7=0.02, sigma6=0.02):
    """Metal-line spectra of both isotopes (area ~ atoms x signal per atom)."""
    n6, n7 = x6, 1 - x6
    a7 = 100.0 * n7
    a6 = 100.0 * n6 * ratio * k
    y7 = lorentzian(PPM, a7, 250.0, 8.0) + rng.normal(0, sigma7, PPM.size)
    y6 = lorentzian(PPM, a6, 250.0, 8.0) + rng.normal(0, sigma6, PPM.size)
    return y6, y7


def _area(y):
    model = SeriesModel((Component("metal", center=250.0, width=Param(8.0)),), baseline="none")
    ds = fit_series(make_spectrum_series(y[None, :], PPM), model)
    return float(ds["area"][0, 0]), float(ds["area_err"][0, 0])


@pytest.mark.parametrize("morph", ["bulk", "micro"])
def test_x6_recovered_with_calibrated_k(morph):
    """Saturated (TR 0.5 s) pair, K calibrated on a natural-abundance reference."""
    rng = np.random.default_rng(4)
    k_true = 0.8
    corr = LineCorrection(morph)
    ratio = correction_ratio(corr, field_t=FIELD, tr6_s=0.5, tr7_s=0.5)["total"]
    ref_ratio = correction_ratio(LineCorrection("micro"), field_t=FIELD, tr6_s=0.5, tr7_s=0.5)
    r6, r7 = _pair(0.0759, k_true, ref_ratio["total"], rng, sigma6=0.001)
    k = calibrate_k(*_area(r6), *_area(r7), 0.0759, ref_ratio["total"])
    assert k.k == pytest.approx(k_true, abs=4 * k.rel_err * k_true)
    s6, s7 = _pair(0.95, k_true, ratio, rng)
    x6, err = x6_from_pair(*_area(s6), *_area(s7), k, ratio)
    assert abs(x6 - 0.95) < 3 * err
    assert 1e-4 < err < 0.02
    # ignoring the bulk 1.625 over-weighting biases x6 high (by far more than its error)
    if morph == "bulk":
        naive = correction_ratio(LineCorrection("micro"), field_t=FIELD, tr6_s=0.5, tr7_s=0.5)
        x6_naive, _ = x6_from_pair(*_area(s6), *_area(s7), k, naive["total"])
        assert x6_naive - 0.95 > 5 * err


def test_x6_error_matches_scatter():
    """Monte Carlo: the reported standard error matches the scatter of x6 (within 25 %)."""
    rng = np.random.default_rng(11)
    corr = correction_ratio(LineCorrection("micro"), field_t=FIELD)["total"]
    from dendritemr.quant import InstrumentRatio

    k = InstrumentRatio(1.0)
    xs, errs = [], []
    for _ in range(60):
        s6, s7 = _pair(0.3, 1.0, corr, rng, sigma6=0.05)
        x, e = x6_from_pair(*_area(s6), *_area(s7), k, corr)
        xs.append(x)
        errs.append(e)
    assert np.std(xs) == pytest.approx(np.mean(errs), rel=0.25)
    assert abs(np.mean(xs) - 0.3) < 3 * np.mean(errs) / np.sqrt(60)


def test_x6_uses_receptivity_and_bad_areas():
    k = calibrate_k(signal_per_nucleus("6Li") * 1.0, 0.0, 1.0, 0.0, 0.5, signal_per_nucleus("6Li"))
    assert k.k == pytest.approx(1.0)
    x, e = x6_from_pair(1.0, 0.01, 1.0, 0.01, k, signal_per_nucleus("6Li"))
    assert x == pytest.approx(1.0 / (1.0 + 0.0290), abs=1e-3)
    assert e == pytest.approx(x * (1 - x) * np.sqrt(2) * 0.01)
    with pytest.raises(ValueError):
        x6_from_pair(0.0, 0.1, 1.0, 0.01, k, 0.029)


def test_area_error_scales_with_signal_units():
    """Fit errors are invariant to the data's units (no pseudo-inverse cut-off at 1e9)."""
    rng = np.random.default_rng(2)
    y7 = lorentzian(PPM, 100.0, 250.0, 8.0) + rng.normal(0, 0.02, PPM.size)
    a1, e1 = _area(y7)
    a2, e2 = _area(1e9 * y7)
    assert a2 == pytest.approx(1e9 * a1, rel=1e-6)
    assert e2 == pytest.approx(1e9 * e1, rel=1e-3)
