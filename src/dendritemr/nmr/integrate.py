"""Region integrals of spectra with noise-based uncertainties, and signal-to-noise ratios.

Integrals are sums of the real part times the point spacing (ppm units). The noise standard
deviation sigma of each spectrum is :func:`dendritemr.nmr.noise.noise_std` (signal-free
region, real part, linear trend removed); for n independent points the integral's standard
error is sigma sqrt(n) |d ppm|.
(Zero filling correlates neighbouring points, so this is a lower bound unless the spectrum
was not zero filled; pass ``correlation`` = zero-fill factor to account for it.)
SNR = maximum of the real part in the signal region / sigma.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.nmr.baseline import region_mask
from dendritemr.nmr.noise import noise_std  # the one noise definition (re-exported)


def integrate_regions(
    da: xr.DataArray,
    regions: Mapping[str, tuple[float, float]],
    noise_region: tuple[float, float] | None = None,
    correlation: float = 1.0,
) -> xr.Dataset:
    """Integrate the real part over named ppm ``regions``.

    Returns a Dataset with ``area`` and (if ``noise_region`` is given) ``area_err`` of dims
    (..., ``region``), in intensity x ppm.
    """
    if "ppm" not in da.dims:
        raise ProcessingError(f"integrate_regions: needs dimension 'ppm', data has {da.dims}")
    ppm = da["ppm"].values
    step = abs(float(ppm[1] - ppm[0]))
    names = list(regions)
    moved = np.moveaxis(da.values, da.get_axis_num("ppm"), -1)  # (..., ppm), a view
    areas = np.empty(moved.shape[:-1] + (len(names),))
    counts = np.empty(len(names))
    for k, name in enumerate(names):
        mask = region_mask(ppm, [regions[name]])
        if not mask.any():
            raise ProcessingError(f"region {name!r} {regions[name]} ppm lies outside the spectrum")
        lo, hi = np.flatnonzero(mask)[[0, -1]]  # regions are contiguous on a monotonic axis
        # summing the contiguous complex block is faster than its strided real view
        areas[..., k] = moved[..., lo : hi + 1].sum(axis=-1).real * step
        counts[k] = hi - lo + 1
    other = [d for d in da.dims if d != "ppm"]
    coords = {c: v for c, v in da.coords.items() if "ppm" not in v.dims}
    coords["region"] = ("region", names)
    dims = (*other, "region")
    out = xr.Dataset({"area": (dims, areas)}, coords=coords)
    if noise_region is not None:
        sigma = noise_std(da, noise_region).transpose(*other).values
        errors = sigma[..., None] * np.sqrt(counts * correlation) * step
        out["area_err"] = (dims, errors)
    out.attrs = {k: v for k, v in da.attrs.items() if k in ("nucleus", "source", "history")}
    return out


def snr(
    da: xr.DataArray, signal_region: tuple[float, float], noise_region: tuple[float, float]
) -> xr.DataArray:
    """Peak height of the real part in ``signal_region`` over the noise standard deviation."""
    ppm = da["ppm"].values
    mask = region_mask(ppm, [signal_region])
    peak = da.real.isel(ppm=np.flatnonzero(mask)).max("ppm")
    return peak / noise_std(da, noise_region)


__all__ = ["integrate_regions", "noise_std", "snr"]
