"""The default automatic pipeline for a raw FID series: it looks at the data first.

DC offset, digital filter, exponential window, zero fill to the next power of two at least
twice the points, Fourier transform, then phase and baseline chosen from the data:

- **Li metal present** (:func:`metal_line_present`: a 6Li/7Li series whose magnitude spectrum
  has a line inside :data:`~dendritemr.nmr.defaults.METAL_WINDOW`): every spectrum takes the
  zero-order phase of its electrolyte/LLZO line, and the metal window's own lines (the window
  minus the smooth background through its flanks) their own phase
  (:class:`~dendritemr.nmr.phase.WindowPhase`: bulk metal carries a skin-depth phase that
  changes as microstructure grows, and no first-order ramp rotates the strong LLZO line's
  dispersive tail under the metal), then a complex polynomial baseline of degree
  :data:`~dendritemr.nmr.defaults.LI_BASELINE_ORDER` through the signal-free Li regions. The
  metal window integral then grows as TopSpin's (``apk`` + ``abs``) on the real in situ
  series (docs/processing.md).
- **Otherwise** (any nucleus, paramagnetic or broad lines, no metal): one zero- and
  first-order phase for the series from ACME on the mean spectrum
  (:class:`~dendritemr.nmr.phase.AutoPhase`), then a cubic baseline through the points that
  Dietrich's derivative test finds line-free in each spectrum (``regions="auto"``), which
  follows broad lines and narrow lines alike.

Line broadening: LB_HZ (50 Hz) with a metal line, else :func:`default_lb_hz` (a tenth of the
tallest line's width, at most 50 Hz). Raises what the steps raise
(:class:`~dendritemr.errors.ProcessingError`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dendritemr.nmr import defaults
from dendritemr.nmr.apodize import ExponentialApodization
from dendritemr.nmr.baseline import PolynomialBaseline
from dendritemr.nmr.dc_offset import DCOffset
from dendritemr.nmr.digital_filter import DigitalFilter
from dendritemr.nmr.fourier import FourierTransform
from dendritemr.nmr.noise import noise_rows
from dendritemr.nmr.phase import AutoPhase, LinePhase, WindowPhase
from dendritemr.nmr.pipeline import Pipeline
from dendritemr.nmr.zero_fill import ZeroFill

#: degree of the automatic-region baseline when no metal line is present
AUTO_BASELINE_ORDER = 3


def _ppm_range(fid: xr.DataArray) -> tuple[float, float]:
    """(low, high) ppm edges of the spectrum of ``fid``: carrier -+ SW / 2."""
    sf = float(fid.attrs.get("sf_mhz", np.nan))
    sf = sf if np.isfinite(sf) else float(fid.attrs["sfo1_mhz"])
    centre = (float(fid.attrs["sfo1_mhz"]) - sf) / sf * 1e6
    half = float(fid.attrs["sw_hz"]) / 2.0 / sf
    return centre - half, centre + half


def covers(fid: xr.DataArray, windows: list[tuple[float, float]]) -> bool:
    """True if the spectrum of ``fid`` will span every ppm window."""
    lo, hi = _ppm_range(fid)
    return all(lo < min(w) and max(w) < hi for w in windows)


def is_li_series(fid: xr.DataArray) -> bool:
    """Li nucleus and both Li windows inside the spectral width."""
    windows = list(defaults.LI_REGIONS.values())
    return fid.attrs.get("nucleus") in defaults.LI_NUCLEI and covers(fid, windows)


def zero_fill_size(n: int) -> int:
    """Next power of two at least twice ``n`` points."""
    return 1 << int(np.ceil(np.log2(2 * n)))


def survey_spectrum(fid: xr.DataArray, lb_hz: float | None = None) -> xr.DataArray:
    """Unphased spectrum of the series' mean FID (one row), to look at before processing."""
    mean = fid.mean("time", keep_attrs=True).expand_dims(time=fid["time"].values[:1])
    lb = defaults.LB_HZ if lb_hz is None else lb_hz
    steps = [
        DCOffset(),
        DigitalFilter(),
        ExponentialApodization(lb_hz=lb),
        ZeroFill(size=zero_fill_size(fid.sizes["t2"])),
        FourierTransform(),
    ]
    return Pipeline(steps)(mean)


def line_in_window(spectrum: xr.DataArray, window: tuple[float, float], snr: float) -> bool:
    """True if the magnitude of ``spectrum`` (one row) peaks strictly inside ``window`` (ppm),
    at least ``snr`` noise sigmas high and 1.2 x above both window edges (so that the flank of
    a line outside the window does not count)."""
    ppm = spectrum["ppm"].values
    row = spectrum.values.reshape(-1, ppm.size)[0]
    mask = (ppm >= min(window)) & (ppm <= max(window))
    if mask.sum() < 5:
        return False
    mag = np.abs(row[mask])
    sigma = float(noise_rows(row[None, :], "diff-mad")[0])
    k = int(np.argmax(mag))
    inside = 0 < k < mag.size - 1 and mag[k] > 1.2 * max(mag[0], mag[-1])
    return bool(inside and mag[k] >= snr * max(sigma, 1e-300))


