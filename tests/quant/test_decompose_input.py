"""Bad input to the line decomposition: one-line errors that name the spectrum."""

import numpy as np
import pytest
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.quant.decompose import decompose


def test_a_spectrum_without_noise_is_named():
    """A zero-filled fid in a series (an aborted acquisition): the error names its expno, not
    only the series."""
    rng = np.random.default_rng(1)
    ppm = np.linspace(400.0, -400.0, 2048)
    y = rng.normal(size=(4, ppm.size)) + 1j * rng.normal(size=(4, ppm.size))
    y[2] = 0.0
    spectra = xr.DataArray(
        y,
        dims=("time", "ppm"),
        coords={"ppm": ppm, "expno": ("time", [11, 12, 13, 14])},
        attrs={"nucleus": "7Li"},
    )
    with pytest.raises(ProcessingError, match=r"7Li expno 13: no noise in the spectrum"):
        decompose([spectra])
