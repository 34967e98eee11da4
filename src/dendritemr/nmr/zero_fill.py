"""Truncation (TopSpin TDeff) and zero filling of FIDs."""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.nmr.base import ProcessingStep


def _dwell(da: xr.DataArray) -> float:
    t2 = da["t2"].values
    if t2.size > 1:
        return float(t2[1] - t2[0])
    return 1.0 / float(da.attrs["sw_hz"])


@dataclasses.dataclass
class Truncate(ProcessingStep):
    """Keep the first ``points`` complex points of each FID."""

    name = "truncate"
    points: int = 0

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        if self.points <= 0:
            raise ProcessingError(f"truncate: points must be positive, got {self.points}")
        out = da.isel(t2=slice(0, min(self.points, da.sizes["t2"]))).copy()
        return out


@dataclasses.dataclass
class ZeroFill(ProcessingStep):
    """Append zeros so each FID has ``size`` complex points (no-op if already that long)."""

    name = "zero_fill"
    size: int = 0

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        n = da.sizes["t2"]
        if self.size < n:
            raise ProcessingError(f"zero_fill: size {self.size} is below the {n} points present")
        axis = da.get_axis_num("t2")
        shape = list(da.shape)
        shape[axis] = self.size
        values = np.zeros(shape, dtype=np.result_type(da.dtype, np.complex64))
        index = [slice(None)] * len(shape)
        index[axis] = slice(0, n)
        values[tuple(index)] = da.values
        coords = {k: v for k, v in da.coords.items() if "t2" not in v.dims}
        coords["t2"] = ("t2", np.arange(self.size) * _dwell(da), da["t2"].attrs)
        return xr.DataArray(values, dims=da.dims, coords=coords, attrs=dict(da.attrs), name=da.name)
