"""The default automatic pipeline for a raw FID series.

DC offset, digital filter, exponential window, zero fill to the next power of two at least
twice the points, Fourier transform, phase, polynomial baseline. For Li (6Li/7Li) spectra
covering both the metal and electrolyte windows, phase is found per line
(:class:`~dendritemr.nmr.phase.LinePhase`: the metal keeps a skin-depth phase of its own),
otherwise one series-wide automatic phase (ACME on the mean spectrum).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dendritemr.nmr import defaults
from dendritemr.nmr.apodize import ExponentialApodization
from dendritemr.nmr.baseline import PolynomialBaseline
from dendritemr.nmr.dc_offset import DCOffset
from dendritemr.nmr.digital_filter import DigitalFilter
from dendritemr.nmr.fourier import FourierTransform, ppm_axis
from dendritemr.nmr.phase import AutoPhase, LinePhase
from dendritemr.nmr.pipeline import Pipeline
from dendritemr.nmr.zero_fill import ZeroFill


def covers(fid: xr.DataArray, windows: list[tuple[float, float]]) -> bool:
    """True if the spectrum of ``fid`` will span every ppm window."""
    sf = float(fid.attrs.get("sf_mhz", np.nan))
    sf = sf if np.isfinite(sf) else float(fid.attrs["sfo1_mhz"])
    ppm = ppm_axis(8, float(fid.attrs["sw_hz"]), float(fid.attrs["sfo1_mhz"]), sf)
    return all(ppm.min() < min(w) and max(w) < ppm.max() for w in windows)


def is_li_series(fid: xr.DataArray) -> bool:
    """Li nucleus and both Li windows inside the spectral width."""
    windows = list(defaults.LI_REGIONS.values())
    return fid.attrs.get("nucleus") in defaults.LI_NUCLEI and covers(fid, windows)


def auto_pipeline(fid: xr.DataArray, lb_hz: float | None = None, phase: str = "auto") -> Pipeline:
    """The default pipeline for ``fid``.

    ``phase``: ``auto`` (``lines`` for Li series, else ``acme``), ``lines`` (per-line phase,
    peak method), ``lines-acme`` (per-line phase, ACME method), ``acme`` (one phase for the
    series from the mean spectrum) or ``none``.
    """
    n = fid.sizes["t2"]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    li = is_li_series(fid)
    lb = defaults.LB_HZ if lb_hz is None else lb_hz
    steps = [
        DCOffset(),
        DigitalFilter(),
        ExponentialApodization(lb_hz=lb),
        ZeroFill(size=size),
        FourierTransform(),
    ]
    if phase == "auto":
        phase = "lines" if li else "acme"
    if phase in ("lines", "lines-acme"):
        method = "acme" if phase == "lines-acme" else "peak"
        steps.append(LinePhase(windows=list(defaults.LI_REGIONS.values()), method=method))
    elif phase == "acme":
        steps.append(AutoPhase(mode="series"))
    if li:
        steps.append(PolynomialBaseline(order=1, regions=defaults.LI_BASELINE_REGIONS))
    return Pipeline(steps)


def auto_spectra(
    fid: xr.DataArray, lb_hz: float | None = None, phase: str = "auto"
) -> xr.DataArray:
    """Spectra of ``fid`` processed by :func:`auto_pipeline`."""
    return auto_pipeline(fid, lb_hz, phase)(fid, chunk=256)
