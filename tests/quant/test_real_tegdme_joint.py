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


def test_default_model_follows_topspin_and_is_stable(li7_dir, spectra):
    from dendritemr.io.bruker import read_pdata

    refs = [read_pdata(li7_dir / str(i) / "pdata" / "1") for i in (1, 50)]
    ts = [_window(r["ppm"].values, r.values[0]) for r in refs]
    topspin_growth = ts[1] / ts[0] - 1  # +0.146
    ds = _decompose(spectra)
    assert ds.attrs["deposit"] == 0  # 7Li only: no deposit line by default
    tot, err, micro = _totals(ds)
    # the metal lines' total follows the 1r window (measured +0.1485; with free width drifts
    # +0.40). With a deposit line (--deposit yes) +0.09-0.14 and the electrode at -49..-79
    # deg: 7Li alone does not fix that split.
    assert tot[-1] / tot[0] - 1 == pytest.approx(topspin_growth, abs=0.015)
    t = ds["hours"].values
    res = tot - np.polyval(np.polyfit(t, tot, 3), t)
    assert res.std() / tot.mean() < 0.01  # measured 0.0081
    # measured 2.96, expno 39 -> 40, where the spectrum phase jumps 3.7 deg
    assert np.max(np.abs(np.diff(res)) / np.hypot(err[1:], err[:-1])) < 3.0
    # dendritic metal never negative with 7Li only (areas >= 0) and growing
    assert micro.min() >= 0.0
    assert micro[-1] > 2.0 * micro[0]
    assert np.corrcoef(t, micro)[0, 1] > 0.97
    # a spectrum fitted alone agrees with the series in total metal and in microstructure
    # (printed below; the microstructure of expno 1 read +3.7 SE with one microstructure phase
    # for the series, decompose.MICRO_PHASE_DRIFT)
    merr = ds["group_area_err"].isel(nucleus=0).sel(group="microstructure").values
    for i in (0, 49):
        one = _decompose(spectra.isel(time=[i]))
        t1, e1, m1 = _totals(one)
        m1_err = float(one["group_area_err"].isel(nucleus=0, time=0).sel(group="microstructure"))
        z_tot = (t1[0] - tot[i]) / np.hypot(e1[0], err[i])
        z_micro = (m1[0] - micro[i]) / np.hypot(m1_err, merr[i])
        print(f"expno {i + 1}: total {z_tot:+.2f} SE, microstructure {z_micro:+.2f} SE")
        assert abs(z_tot) < 2.0
        assert abs(z_micro) < 2.0
