"""Processing against analytic truth: line positions, exact areas, filter delay, phase, noise."""

from __future__ import annotations

import numpy as np
import pytest

from dendritemr.model import make_fid_series
from dendritemr.nmr import (
    DCOffset,
    DigitalFilter,
    FourierTransform,
    Phase,
    Pipeline,
    PolynomialBaseline,
    ZeroFill,
    integrate_regions,
    noise_std,
    snr,
)
from dendritemr.nmr.fourier import ppm_axis
from dendritemr.sim.topspin_writer import add_group_delay

SW, BF, O1 = 40_000.0, 100.0, 5_000.0  # Hz, MHz, Hz: spectrum spans -150..250 ppm


def lorentzian_fid(centre_ppm, fwhm_ppm, area, n=8192, phase_deg=0.0):
    """FID whose spectrum (first point x 0.5, FFT, x d ppm) integrates to ``area``."""
    t = np.arange(n) / SW
    offset = centre_ppm * BF - O1
    first = 2 * area * BF / SW
    fid = first * np.exp(2j * np.pi * offset * t - np.pi * fwhm_ppm * BF * t)
    return fid * np.exp(1j * np.deg2rad(phase_deg))


def series(rows, group_delay=0.0):
    attrs = {
        "nucleus": "7Li",
        "sw_hz": SW,
        "sfo1_mhz": BF + O1 * 1e-6,
        "bf1_mhz": BF,
        "sf_mhz": BF,
        "group_delay": group_delay,
    }
    return make_fid_series(np.atleast_2d(rows), 1 / SW, None, attrs)


def test_ppm_axis_centre_and_span():
    ppm = ppm_axis(8, SW, BF + O1 * 1e-6, BF)
    assert ppm[0] > ppm[-1]
    step = SW / BF / 8
    assert ppm[8 // 2 - 1] == pytest.approx(50.0)  # carrier at 5 kHz / 100 MHz = 50 ppm
    assert ppm[0] - ppm[-1] == pytest.approx(7 * step)


def test_line_position_and_exact_area():
    fid = lorentzian_fid(220.0, 0.5, 3.0) + lorentzian_fid(-20.0, 0.8, 5.0)
    spec = Pipeline([ZeroFill(32768), FourierTransform()])(series(fid))
    ppm = spec["ppm"].values
    metal = spec.values[0].real * (ppm > 100)
    assert ppm[np.argmax(metal)] == pytest.approx(220.0, abs=SW / BF / 32768)
    total = spec.values[0].real.sum() * abs(ppm[1] - ppm[0])
    assert total == pytest.approx(8.0, rel=1e-6)  # sum of all areas, exactly (DFT identity)
    # a window of +-60 FWHM holds 1 - (2/pi) atan(1/120)... of a Lorentzian
    areas = integrate_regions(spec, {"metal": (190.0, 250.0)})["area"].values[0, 0]
    expected = 3.0 * (2 / np.pi) * np.arctan(30.0 / 0.25)
    assert areas == pytest.approx(expected, rel=2e-3)


@pytest.mark.parametrize("method", ["roll", "shift"])
@pytest.mark.parametrize("delay", [20.0, 44.75, 67.98623657226562])
def test_digital_filter_delay_is_removed(delay, method):
    """The simulator's FIR filter (Kaiser-windowed sinc) delays; the reader undoes it."""
    fid = lorentzian_fid(120.0, 2.0, 1.0, n=4096) + lorentzian_fid(10.0, 1.0, 2.0, n=4096)
    pipe = Pipeline(
        [
            DigitalFilter(method=method),
            ZeroFill(8192),
            FourierTransform(),
            PolynomialBaseline(order=0, regions=[(-140, -60), (30, 90), (160, 240)]),
        ]
    )
    ideal = pipe(series(fid))
    delayed = pipe(series(add_group_delay(fid, delay), group_delay=delay))
    regions = {"a": (100.0, 140.0), "b": (-10.0, 30.0)}
    ratio = integrate_regions(delayed, regions)["area"] / integrate_regions(ideal, regions)["area"]
    if delay == int(delay):  # integer delays: exact to rounding
        np.testing.assert_allclose(delayed.values, ideal.values, atol=1e-12)
    # fractional: the finite filter's passband ripple, not the removal, limits agreement
    np.testing.assert_allclose(ratio.values, 1.0, atol=0.015)
    assert np.corrcoef(delayed.values[0].real, ideal.values[0].real)[0, 1] > 0.9999


def test_phase_correction_restores_absorption():
    fid = lorentzian_fid(60.0, 1.0, 1.0, phase_deg=-40.0)
    spec = Pipeline([FourierTransform(), Phase(p0_deg=40.0)])(series(fid))
    ref = FourierTransform()(series(lorentzian_fid(60.0, 1.0, 1.0)))
    np.testing.assert_allclose(spec.values, ref.values, atol=1e-9 * np.abs(ref.values).max())


def test_noise_estimate_and_integral_error_match_monte_carlo():
    rng = np.random.default_rng(5)
    n_rows, sigma = 400, 0.02
    clean = lorentzian_fid(150.0, 1.0, 1.0, n=2048)
    noisy = clean + sigma * (
        rng.standard_normal((n_rows, 2048)) + 1j * rng.standard_normal((n_rows, 2048))
    )
    spec = Pipeline([DCOffset(tail_fraction=0.01), FourierTransform()])(series(noisy))
    res = integrate_regions(spec, {"line": (140.0, 160.0)}, noise_region=(-140.0, -40.0))
    observed = float(res["area"].std())
    predicted = float(res["area_err"].mean())
    assert predicted == pytest.approx(observed, rel=0.1)
    # white complex noise of sigma per point gives sigma sqrt(N) per spectral point
    assert float(noise_std(spec, (-140.0, -40.0)).mean()) == pytest.approx(
        sigma * np.sqrt(2048), rel=0.05
    )


def test_snr_is_peak_height_over_noise():
    rng = np.random.default_rng(6)
    sigma, n, area, fwhm = 0.02, 2048, 100.0, 1.0
    fid = lorentzian_fid(150.0, fwhm, area, n=n)
    fid = fid + sigma * (rng.standard_normal((50, n)) + 1j * rng.standard_normal((50, n)))
    spec = FourierTransform()(series(fid))
    height = 2 * area / (np.pi * fwhm)  # Lorentzian peak height (intensity per ppm)
    expected = height / (sigma * np.sqrt(n))
    assert float(snr(spec, (140.0, 160.0), (-140.0, -40.0)).mean()) == pytest.approx(
        expected, rel=0.03
    )
