"""Vectorised series fit: exact recovery, shared/drifting parameters, contracts."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.fit import Component, Param, SeriesModel, fit_series, pseudo_voigt
from dendritemr.model import get_history, make_spectrum_series


def _series(tools, n=6, noise=0.0, seed=0, ppm=None):
    ppm = tools.ppm if ppm is None else ppm
    truth = tools.series_truth(n)
    y = tools.synth(truth, ppm)
    y = y + np.random.default_rng(seed).normal(0.0, noise, y.shape) if noise else y
    return make_spectrum_series(y, ppm), truth


@pytest.mark.parametrize("shared", [False, True])
def test_noiseless_recovery_exact(tools, shared):
    da, truth = _series(tools)
    ds = fit_series(da, tools.metal_model(shared_widths=shared), tol=1e-14)
    np.testing.assert_allclose(ds["area"].values, truth["area"], rtol=1e-6)
    np.testing.assert_allclose(ds["center"].values, truth["center"], rtol=1e-8)
    np.testing.assert_allclose(ds["width"].values, truth["width"], rtol=1e-6)
    np.testing.assert_allclose(ds["phase"].values[:, 0], 0.3, atol=1e-7)
    assert np.max(np.abs(ds["residual"].values)) < 1e-8
    assert ds.attrs["fit_success"] == 1


def test_shared_widths_recover_truth_with_noise(tools):
    da, truth = _series(tools, n=40, noise=0.02, seed=3)
    ds = fit_series(da, tools.metal_model(shared_widths=True))
    width = ds["width"].values
    assert np.ptp(width, axis=0).max() == 0.0  # one value for all spectra
    z = (width[0] - truth["width"][0]) / ds["width_err"].values[0]
    assert np.all(np.abs(z) < 4)
    assert np.all(ds["width_err"].values[0] < ds["width_err"].values[0] * 0 + 0.05)
    za = (ds["area"].values - truth["area"]) / ds["area_err"].values
    assert abs(za.mean()) < 0.5 and 0.6 < za.std() < 1.5


def test_linear_and_smooth_drift(tools):
    n = 30
    truth = tools.series_truth(n)
    truth["center"][:, 2] = np.linspace(1.0, 3.0, n)  # electrolyte drifts by 2 ppm
    da = make_spectrum_series(tools.synth(truth), tools.ppm)
    for vary in ("linear", "smooth"):
        m = SeriesModel(
            (
                Component("electrode", center=244.0, width=12.0, phase=Param(0.1, "shared")),
                Component("microstructure", center=263.0, width=5.0),
                Component("electrolyte", center=Param(1.5, vary), width=Param(2.5, "shared")),
            ),
            baseline="none",
        )
        ds = fit_series(da, m, tol=1e-14)
        np.testing.assert_allclose(ds["center"].values[:, 2], truth["center"][:, 2], atol=1e-6)
        np.testing.assert_allclose(ds["area"].values, truth["area"], rtol=1e-6)


def test_axis_order_respected(tools):
    da, _ = _series(tools, noise=0.05, seed=1)
    asc = da.isel(ppm=slice(None, None, -1))
    m = tools.metal_model()
    d1, d2 = fit_series(da, m), fit_series(asc, m)
    for name in ("area", "center", "width", "phase", "area_err", "redchi"):
        np.testing.assert_array_equal(d1[name].values, d2[name].values)
    np.testing.assert_array_equal(d1["fit"].values[:, ::-1], d2["fit"].values)
    np.testing.assert_array_equal(d2["ppm"].values, asc["ppm"].values)


def test_input_not_mutated_and_repeatable(tools):
    da, _ = _series(tools, noise=0.05, seed=2)
    before = da.copy(deep=True)
    m = tools.metal_model()
    d1, d2 = fit_series(da, m), fit_series(da, m)
    xr.testing.assert_identical(da, before)
    xr.testing.assert_identical(d1, d2)


def test_stacked_equals_single(tools):
    """A spectrum fitted alone or inside a series (all parameters free) gives the same answer."""
    da, _ = _series(tools, n=5, noise=0.05, seed=4)
    m = tools.metal_model()
    whole = fit_series(da, m, tol=1e-13)
    alone = fit_series(da.isel(time=[3]), m, tol=1e-13)
    np.testing.assert_allclose(whole["area"].values[3], alone["area"].values[0], rtol=1e-6)
    np.testing.assert_allclose(whole["area_err"].values[3], alone["area_err"].values[0], rtol=1e-5)


def test_output_layout_and_history(tools):
    da, _ = _series(tools, n=3, noise=0.01)
    da.attrs["nucleus"] = "7Li"
    ds = fit_series(da, tools.metal_model(), noise_sigma=0.01)
    assert ds["area"].dims == ("time", "component")
    assert list(ds["component"].values) == ["electrode", "microstructure", "electrolyte"]
    assert ds["components"].dims == ("time", "component", "ppm")
    assert ds.attrs["nucleus"] == "7Li"
    step = get_history(ds)[-1]
    assert step["step"] == "fit_series" and step["noise_sigma"] == [0.01]
    json.dumps(step)
    np.testing.assert_allclose(ds["noise_sigma_used"].values, 0.01)
    assert np.all(np.abs(ds["redchi"].values - 1) < 0.3)
    np.testing.assert_allclose(ds["fit"] + ds["residual"], da, atol=1e-12)


def test_warm_start_from_previous_fit(tools):
    da, _ = _series(tools, n=8, noise=0.03, seed=5)
    m = tools.metal_model()
    first = fit_series(da, m)
    again = fit_series(da, m, initial=first)
    np.testing.assert_allclose(again["area"].values, first["area"].values, rtol=1e-6)
    assert again.attrs["fit_nfev"] < first.attrs["fit_nfev"]


def test_peak_pick_without_given_centres(tools):
    truth = tools.series_truth(4)
    truth["phase"][:] = 0.0  # the model below has no phase
    da = make_spectrum_series(tools.synth(truth), tools.ppm)
    m = SeriesModel((Component("a"), Component("b"), Component("c")), baseline="constant")
    ds = fit_series(da, m, tol=1e-14)
    got = np.sort(ds["center"].values[0])
    np.testing.assert_allclose(got, np.sort(truth["center"][0]), atol=1e-6)


def test_pseudo_voigt_shared_eta():
    ppm = np.linspace(-30, 30, 301)
    y = pseudo_voigt(ppm[None, :], np.array([[3.0], [5.0]]), 2.0, 4.0, 0.3)
    m = SeriesModel(
        (Component("line", "pseudo_voigt", center=1.0, width=3.0, eta=Param(0.5, "shared", 0, 1)),),
        baseline="none",
    )
    ds = fit_series(make_spectrum_series(y, ppm), m, tol=1e-14)
    np.testing.assert_allclose(ds["eta"].values, 0.3, atol=1e-7)
    np.testing.assert_allclose(ds["area"].values[:, 0], [3.0, 5.0], rtol=1e-7)


def test_bad_input():
    ppm = np.linspace(0, 10, 50)
    m = SeriesModel((Component("x"),))
    da = make_spectrum_series(np.full((2, 50), np.nan), ppm)
    with pytest.raises(ProcessingError, match="non-finite"):
        fit_series(da, m)
    with pytest.raises(ProcessingError, match="time, ppm"):
        fit_series(da.T, m)
    with pytest.raises(ValueError, match="unique"):
        SeriesModel((Component("x"), Component("x")))
    with pytest.raises(ValueError, match="fixed parameter needs a value"):
        Param(vary="fixed")
