"""Split the Li-metal signal of a spectrum series into bulk electrode and microstructure.

Lorentzian lines in the metal window (``docs/science.md`` section 3): the bulk electrode
near the Knight shift (~248 ppm at 7.05 T in the real example) and the microstructure line
10-25 ppm higher (Chang et al. 2015: the higher-frequency peak is the dendritic one). The
electrode line of real cells is not Lorentzian: a narrow core on a broad base (field
inhomogeneity over the electrode and cell). It is described by two Lorentzians, ``electrode``
(narrow) and ``electrode_broad`` (FWHM >= 12 ppm), each with a skin-depth phase of its own and a
non-negative area, all free per spectrum; the electrode area is their sum. A pseudo-Voigt
cannot describe it (its tails are at most Lorentzian: eta goes to 1) and a Gaussian is worse.
A small early microstructure line cannot fix its own position, width and phase, so
:func:`fit_metal` fits them on the mean of the last spectra (where it is largest) and holds
them while electrode parameters and all areas are fitted per spectrum
(all-local model: the batched solver of :mod:`dendritemr.fit.batched`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dendritemr.fit import Component, Param, SeriesModel, fit_series

__all__ = ["metal_model", "fit_metal", "split_metal", "noise_sigma"]

#: bound on every electrode phase, rad (skin-depth phase <= pi/4 plus a spectrum phase error)
ELECTRODE_PHASE_MAX = 1.2
#: least FWHM of the broad electrode component, ppm
BROAD_MIN_WIDTH = 12.0

#: default windows, ppm
FIT_WINDOW = (160.0, 340.0)
INTEGRAL_WINDOW = (200.0, 300.0)
NOISE_WINDOW = (100.0, 180.0)


def metal_model(
    electrode_ppm: float = 248.0,
    micro_offset_ppm: float = 20.0,
    micro: dict[str, float] | None = None,
    broad: bool = True,
) -> SeriesModel:
    """Electrode + microstructure model of the metal window.

    Parameters
    ----------
    electrode_ppm : starting electrode shift, ppm (bounded to +-8 ppm).
    micro_offset_ppm : starting microstructure shift above the electrode, ppm (8-37 ppm).
    micro : held ``center`` (ppm), ``width`` (ppm) and ``phase`` (rad) of the microstructure;
        ``None`` fits them.
    broad : add the broad electrode component ``electrode_broad`` (default); ``False``: a
        single Lorentzian electrode line (the earlier model).
    """
    e = electrode_ppm
    pmax = ELECTRODE_PHASE_MAX
    if broad:
        lines = (
            Component(
                "electrode",
                area=Param(None, min=0.0),
                center=Param(e, min=e - 8.0, max=e + 8.0),
                width=Param(6.0, min=0.5, max=20.0),
                phase=Param(0.0, "free", min=-pmax, max=pmax),
            ),
            Component(
                "electrode_broad",
                area=Param(None, min=0.0),
                center=Param(e, min=e - 8.0, max=e + 8.0),
                width=Param(25.0, min=BROAD_MIN_WIDTH, max=100.0),
                phase=Param(0.0, "free", min=-pmax, max=pmax),
            ),
        )
    else:
        lines = (
            Component(
                "electrode",
                center=Param(e, min=e - 8.0, max=e + 8.0),
                width=Param(7.0, min=0.5, max=40.0),
                phase=Param(0.0, "free"),
            ),
        )
    if micro:
        m = Component(
            "microstructure",
            center=Param(micro["center"], "fixed"),
            width=Param(micro["width"], "fixed"),
            phase=Param(micro["phase"], "fixed"),
        )
    else:
        c = e + micro_offset_ppm
        m = Component(
            "microstructure",
            center=Param(c, min=e + 8.0, max=e + 37.0),
            width=Param(10.0, min=1.0, max=40.0),
            phase=Param(0.0, "free"),
        )
    return SeriesModel((*lines, m), baseline="linear")


def noise_sigma(spectra: xr.DataArray, window: tuple[float, float] = NOISE_WINDOW) -> np.ndarray:
    """Per-spectrum noise standard deviation (signal units) in a signal-free ppm window."""
    lo, hi = sorted(window)
    sel = spectra.real.where((spectra.ppm >= lo) & (spectra.ppm <= hi), drop=True)
    return sel.std("ppm").values


def _window(spectra: xr.DataArray, window) -> xr.DataArray:
    lo, hi = sorted(window)
    return spectra.real.where((spectra.ppm >= lo) & (spectra.ppm <= hi), drop=True)


def fit_metal(
    spectra: xr.DataArray,
    *,
    electrode_ppm: float | None = None,
    window: tuple[float, float] = FIT_WINDOW,
    n_last: int = 5,
    broad: bool = True,
) -> xr.Dataset:
    """Fit electrode and microstructure lines to every spectrum of a ``(time, ppm)`` series.

    Parameters
    ----------
    spectra : phased spectra (e.g. from :func:`dendritemr.process.process_series`).
    electrode_ppm : starting electrode shift; ``None``: the maximum of the mean spectrum in
        the window.
    window : ppm window fitted.
    n_last : number of final spectra whose mean fixes the microstructure line shape.
    broad : electrode as narrow + broad Lorentzians (default) or one Lorentzian
        (see :func:`metal_model`).

    Returns
    -------
    xarray.Dataset
        :func:`dendritemr.fit.fit_series` output; ``attrs["microstructure_shape"]`` holds the
        held centre, width and phase.
    """
    s = _window(spectra, window)
    if electrode_ppm is None:
        mean = s.mean("time")
        electrode_ppm = float(mean.ppm[int(np.argmax(mean.values))])
    last = s.isel(time=slice(-n_last, None)).mean("time").expand_dims(time=[0])
    last = last.assign_coords(hours=("time", [0.0]))
    first = fit_series(last, metal_model(electrode_ppm, broad=broad), keep_components=False)
    micro = {
        k: float(first[k].sel(component="microstructure")[0]) for k in ("center", "width", "phase")
    }
    ds = fit_series(s, metal_model(electrode_ppm, micro=micro, broad=broad))
    ds.attrs["microstructure_shape"] = str(micro)
    return ds


def split_metal(
    fit: xr.Dataset,
    spectra: xr.DataArray,
    *,
    integral_window: tuple[float, float] = INTEGRAL_WINDOW,
    noise_window: tuple[float, float] = NOISE_WINDOW,
) -> dict[str, np.ndarray]:
    """Areas of electrode and microstructure with errors, and fit-quality figures.

    Returns
    -------
    dict
        ``electrode`` (sum over the ``electrode*`` components), ``microstructure``, ``total``
        areas and ``*_err`` (sums: quadrature, an upper bound since the areas are
        anti-correlated); ``window_data`` (baseline-
        subtracted data integral over ``integral_window``) and ``window_fit`` (integral of the
        fitted lines over it); ``noise`` (sigma), ``redchi_noise`` (RSS / (dof sigma^2)) and
        ``resid_rms_over_noise`` in the integral window.
    """
    area = fit["area"]
    err = fit["area_err"]
    names = [str(c) for c in fit["component"].values if str(c).startswith("electrode")]
    el = area.sel(component=names).values.sum(axis=1)
    ele = np.sqrt((err.sel(component=names).values ** 2).sum(axis=1))
    mi = area.sel(component="microstructure").values
    mie = err.sel(component="microstructure").values
    sigma = noise_sigma(spectra, noise_window)
    ppm = fit.ppm.values
    dppm = float(np.mean(np.abs(np.diff(ppm))))
    lo, hi = sorted(integral_window)
    inside = (ppm >= lo) & (ppm <= hi)
    data = np.asarray(fit["fit"] + fit["residual"] - fit["baseline"])[:, inside].sum(1) * dppm
    lines = np.asarray(fit["components"])[:, :, inside].sum(axis=(1, 2)) * dppm
    resid = np.asarray(fit["residual"])[:, inside]
    return {
        "electrode": el,
        "electrode_err": ele,
        "microstructure": mi,
        "microstructure_err": mie,
        "total": el + mi,
        "total_err": np.hypot(ele, mie),
        "window_data": data,
        "window_fit": lines,
        "noise": sigma,
        "redchi_noise": fit["rss"].values / (fit["dof"].values * sigma**2),
        "resid_rms_over_noise": np.sqrt(np.mean(resid**2, axis=1)) / sigma,
    }
