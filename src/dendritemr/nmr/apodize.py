"""Apodisation windows (multiplied along ``t2``; t = 0 at the first point after filter removal)."""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from dendritemr.nmr.base import ProcessingStep, copy_with


def _apply_window(da: xr.DataArray, window: np.ndarray) -> xr.DataArray:
    shape = [1] * da.ndim
    shape[da.get_axis_num("t2")] = window.size
    real = np.empty(0, da.dtype).real.dtype  # keep single precision single
    return copy_with(da, da.values * window.astype(real).reshape(shape))


@dataclasses.dataclass
class ExponentialApodization(ProcessingStep):
    """exp(-pi LB t): Lorentzian broadening of ``lb_hz`` (Hz, full width at half height)."""

    name = "exponential"
    lb_hz: float = 0.0

    def window(self, t: np.ndarray) -> np.ndarray:
        """The window at times ``t`` (s from the first point)."""
        return np.exp(-np.pi * self.lb_hz * t)

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        return _apply_window(da, self.window(da["t2"].values - da["t2"].values[0]))


@dataclasses.dataclass
class GaussianApodization(ProcessingStep):
    """exp(-(pi GB t)^2 / (4 ln 2)): Gaussian broadening of ``gb_hz`` (Hz, FWHM)."""

    name = "gaussian"
    gb_hz: float = 0.0

    def window(self, t: np.ndarray) -> np.ndarray:
        """The window at times ``t`` (s from the first point)."""
        return np.exp(-((np.pi * self.gb_hz * t) ** 2) / (4 * np.log(2)))

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        return _apply_window(da, self.window(da["t2"].values - da["t2"].values[0]))
