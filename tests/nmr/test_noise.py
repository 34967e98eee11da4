"""The one spectral noise estimate (nmr.noise) and the line-width probe of the auto pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.nmr import noise_std as exported
from dendritemr.nmr.auto import tallest_line_width_hz
from dendritemr.nmr.integrate import noise_std as old_name
from dendritemr.nmr.noise import noise_rows, noise_std


def _spectra(sigma=0.7, n=4, points=4096, seed=5, slope=0.0):
    rng = np.random.default_rng(seed)
    ppm = np.linspace(400.0, -400.0, points)
    noise = rng.standard_normal((n, points)) + 1j * rng.standard_normal((n, points))
    values = sigma * noise + slope * ppm[None, :]
    return xr.DataArray(values, dims=("time", "ppm"), coords={"ppm": ppm})


@pytest.mark.parametrize("method", ["detrended", "diff-mad", "diff2-mad"])
def test_white_noise_sigma_recovered(method):
    sigma = noise_std(_spectra(), (100.0, 180.0), method).values
    assert np.all(np.abs(sigma / 0.7 - 1) < 0.12)  # 410 points: ~5 % standard error


def test_detrended_ignores_a_slope_and_diff_mad_a_spike():
    sloped = _spectra(slope=0.5)
    assert np.all(np.abs(noise_std(sloped, (100.0, 180.0)).values / 0.7 - 1) < 0.12)
    spiky = _spectra()
    inside = int(np.argmin(np.abs(spiky["ppm"].values - 140.0)))
    spiky.values[:, inside] += 1e4
    robust = noise_std(spiky, (100.0, 180.0), "diff-mad").values
    assert np.all(np.abs(robust / 0.7 - 1) < 0.12)
    assert np.all(noise_std(spiky, (100.0, 180.0)).values > 10)  # plain std is not robust


def test_one_definition_and_clear_errors():
    assert exported is noise_std and old_name is noise_std
    with pytest.raises(ProcessingError, match="holds 0 points"):
        noise_std(_spectra(), (1000.0, 1100.0))
    with pytest.raises(ProcessingError, match="method must be one of"):
        noise_rows(np.ones((1, 20)), "std")


def test_tallest_line_width_of_a_lorentzian():
    sw, n, fwhm = 20_000.0, 8192, 120.0
    f = np.fft.fftshift(np.fft.fftfreq(n, 1 / sw))[::-1]
    line = (fwhm / 2) / (fwhm / 2 + 1j * (f - 1500.0))  # complex Lorentzian, any phase
    spectrum = xr.DataArray((line * np.exp(0.7j))[None, :], dims=("time", "ppm"))
    assert tallest_line_width_hz(spectrum, sw) == pytest.approx(fwhm, rel=0.05)


def test_diff2_mad_ignores_a_strong_line_tail_beside_the_region():
    """A line ~3e5 x the noise at 1.5 ppm: its dispersive tail in 100-180 ppm has a slope that first
    differences count as noise; second differences do not."""
    spectra = _spectra()
    u = spectra["ppm"].values - 1.5
    spectra = spectra + 2e6 / (np.pi * (3.0 + 1j * u))[None, :]
    d1 = noise_std(spectra, (100.0, 180.0), "diff-mad").values
    d2 = noise_std(spectra, (100.0, 180.0), "diff2-mad").values
    assert np.all(d1 / 0.7 > 1.3)
    assert np.all(np.abs(d2 / 0.7 - 1) < 0.12)
