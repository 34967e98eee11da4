"""Magnitude and power spectra (TopSpin ``mc`` and ``ps``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.nmr.base import ProcessingStep, copy_with


@dataclasses.dataclass
class Magnitude(ProcessingStep):
    """Replace each spectrum by its magnitude |S| (``power=False``, TopSpin ``mc``) or its
    power |S|^2 (``power=True``, TopSpin ``ps``), stored as the real part (imaginary part 0).

    Phase-independent: used for spectra that cannot be phased, or to replay TopSpin.
    """

    name = "magnitude"
    input_dim = "ppm"
    power: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.power, bool):
            raise ProcessingError("magnitude: power must be true or false")

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        values = np.abs(da.values)
        if self.power:
            values = values**2
        dtype = np.result_type(da.dtype, np.complex64)
        return copy_with(da, values.astype(dtype))


__all__ = ["Magnitude"]