def tallest_line_width_hz(spectrum: xr.DataArray, sw_hz: float) -> float:
    """Absorption FWHM (Hz) of the tallest line of ``spectrum`` (one row, unphased): the
    magnitude's full width at half height over sqrt(3) (a Lorentzian's magnitude is sqrt(3)
    times wider than its absorption); includes the digital resolution."""
    mag = np.abs(spectrum.values.reshape(-1, spectrum.sizes["ppm"])[0])
    k = int(np.argmax(mag))
    above = mag >= mag[k] / 2
    left = k - int(np.argmin(above[k::-1])) if not above[k::-1].all() else 0
    right = k + int(np.argmin(above[k:])) if not above[k:].all() else mag.size - 1
    return float((right - left) * sw_hz / mag.size / np.sqrt(3.0))


def default_lb_hz(fid: xr.DataArray, metal: bool) -> float:
    """Line broadening when the caller gives none: :data:`~dendritemr.nmr.defaults.LB_HZ` for
    in situ Li metal data; otherwise a tenth of the tallest line's width (measured without
    broadening), so that the narrowest lines are broadened by ~10 % at most (fidelity before
    sensitivity: pass ``lb_hz`` for more), capped at LB_HZ."""
    if metal:
        return defaults.LB_HZ
    width = tallest_line_width_hz(survey_spectrum(fid, 0.0), float(fid.attrs["sw_hz"]))
    return float(min(defaults.LB_HZ, 0.1 * width))


def metal_line_present(fid: xr.DataArray, survey: xr.DataArray | None = None) -> bool:
    """A 6Li/7Li series whose spectrum spans the metal window and has a line inside it."""
    if fid.attrs.get("nucleus") not in defaults.LI_NUCLEI:
        return False
    if not covers(fid, [defaults.METAL_WINDOW]):
        return False
    survey = survey_spectrum(fid) if survey is None else survey
    return line_in_window(survey, defaults.METAL_WINDOW, defaults.METAL_DETECTION_SNR)


def clipped_regions(
    regions: list[tuple[float, float]], ppm_range: tuple[float, float]
) -> list[tuple[float, float]]:
    """``regions`` cut to the spectrum's ppm range (regions outside it dropped)."""
    lo, hi = ppm_range
    out = []
    for a, b in regions:
        a, b = max(min(a, b), lo), min(max(a, b), hi)
        if b > a:
            out.append((a, b))
    return out


def auto_pipeline(fid: xr.DataArray, lb_hz: float | None = None, phase: str = "auto") -> Pipeline:
    """The default pipeline for ``fid`` (see the module docstring); ``lb_hz`` None:
    :func:`default_lb_hz`.

    ``phase``: ``auto`` (``windows`` when a metal line is present, else ``acme``),
    ``windows`` (:class:`~dendritemr.nmr.phase.WindowPhase`: the electrolyte line's phase for
    the spectrum, the metal window's own lines their own phase),
    ``lines`` (per-line phase, peak method), ``lines-acme`` (per-line phase, ACME method),
    ``acme`` (one zero/first-order phase for the series from the mean spectrum) or ``none``.
    """
    survey = survey_spectrum(fid, defaults.LB_HZ)
    metal = metal_line_present(fid, survey)
    lb = default_lb_hz(fid, metal) if lb_hz is None else lb_hz
    steps = [
        DCOffset(),
        DigitalFilter(),
        ExponentialApodization(lb_hz=lb),
        ZeroFill(size=zero_fill_size(fid.sizes["t2"])),
        FourierTransform(),
    ]
    if phase == "auto":
        phase = "windows" if metal else "acme"
    if phase == "windows":
        steps.append(
            WindowPhase(
                reference=defaults.ELECTROLYTE_WINDOW,
                windows=[defaults.METAL_WINDOW],
                min_snr=defaults.METAL_DETECTION_SNR,
            )
        )
    elif phase in ("lines", "lines-acme"):
        windows = [defaults.METAL_WINDOW]
        if covers(fid, [defaults.ELECTROLYTE_WINDOW]) and line_in_window(
            survey, defaults.ELECTROLYTE_WINDOW, defaults.METAL_DETECTION_SNR
        ):
            windows.append(defaults.ELECTROLYTE_WINDOW)
        method = "acme" if phase == "lines-acme" else "peak"
        steps.append(LinePhase(windows=windows, method=method))
    elif phase == "acme":
        steps.append(AutoPhase(mode="series"))
    if metal:
        regions = clipped_regions(defaults.LI_SIGNAL_FREE, _ppm_range(fid))
        steps.append(PolynomialBaseline(order=defaults.LI_BASELINE_ORDER, regions=regions))
    else:
        steps.append(PolynomialBaseline(order=AUTO_BASELINE_ORDER, regions="auto"))
    return Pipeline(steps)


def auto_spectra(
    fid: xr.DataArray, lb_hz: float | None = None, phase: str = "auto"
) -> xr.DataArray:
    """Spectra of ``fid`` processed by :func:`auto_pipeline`."""
    return auto_pipeline(fid, lb_hz, phase)(fid, chunk=256)


__all__ = [
    "auto_pipeline",
    "auto_spectra",
    "covers",
    "default_lb_hz",
    "is_li_series",
    "line_in_window",
    "metal_line_present",
    "survey_spectrum",
]
