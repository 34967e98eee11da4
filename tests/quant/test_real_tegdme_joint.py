"""The joint decomposition on the 50 real in situ 7Li spectra (TEGDME cell, 7.05 T), against
TopSpin's own 1r (figures: ``benchmarks/bench_real_li7.py``).

Errors of the total metal (electrode + microstructure) are those of the sum, with the two
groups' covariance (``decompose.metal_total``): the overlapping lines trade area, so the errors
in quadrature, used here before stop 16, overstated it 1.5-2.2x in the series and passed
figures that the correct errors do not. A spectrum fitted alone is compared with the same
spectrum in the series over the standard error of their difference (same data in both fits;
the influence form ``fit.nested.difference_se``, which agrees with Hausman's nested form
``nested_difference_se`` once both hold the parameters at their bounds), not over the errors in
quadrature.
"""

import warnings

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def _window(ppm, y, lo=200.0, hi=300.0):
    m = (ppm >= lo) & (ppm <= hi)
    return np.real(y[..., m]).sum(axis=-1) * abs(ppm[1] - ppm[0])


def _totals(ds):
    from dendritemr.quant.decompose import metal_total

    m = metal_total(ds).isel(nucleus=0)
    ga = ds["group_area"].isel(nucleus=0)
    return m["area"].values, m["area_err"].values, ga.sel(group="microstructure").values


@pytest.fixture(scope="module")
def spectra(li7_dir):
    from dendritemr.quant.run import fit_spectra

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_spectra(li7_dir)


def _decompose(s7, **kw):
    from dendritemr.quant.decompose import decompose

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return decompose([s7], **kw)


def _bench():
    """benchmarks/bench_real_li7.py as a module (its keep_problems / estimate)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_real_li7.py"
    spec = importlib.util.spec_from_file_location("bench_real_li7_under_test", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _decompose_kept(s7, **kw):
    """The decomposition and its fitted (problem, theta)."""
    kept: list = []
    with _bench().keep_problems(kept):
        ds = _decompose(s7, **kw)
    return ds, kept[-1]


@pytest.fixture(scope="module")
def series_kept(spectra):
    return _decompose_kept(spectra)


@pytest.fixture(scope="module")
def series(series_kept):
    return series_kept[0]


@pytest.fixture(scope="module")
def singles(spectra, series):
    # the series' model (numbers of lines) fitted alone: the series is then a restriction of it
    kw = {"n_micro": int(series.attrs["n_microstructure"]), "broad": False}
    return {i: _decompose_kept(spectra.isel(time=[i]), **kw) for i in (0, 49)}


def test_default_model_follows_topspin(li7_dir, series):
    from dendritemr.io.bruker import read_pdata

    refs = [read_pdata(li7_dir / str(i) / "pdata" / "1") for i in (1, 50)]
    ts = [_window(r["ppm"].values, r.values[0]) for r in refs]
    topspin_growth = ts[1] / ts[0] - 1  # +0.146
    ds = series
    assert ds.attrs["deposit"] == 0  # 7Li only: no deposit line by default
    assert "iteration limit" not in ds.attrs["solver_message"]
    tot, err, micro = _totals(ds)
    # the metal lines' total follows the 1r window (measured +0.1545; +0.1485 when the fit
    # stopped at its iteration limit, before stop 16; with free width drifts +0.40). With a
    # deposit line (--deposit yes) +0.09-0.14 and the electrode at -49..-79 deg: 7Li alone
    # does not fix that split.
    assert tot[-1] / tot[0] - 1 == pytest.approx(topspin_growth, abs=0.015)
    t = ds["hours"].values
    res = tot - np.polyval(np.polyfit(t, tot, 3), t)
    assert res.std() / tot.mean() < 0.01  # measured 0.0081
    # dendritic metal never negative with 7Li only (areas >= 0) and growing
    assert micro.min() >= 0.0
    assert micro[-1] > 2.0 * micro[0]
    assert np.corrcoef(t, micro)[0, 1] > 0.97


@pytest.mark.xfail(
    strict=True,
    reason="measured 4.86 SE at expno 39 -> 40 and 4.25 SE at 31 -> 32 with the total's own "
    "error (the 2.96-3.0 SE of earlier stops used the groups' errors in quadrature, which "
    "overstate it 1.5-2.2x). At 39 -> 40 the spectrum phase steps -3.8 deg, the electrolyte "
    "narrows (alone 3.38 -> 3.01 ppm FWHM; the series has one) and expnos 39-43 waited 71-205 s "
    "for the tuning/matching box instead of 14.6 s (stop 17); 31 -> 32 has no such event. A "
    "first-order phase per spectrum brings every jump within 2.6 SE but the growth to +18.4 % "
    "and expnos 1 and 5 alone to +3.2 / +3.6 SE: the must-show 'no neighbour jump > 3 SE' is "
    "not met",
)
def test_no_neighbour_jump_beyond_3_se(series):
    tot, err, _ = _totals(series)
    t = series["hours"].values
    res = tot - np.polyval(np.polyfit(t, tot, 3), t)
    jumps = np.abs(np.diff(res)) / np.hypot(err[1:], err[:-1])
    print("largest neighbour jump", jumps.max(), "SE at expno", np.argmax(jumps) + 1)
    assert jumps.max() < 3.0


@pytest.mark.xfail(
    strict=True,
    reason="measured over the SE of the difference (the series' model alone; influence form "
    "with the active set): expno 1 -5.65, expno 50 +4.09 SE (Hausman's nested form on the "
    "reported errors -5.70 / +4.10; before the errors held the parameters at their bounds, "
    "stop 17: nested -4.05 / +3.37, influence -2.47 / +3.37). The series shares one electrode "
    "FWHM (5.81 ppm) that expno 1 alone does not want (5.39). Not fixed (stop 17) by a "
    "first-order phase per spectrum or for the "
    "series (expno 1 alone +7 %: +3.2 / +3.3 SE) nor by electrolyte FWHMs per spectrum (expno "
    "50 -5.8 SE): the must-show 'a spectrum alone and in its series within 2 SE' is not met "
    "for the total metal",
)
def test_single_spectrum_agrees_with_the_series(series_kept, singles):
    from dendritemr.fit.nested import difference_se, nested_difference_se

    series, (p_s, th_s) = series_kept
    bench = _bench()
    tot, err, _ = _totals(series)
    scale = series["error_scale"].values[0]
    z, z_nested = {}, {}
    for i, (one, (p1, th1)) in singles.items():
        assert list(one.component.values) == list(series.component.values)  # nested models
        scale1 = float(one["error_scale"].values[0, 0])
        a1, _, v1, g1 = bench.estimate(p1, th1, scale1, 0, "metal")
        a2, _, v2, g2 = bench.estimate(p_s, th_s, scale[i], i, "metal")
        # the influence form (first order in the noise, no efficiency assumed), both fits'
        # parameters held at their bounds held (the active set of the reported errors); it
        # agrees with Hausman's nested form on the reported errors within 1 % (stop 17)
        z[i + 1] = (a1 - a2) / difference_se(v1, g1, v2, g2, scale1)
        t1, e1, _ = _totals(one)
        se = nested_difference_se(e1[0], err[i], scale1, scale[i])
        z_nested[i + 1] = (t1[0] - tot[i]) / se
    print("total metal alone - series, over the SE of the difference:", z, "nested:", z_nested)
    assert all(abs(v) < 2.0 for v in z.values())
