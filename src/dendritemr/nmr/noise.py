"""The spectral noise estimate: ONE definition for processing, fitting and quantification.

``noise_std(spectra, region, method)`` is the standard deviation sigma of the noise of the real
part (which equals that of the imaginary part for quadrature detection) of every spectrum,
from a signal-free ppm ``region`` (default :data:`dendritemr.nmr.defaults.NOISE_REGION`):

- ``method="detrended"`` (default): the real part's standard deviation about a straight line
  fitted in the region (ddof 2), so a sloping baseline does not count as noise.
- ``method="diff-mad"``: from successive differences of the real and imaginary parts, robust to
  a smooth line tail, baseline or a stray spike: sigma = 1.4826 MAD(y_i - y_(i-1)) / sqrt(2)
  (white noise: var(y_i - y_(i-1)) = 2 sigma^2; 1.4826 MAD = sigma for Gaussian noise).
  Zero filling and apodisation correlate neighbouring points, which makes the differences
  smaller: this method then underestimates sigma (by ~ the correlation), the detrended one not.
- ``method="diff2-mad"``: the same from second differences, sigma = 1.4826
  MAD(y_(i+1) - 2 y_i + y_(i-1)) / sqrt(6) (white noise: variance 6 sigma^2). A line tail's slope
  cancels too, so a very strong line beside the region (the 7Li LLZO line of a Li | LLZO cell,
  ~100 ppm from the default region, at SNR >~ 1000) no longer inflates sigma: first differences
  read its dispersive tail's slope as noise (the fitted reduced chi-square fell to 0.03 at SNR
  1e4). The unphased line fits (``dendritemr.quant.decompose``) use it.

Both give sigma in the spectrum's intensity units, one value per spectrum.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.nmr import defaults

NOISE_METHODS = ("detrended", "diff-mad", "diff2-mad")
MIN_NOISE_POINTS = 8


def noise_rows(values: np.ndarray, method: str = "detrended") -> np.ndarray:
    """sigma of each row of a complex or real ``(rows, points)`` array (see module docstring)."""
    values = np.atleast_2d(values)
    if values.shape[-1] < MIN_NOISE_POINTS:
        raise ProcessingError(f"noise estimate needs >= {MIN_NOISE_POINTS} points")
    if method == "detrended":
        real = values.real
        x = np.arange(real.shape[-1], dtype=float)
        basis = np.vstack([np.ones_like(x), x - x.mean()]).T
        coef, *_ = np.linalg.lstsq(basis, real.T, rcond=None)
        return (real - (basis @ coef).T).std(axis=-1, ddof=2)
    if method in ("diff-mad", "diff2-mad"):
        order = 1 if method == "diff-mad" else 2
        diffs = np.diff(values, n=order, axis=-1)
        parts = (
            np.concatenate([diffs.real, diffs.imag], axis=-1) if np.iscomplexobj(diffs) else diffs
        )
        mad = np.median(np.abs(parts - np.median(parts, axis=-1, keepdims=True)), axis=-1)
        return 1.4826 * mad / np.sqrt(2.0 if order == 1 else 6.0)
    raise ProcessingError(f"noise: method must be one of {NOISE_METHODS}, not {method!r}")


def noise_std(
    da: xr.DataArray,
    region: tuple[float, float] = defaults.NOISE_REGION,
    method: str = "detrended",
) -> xr.DataArray:
    """Noise standard deviation per spectrum of ``da`` (dims (..., ``ppm``)) in ``region`` (ppm).

    Returns a DataArray with the dims of ``da`` other than ``ppm``, in intensity units.
    Raises :class:`ProcessingError` when the region holds fewer than 8 points.
    """
    if "ppm" not in da.dims:
        raise ProcessingError(f"noise_std: needs dimension 'ppm', data has {da.dims}")
    ppm = da["ppm"].values
    mask = (ppm >= min(region)) & (ppm <= max(region))
    if mask.sum() < MIN_NOISE_POINTS:
        raise ProcessingError(
            f"noise region {region} ppm holds {int(mask.sum())} points (< {MIN_NOISE_POINTS})"
        )
    part = da.isel(ppm=np.flatnonzero(mask))
    other = [d for d in part.dims if d != "ppm"]
    rows = part.transpose(*other, "ppm").values.reshape(-1, int(mask.sum()))
    sigma = noise_rows(rows, method).reshape([part.sizes[d] for d in other])
    return xr.DataArray(sigma, dims=other, coords={d: part[d] for d in other if d in part.coords})


__all__ = ["NOISE_METHODS", "noise_rows", "noise_std"]
