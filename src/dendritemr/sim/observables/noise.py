"""The one definition of SNR used by the simulator and its tests.

**SNR** of a spectrum = largest magnitude of the noiseless spectrum inside the *signal band*
(the Li metal region, 200-320 ppm by default) divided by the standard deviation of the real
part of the noise in the spectrum (measured after removing a low-order polynomial).
Spectra are the plain discrete Fourier transform of the
FID (no apodisation, no zero filling), so white FID noise of standard deviation ``sigma`` per
channel gives spectral noise ``sigma * sqrt(N)`` per channel; for a CSI data set the same holds
with ``N`` the number of points of the whole k-space x time array.

The stated SNR applies to the *first* acquisition of a series (only the electrodes are metal
then); the noise level stays fixed for the series, as with a fixed receiver and NS.
"""

from __future__ import annotations

import numpy as np

__all__ = ["METAL_BAND_PPM", "noise_sigma", "measure_snr", "band_mask"]

#: Signal band of the SNR definition (ppm): Li metal, Knight-shifted.
METAL_BAND_PPM = (200.0, 320.0)


def band_mask(ppm: np.ndarray, band: tuple[float, float] = METAL_BAND_PPM) -> np.ndarray:
    """True where ``ppm`` lies inside ``band`` (ppm)."""
    lo, hi = min(band), max(band)
    return (ppm >= lo) & (ppm <= hi)


def noise_sigma(noiseless_peak: float, snr: float, n_points: int) -> float:
    """Per-channel standard deviation of white time-domain noise giving ``snr``.

    Parameters
    ----------
    noiseless_peak : largest magnitude of the noiseless DFT spectrum in the signal band.
    snr : stated SNR (> 0).
    n_points : points transformed (complex FID length, or k-space x time points).
    """
    if snr <= 0:
        raise ValueError("SNR must be positive")
    return float(noiseless_peak) / (float(snr) * np.sqrt(n_points))


def measure_snr(
    spectrum: np.ndarray,
    ppm: np.ndarray,
    noise_band: tuple[float, float],
    signal_band: tuple[float, float] = METAL_BAND_PPM,
    detrend_degree: int = 2,
) -> float:
    """SNR of a measured spectrum (last axis ``ppm``): peak magnitude / noise std (real part).

    Parameters
    ----------
    spectrum : complex DFT spectrum (any leading axes are pooled).
    ppm : shift of each point (ppm).
    noise_band : a signal-free region (ppm) for the noise.
    signal_band : where the peak is searched (ppm).
    detrend_degree : degree of the polynomial removed from the noise region first (the
        Lorentzian tails of strong lines slope through it).
    """
    s = np.asarray(spectrum)
    peak = np.max(np.abs(s[..., band_mask(ppm, signal_band)]))
    sel = band_mask(ppm, noise_band)
    noise = s[..., sel].real.reshape(-1, int(sel.sum()))
    x = ppm[sel] - ppm[sel].mean()
    basis = np.vander(x / np.abs(x).max(), detrend_degree + 1)
    coef, *_ = np.linalg.lstsq(basis, noise.T, rcond=None)
    noise = noise - (basis @ coef).T
    return float(peak / np.std(noise))
