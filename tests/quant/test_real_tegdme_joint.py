"""The joint decomposition on the 50 real in situ 7Li spectra (TEGDME cell, 7.05 T), against
TopSpin's own 1r (figures: ``benchmarks/bench_real_li7.py``)."""

import warnings

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def _window(ppm, y, lo=200.0, hi=300.0):
    m = (ppm >= lo) & (ppm <= hi)
    return np.real(y[..., m]).sum(axis=-1) * abs(ppm[1] - ppm[0])


def _totals(ds):
    ga, ge = ds["group_area"].isel(nucleus=0), ds["group_area_err"].isel(nucleus=0)
    tot = ga.sel(group="electrode").values + ga.sel(group="microstructure").values
    err = np.hypot(ge.sel(group="electrode").values, ge.sel(group="microstructure").values)
    return tot, err, ga.sel(group="microstructure").values


@pytest.fixture(scope="module")
def fitted(li7_dir):
    from dendritemr.quant.decompose import decompose
    from dendritemr.quant.run import fit_spectra

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s7 = fit_spectra(li7_dir)
        return s7, decompose([s7])


def test_total_metal_follows_topspin_window(li7_dir, fitted):
    from dendritemr.io.bruker import read_pdata

    _, ds = fitted
    refs = [read_pdata(li7_dir / str(i) / "pdata" / "1") for i in (1, 50)]
    ts = [_window(r["ppm"].values, r.values[0]) for r in refs]
    topspin_growth = ts[1] / ts[0] - 1  # +0.146
    tot, err, micro = _totals(ds)
    # measured: +0.141 (free width drift gave +0.40: a near-empty line's width wandered)
    assert tot[-1] / tot[0] - 1 == pytest.approx(topspin_growth, abs=0.015)
    t = ds["hours"].values
    res = tot - np.polyval(np.polyfit(t, tot, 3), t)
    assert res.std() / tot.mean() < 0.01  # measured 0.0087
    jumps = np.abs(np.diff(res)) / np.hypot(err[1:], err[:-1])
    assert jumps.max() < 3.0  # measured 2.6 (errors with the Birge ratio)
    # the microstructure grows steadily and never goes negative with 7Li only (areas >= 0)
    assert micro.min() >= 0.0
    assert micro[-1] > 2.0 * micro[0]
    assert np.corrcoef(t, micro)[0, 1] > 0.97


def test_single_spectrum_total_agrees_with_series(fitted):
    from dendritemr.quant.decompose import decompose

    s7, ds = fitted
    tot, err, _ = _totals(ds)
    for i in (0, 49):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one = decompose([s7.isel(time=[i])])
        t1, e1, _ = _totals(one)
        # measured -0.6 and +0.9 SE (the electrode/microstructure split differs more: +4.5 and
        # -2.2 SE, see the issue 8 note)
        assert abs(t1[0] - tot[i]) < 2.0 * np.hypot(e1[0], err[i])
