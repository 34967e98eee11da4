"""Receiver DC offset removal (TopSpin BC_mod 'quad')."""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from dendritemr.nmr.base import ProcessingStep, copy_with


@dataclasses.dataclass
class DCOffset(ProcessingStep):
    """Subtract the mean of the last ``tail_fraction`` of each FID (where only noise remains).

    Parameters
    ----------
    tail_fraction : fraction of the FID (from its end) used to estimate the offset.
    """

    name = "dc_offset"
    tail_fraction: float = 0.25

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        axis = da.get_axis_num("t2")
        n = da.sizes["t2"]
        start = n - max(1, int(round(n * self.tail_fraction)))
        tail = np.take(da.values, np.arange(start, n), axis=axis)
        return copy_with(da, da.values - tail.mean(axis=axis, keepdims=True))
