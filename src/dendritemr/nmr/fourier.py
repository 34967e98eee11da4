"""Fourier transform ``t2`` -> ``ppm`` with the chemical-shift axis from SFO1, SW and SF."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import xarray as xr

from dendritemr import backend
from dendritemr.errors import ProcessingError
from dendritemr.nmr.base import ProcessingStep


def ppm_axis(n: int, sw_hz: float, sfo1_mhz: float, sf_mhz: float) -> np.ndarray:
    """Descending ppm axis of an ``n``-point spectrum centred on the carrier SFO1.

    ppm = (SFO1 + f - SF) / SF with f the offset from the carrier in Hz and SF the
    frequency of 0 ppm (both MHz): the result is in ppm directly (Hz / MHz).
    """
    offsets = np.fft.fftshift(np.fft.fftfreq(n, d=1.0 / sw_hz))[::-1]
    return (sfo1_mhz * 1e6 + offsets - sf_mhz * 1e6) / sf_mhz


@functools.lru_cache(maxsize=16)
def _modulation(n: int, dtype: np.dtype, reverse: bool, first_point: float) -> np.ndarray:
    k = np.arange(n)
    sign = np.where(k % 2, -1.0, 1.0)
    mod = (sign if reverse else sign * np.exp(2j * np.pi * k / n)).astype(dtype)
    mod[0] *= first_point
    return mod


@functools.lru_cache(maxsize=16)
def _output_factor(n: int, dtype: np.dtype, reverse: bool, delay: float) -> np.ndarray:
    freq_index = np.arange(n) - n // 2 if reverse else n // 2 - 1 - np.arange(n)
    factor = 1.0 if reverse else float(n)
    return (factor * np.exp(2j * np.pi * delay * freq_index / n)).astype(dtype)


@dataclasses.dataclass
class FourierTransform(ProcessingStep):
    """FFT along ``t2`` giving a spectrum on a descending ``ppm`` axis.

    The residual (fractional) digital-filter delay in ``attrs['group_delay']`` is removed as a
    linear phase. ``first_point`` scales the first FID point (0.5 avoids a baseline offset
    for FIDs that start at t = 0). Spectrometers record the FID with the opposite sense of
    rotation to the ppm axis (Bruker, Varian): ``reverse=True`` accounts for it.
    """

    name = "fourier_transform"
    first_point: float = 0.5
    reverse: bool = False

    # Spectrum in descending-frequency order without a reordering pass:
    # D[j] = N ifft(x (-1)^n e^{2 pi i n / N})[j]; ascending order (reverse=True) is
    # fft(x (-1)^n). The first-point factor rides on the same modulation vector.
    def modulation(self, n: int, dtype: np.dtype) -> np.ndarray:
        """Time-domain factor applied before the transform (ordering and first point)."""
        return _modulation(n, np.dtype(dtype), self.reverse, self.first_point).copy()

    def transform(self, modulated: np.ndarray) -> np.ndarray:
        """The FFT (last axis) of modulated data, in place."""
        if self.reverse:
            return backend.fft(modulated, axis=-1, overwrite_x=True)
        return backend.ifft(modulated, axis=-1, overwrite_x=True)

    def output_factor(self, n: int, delay: float, dtype: np.dtype) -> np.ndarray:
        """Spectral factor after the transform: scaling and the residual filter delay."""
        return _output_factor(n, np.dtype(dtype), self.reverse, float(delay)).copy()

    def output_ppm(self, n: int, attrs: dict) -> np.ndarray:
        """The ppm axis of the output (descending)."""
        sf = float(attrs.get("sf_mhz", np.nan))
        sf = sf if np.isfinite(sf) else float(attrs["sfo1_mhz"])
        return ppm_axis(n, float(attrs["sw_hz"]), float(attrs["sfo1_mhz"]), sf)

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        for key in ("sw_hz", "sfo1_mhz"):
            if not np.isfinite(float(da.attrs.get(key, np.nan))):
                raise ProcessingError(f"fourier_transform: attrs[{key!r}] missing")
        axis = da.get_axis_num("t2")
        n = da.sizes["t2"]
        values = np.moveaxis(da.values, axis, -1)
        dtype = np.result_type(values.dtype, np.complex64)  # single stays single
        spec = self.transform(values * self.modulation(n, dtype))
        spec *= self.output_factor(n, float(da.attrs.get("group_delay", 0.0)), dtype)
        spec = np.moveaxis(spec, -1, axis)
        ppm = self.output_ppm(n, da.attrs)
        dims = tuple("ppm" if d == "t2" else d for d in da.dims)
        coords = {k: v for k, v in da.coords.items() if "t2" not in v.dims}
        coords["ppm"] = ("ppm", ppm, {"units": "ppm"})
        return xr.DataArray(spec, dims=dims, coords=coords, attrs=dict(da.attrs), name="spectrum")

    def _update_attrs(self, out: xr.DataArray) -> None:
        out.attrs["group_delay"] = 0.0
        if not np.isfinite(float(out.attrs.get("sf_mhz", np.nan))):
            out.attrs["sf_mhz"] = out.attrs["sfo1_mhz"]
