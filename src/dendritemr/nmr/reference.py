"""Chemical-shift referencing: move the ppm axis so a known line sits at its literature shift."""

from __future__ import annotations

import dataclasses

import xarray as xr

from dendritemr.nmr.base import ProcessingStep


@dataclasses.dataclass
class Reference(ProcessingStep):
    """Shift the ppm axis so that ``observed_ppm`` becomes ``reference_ppm``."""

    name = "reference"
    input_dim = "ppm"
    observed_ppm: float = 0.0
    reference_ppm: float = 0.0

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        shift = self.reference_ppm - self.observed_ppm
        out = da.copy()
        return out.assign_coords(ppm=("ppm", da["ppm"].values + shift, da["ppm"].attrs))
