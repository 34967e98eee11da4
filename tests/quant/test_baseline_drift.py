"""Baselines over a series (decompose(baseline_drift=...)): an independent generator of 7Li
spectra as numpy's FFT of sampled FIDs (the DFT's first-point constant included, nothing else
under the lines) against the same spectra with a baseline that jumps from spectrum to spectrum."""

import numpy as np
import pytest
import xarray as xr

from dendritemr.quant.decompose import decompose

SW = 800.0  # spectral width, ppm (1 ppm = 1 frequency unit here)
N = 2048
MICRO = np.linspace(5.0, 15.0, 8)  # microstructure area over the series


def _series(seed: int, jumps: float) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    t = np.arange(N) / SW
    x = np.fft.fftshift(np.fft.fftfreq(N, 1.0 / SW))
    xn = x / 400.0
    rows = []
    for micro in MICRO:
        lines = [
            (100.0, 246.0, 4.0, -np.pi / 4),  # bulk electrode, skin-depth phase
            (micro, 264.0, 7.0, 0.0),  # microstructure
            (800.0, 1.5, 3.0, 0.0),  # LLZO
        ]
        fid = sum(
            a * np.exp(1j * (ph + 0.3)) * np.exp(2j * np.pi * c * t - np.pi * w * t)
            for a, c, w, ph in lines
        )
        spec = 2.0 * np.fft.fftshift(np.fft.fft(fid)) / SW
        spec += jumps * (rng.normal(size=2) @ [1.0, 1j]) * (1.0 + 0.5 * xn)
        spec += rng.normal(0.0, 0.01, N) + 1j * rng.normal(0.0, 0.01, N)
        rows.append(spec)
    return xr.DataArray(
        np.array(rows),
        dims=("time", "ppm"),
        coords={"ppm": x, "hours": ("time", np.arange(MICRO.size, dtype=float))},
        attrs={"nucleus": "7Li"},
    )


@pytest.fixture(scope="module")
def clean():
    return _series(41, 0.0)


def test_clean_series_takes_smooth_baselines_and_recovers_the_growth(clean):
    ds = decompose([clean], n_micro=1, broad=False, baseline_drift="auto")
    assert ds.attrs["baseline_drift"] == "smooth", ds.attrs["baseline_choice"]
    micro = ds["group_area"].sel(group="microstructure").values[0]
    err = ds["group_area_err"].sel(group="microstructure").values[0]
    assert np.all(np.abs(micro - MICRO) < 3.0 * err), (micro, err)
    local = decompose([clean], n_micro=1, broad=False, baseline_drift="local")
    err_local = local["group_area_err"].sel(group="microstructure").values[0]
    assert err.mean() < 0.97 * err_local.mean()  # measured 0.95


def test_baselines_that_jump_between_spectra_stay_free():
    ds = decompose([_series(42, 0.05)], n_micro=1, broad=False, baseline_drift="auto")
    assert ds.attrs["baseline_drift"] == "local", ds.attrs["baseline_choice"]
    micro = ds["group_area"].sel(group="microstructure").values[0]
    err = ds["group_area_err"].sel(group="microstructure").values[0]
    assert np.all(np.abs(micro - MICRO) < 3.0 * err), (micro, err)
