"""End-to-end quantification of raw or processed series (used by the CLI commands).

:func:`quantify_series`: metal amounts per time point (electrode / microstructure split).
:func:`isotope_pair`: per-component x6 from a 6Li and a 7Li measurement of one sample.
Both read anything :func:`dendritemr.io.open_dataset` reads and process raw FIDs with the
default pipeline (:func:`dendritemr.process.process_series`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.fit import Component, Param, SeriesModel, fit_series
from dendritemr.nmr import defaults
from dendritemr.physics import get_nucleus
from dendritemr.quant.amounts import Calibration, amounts, calibrate_electrode, saturation
from dendritemr.quant.isotopes import (
    InstrumentRatio,
    LineCorrection,
    calibrate_k,
    correction_ratio,
    x6_from_pair,
)
from dendritemr.quant.split import FIT_WINDOW, fit_metal, metal_model, noise_sigma, split_metal

__all__ = [
    "load_spectra",
    "repetition_time",
    "quantify_series",
    "noise_correlation",
    "fit_lines",
    "isotope_pair",
]

ELECTROLYTE_WINDOW = (-30.0, 30.0)
METAL_WINDOW = (200.0, 300.0)
MIN_SNR = 3.0


def load_spectra(path: str | Path) -> xr.DataArray:
    """Read a dataset and return its phased ``(time, ppm)`` spectra."""
    from dendritemr.io import open_dataset
    from dendritemr.process import process_series

    data = open_dataset(path)
    if data.attrs.get("nucleus") not in ("6Li", "7Li"):
        raise DataError(path, f"nucleus {data.attrs.get('nucleus')!r} is not 6Li or 7Li")
    spectra = process_series(data)["spectrum"]
    if "hours" not in spectra.coords:
        spectra = spectra.assign_coords(
            hours=("time", np.arange(spectra.sizes["time"], dtype=float))
        )
    return spectra


def repetition_time(attrs: dict) -> float:
    """TR = D1 + AQ (s) from acquisition attributes; ``inf`` when unknown (no correction)."""
    try:
        return float(attrs["d1_s"]) + float(attrs["td"]) / (2.0 * float(attrs["sw_hz"]))
    except (KeyError, TypeError, ValueError):
        return float("inf")


def _field(attrs: dict, path) -> float:
    field = attrs.get("field_t")
    if field is None or not np.isfinite(float(field)):
        raise DataError(path, "no field (field_t) recorded")
    return float(field)


def quantify_series(
    spectra: xr.DataArray,
    calibration: Calibration | dict | None = None,
    *,
    temperature_k: float = 298.15,
    t1_s: float | None = None,
) -> dict[str, Any]:
    """Electrode and microstructure areas and amounts per time point.

    Parameters
    ----------
    spectra : phased ``(time, ppm)`` spectra with acquisition attributes.
    calibration : a :class:`Calibration`; or ``{"electrode_face_area_cm2": A, ...}`` (keyword
        arguments of :func:`calibrate_electrode`) to calibrate on the first spectrum's
        electrode line; ``None``: areas only.
    temperature_k : sample temperature, K (Korringa T1, resistivity).
    t1_s : metal T1, s (``None``: Korringa).
    """
    nucleus = str(spectra.attrs.get("nucleus", "7Li"))
    fit = fit_metal(spectra)
    parts = dict(split_metal(fit, spectra))
    # the fit assumes independent points; processing correlates them (see noise_correlation)
    tau = noise_correlation(spectra.isel(time=0))
    for key in [k for k in parts if k.endswith("_err")]:
        parts[key] = np.asarray(parts[key]) * np.sqrt(tau)
    sat = saturation(
        nucleus, repetition_time(spectra.attrs), temperature_k=temperature_k, t1_s=t1_s
    )
    doc: dict[str, Any] = {
        "nucleus": nucleus,
        "field_t": spectra.attrs.get("field_t"),
        "time_h": spectra["hours"].values.tolist(),
        "saturation_factor": sat,
        "noise_correlation": tau,
        "areas": {k: np.asarray(v).tolist() for k, v in parts.items()},
        "centers_ppm": fit["center"].sel(component="electrode").values.tolist(),
        "microstructure_shape": fit.attrs["microstructure_shape"],
    }
    if isinstance(calibration, dict):
        kw = dict(calibration)
        face = kw.pop("electrode_face_area_cm2")
        calibration = calibrate_electrode(
            float(parts["electrode"][0]),
            float(parts["electrode_err"][0]),
            face,
            nucleus=nucleus,
            field_t=_field(spectra.attrs, spectra.attrs.get("source", "")),
            saturation_factor=sat,
            temperature_k=temperature_k,
            **kw,
        )
    if calibration is not None:
        doc["calibration"] = calibration.to_dict()
        for comp in ("electrode", "microstructure", "total"):
            q = amounts(parts[comp], parts[f"{comp}_err"], calibration, saturation_factor=sat)
            doc[comp] = {k: np.asarray(v).tolist() for k, v in q.items()}
        doc["electrode"]["note"] = "fully-visible-equivalent amount (surface layer only)"
    return doc


def noise_correlation(spectrum: xr.DataArray, max_lag: int = 30) -> float:
    """Variance inflation ``tau = sum_k rho(k)`` of the spectrum's noise (1 for white noise).

    Apodisation, zero filling and the receiver's digital filter correlate neighbouring
    spectral points, while least-squares errors assume independent points: a smooth
    estimate such as a line area then has ``tau`` times the variance the fit reports (6Li
    with LB 50 Hz: tau ~ 24, 7Li ~ 14). Estimated from the detrended real part in the
    signal-free Li baseline regions, lags up to ``max_lag`` points; at least 1.
    """
    rho = []
    for lo, hi in defaults.LI_BASELINE_REGIONS:
        y = spectrum.real.where((spectrum.ppm >= lo) & (spectrum.ppm <= hi), drop=True).values
        if y.size < 4 * max_lag:
            continue
        i = np.arange(y.size)
        y = y - np.polyval(np.polyfit(i, y, 1), i)
        var = float(np.mean(y * y))
        if var > 0:
            rho.append([np.mean(y[: y.size - k] * y[k:]) / var for k in range(1, max_lag)])
    if not rho:
        return 1.0
    return max(1.0, 1.0 + 2.0 * float(np.sum(np.mean(rho, axis=0))))


def fit_lines(spectra: xr.DataArray, path) -> dict[str, tuple[float, float]]:
    """Areas and errors of electrode, microstructure and electrolyte on the mean spectrum.

    The metal lines are fitted with every shape parameter free (the microstructure shape is
    not held at values fitted to the same data, which would hide their uncertainty) and all
    errors are scaled by ``sqrt(tau)`` for the correlated noise (:func:`noise_correlation`).
    """
    mean = spectra.mean("time").expand_dims(time=[0]).assign_coords(hours=("time", [0.0]))
    mean.attrs = dict(spectra.attrs)
    sigma = float(noise_sigma(mean)[0])
    lo, hi = METAL_WINDOW
    peak = float(mean.real.where((mean.ppm >= lo) & (mean.ppm <= hi)).max())
    snr = peak / sigma if sigma > 0 and np.isfinite(sigma) else 0.0
    if not snr >= MIN_SNR:
        raise DataError(path, f"no metal signal: SNR {snr:.3g} (need >= {MIN_SNR:g})")
    inflate = np.sqrt(noise_correlation(mean.isel(time=0)))
    lo, hi = FIT_WINDOW
    metal = mean.real.where((mean.ppm >= lo) & (mean.ppm <= hi), drop=True)
    electrode_ppm = float(metal.ppm[int(np.argmax(metal.values[0]))])
    # one Lorentzian per metal line: everything is free on one spectrum here, where the broad
    # electrode component of fit_metal is not determined (and absent in simulated data)
    model = metal_model(electrode_ppm, broad=False)
    parts = split_metal(fit_series(metal, model), mean)
    lo, hi = ELECTROLYTE_WINDOW
    window = mean.real.where((mean.ppm >= lo) & (mean.ppm <= hi), drop=True)
    model = SeriesModel((Component("electrolyte", phase=Param(0.0, "free")),), baseline="linear")
    el = fit_series(window, model, keep_components=False)
    return {
        "electrode": (float(parts["electrode"][0]), inflate * float(parts["electrode_err"][0])),
        "microstructure": (
            float(parts["microstructure"][0]),
            inflate * float(parts["microstructure_err"][0]),
        ),
        "electrolyte": (float(el["area"][0, 0]), inflate * float(el["area_err"][0, 0])),
        "snr": (snr, 0.0),
        "noise_correlation": (inflate**2, 0.0),
    }


MORPHOLOGY = {"electrode": "bulk", "microstructure": "micro", "electrolyte": "none"}


def _check_pair(s6: xr.DataArray, s7: xr.DataArray, p6, p7) -> float:
    if get_nucleus(s6.attrs.get("nucleus", "")).name != "6Li":
        raise DataError(p6, f"--li6 data are {s6.attrs.get('nucleus')}, not 6Li")
    if get_nucleus(s7.attrs.get("nucleus", "")).name != "7Li":
        raise DataError(p7, f"--li7 data are {s7.attrs.get('nucleus')}, not 7Li")
    f6, f7 = _field(s6.attrs, p6), _field(s7.attrs, p7)
    if abs(f6 - f7) > 1e-3 * max(f6, f7):
        raise DataError(p6, f"field {f6:.4f} T differs from the 7Li data's {f7:.4f} T")
    for key in ("sample", "title"):
        a, b = s6.attrs.get(key), s7.attrs.get(key)
        if a and b and str(a).strip() != str(b).strip():
            raise DataError(p6, f"sample {a!r} differs from the 7Li data's {b!r}")
    return f7


def _ratios(s6, s7, field, temperature_k) -> dict[str, dict[str, float]]:
    tr6, tr7 = repetition_time(s6.attrs), repetition_time(s7.attrs)
    return {
        name: correction_ratio(
            LineCorrection(morph), field_t=field, tr6_s=tr6, tr7_s=tr7, temperature_k=temperature_k
        )
        for name, morph in MORPHOLOGY.items()
    }


def isotope_pair(
    li6: str | Path,
    li7: str | Path,
    *,
    reference: tuple[str | Path, str | Path, float] | None = None,
    reference_x6_err: float = 0.0,
    reference_line: str = "electrolyte",
    instrument: InstrumentRatio | None = None,
    temperature_k: float = 298.15,
) -> dict[str, Any]:
    """Per-component x6 (electrode, microstructure, electrolyte) of a paired measurement.

    Parameters
    ----------
    li6, li7 : paths of the sample's 6Li and 7Li data.
    reference : ``(li6_path, li7_path, x6)`` of a reference of known x6 measured with the same
        settings; its ``reference_line`` calibrates K.
    reference_x6_err : standard error of the reference x6.
    instrument : a known K instead of a reference.
    temperature_k : sample temperature, K.
    """
    if reference is None and instrument is None:
        raise DataError(
            li6,
            "missing reference: give --reference-li6/--reference-li7/--reference-x6 or a known K",
        )
    s6, s7 = load_spectra(li6), load_spectra(li7)
    field = _check_pair(s6, s7, li6, li7)
    doc: dict[str, Any] = {"field_t": field, "temperature_k": temperature_k}
    if reference is not None:
        r6p, r7p, x6_ref = reference
        r6, r7 = load_spectra(r6p), load_spectra(r7p)
        rfield = _check_pair(r6, r7, r6p, r7p)
        if abs(rfield - field) > 1e-3 * field:
            raise DataError(r7p, f"reference field {rfield:.4f} T differs from {field:.4f} T")
        l6, l7 = fit_lines(r6, r6p), fit_lines(r7, r7p)
        ratio = _ratios(r6, r7, field, temperature_k)[reference_line]["total"]
        try:
            instrument = calibrate_k(
                *l6[reference_line], *l7[reference_line], x6_ref, ratio, reference_x6_err
            )
        except ValueError as exc:
            raise DataError(r6p, f"reference {reference_line} line: {exc}") from exc
    doc["k"] = instrument.k
    doc["k_rel_err"] = instrument.rel_err
    a6, a7 = fit_lines(s6, li6), fit_lines(s7, li7)
    doc["snr"] = {"6Li": a6["snr"][0], "7Li": a7["snr"][0]}
    ratios = _ratios(s6, s7, field, temperature_k)
    comps = {}
    for name in MORPHOLOGY:
        entry: dict[str, Any] = {
            "a6": a6[name][0],
            "a6_err": a6[name][1],
            "a7": a7[name][0],
            "a7_err": a7[name][1],
            "corrections": ratios[name],
        }
        try:
            x, e = x6_from_pair(*a6[name], *a7[name], instrument, ratios[name]["total"])
            entry.update(x6=float(x), x6_err=float(e))
        except ValueError as exc:
            entry.update(x6=None, x6_err=None, note=str(exc))
        comps[name] = entry
    doc["components"] = comps
    return doc
