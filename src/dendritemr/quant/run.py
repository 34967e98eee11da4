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


# ---------------------------------------------------------------------------- joint fits
def fit_spectra(path: str | Path) -> xr.DataArray:
    """Complex spectra for line fitting: read, DC offset, digital filter, FFT; no apodisation,
    zero filling or phase correction (white noise; the fit carries the phases).

    Raises
    ------
    DataError
        the data are not 6Li or 7Li FIDs.
    """
    from dendritemr.io import open_dataset
    from dendritemr.nmr import DCOffset, DigitalFilter, FourierTransform, Pipeline

    data = open_dataset(path)
    if data.attrs.get("nucleus") not in ("6Li", "7Li"):
        raise DataError(path, f"nucleus {data.attrs.get('nucleus')!r} is not 6Li or 7Li")
    if "t2" not in data.dims:
        raise DataError(path, "line fits need raw FIDs (fid/ser), not processed spectra")
    if not np.any(np.asarray(data.values)):
        raise DataError(path, "no signal: every FID point is zero (SNR 0)")
    spectra = Pipeline([DCOffset(), DigitalFilter(), FourierTransform()])(data)
    if "hours" not in spectra.coords:
        spectra = spectra.assign_coords(
            hours=("time", np.arange(spectra.sizes["time"], dtype=float))
        )
    return spectra


def acquisition(spectra: xr.DataArray):
    """:class:`~dendritemr.quant.atoms.Acquisition` (nucleus, TR = D1 + AQ) of a series."""
    from dendritemr.quant.atoms import Acquisition

    return Acquisition(str(spectra.attrs["nucleus"]), repetition_time(spectra.attrs))


def pair_series(s7: xr.DataArray, s6: xr.DataArray, p7, p6) -> float:
    """Check that 6Li and 7Li series pair up time point by time point; returns the field (T).

    Raises
    ------
    DataError
        wrong nucleus, different field, different lengths, or pairs further apart in time than
        the series' median interval.
    """
    field = _check_pair(s6, s7, p6, p7)
    n6, n7 = s6.sizes["time"], s7.sizes["time"]
    if n6 != n7:
        raise DataError(p6, f"{n6} 6Li spectra but {n7} 7Li spectra: series must pair up")
    if n7 > 1 and "time" in s7.coords and "time" in s6.coords:
        t7 = s7["time"].values.astype("datetime64[s]").astype(float)
        t6 = s6["time"].values.astype("datetime64[s]").astype(float)
        if np.all(np.isfinite(t7)) and np.all(np.isfinite(t6)):
            step = float(np.median(np.abs(np.diff(t7))))
            gap = float(np.max(np.abs(t6 - t7)))
            if gap > step:
                raise DataError(
                    p6,
                    f"6Li and 7Li spectra up to {gap / 3600:.2f} h apart "
                    f"(interval {step / 3600:.2f} h)",
                )
    return field


def parse_t1(items) -> dict:
    """``GROUP:NUCLEUS=SECONDS`` strings -> ``{(group, nucleus): seconds}``.

    Raises
    ------
    DataError
        malformed item, unknown group or nucleus, or a T1 that is not positive.
    """
    out = {}
    for text in items or ():
        try:
            key, value = text.split("=", 1)
            group, nucleus = key.split(":", 1)
            t1 = float(value)
        except ValueError:
            raise DataError(
                text, "T1 must be GROUP:NUCLEUS=SECONDS, e.g. electrolyte:6Li=10"
            ) from None
        if group not in ("electrode", "microstructure", "electrolyte"):
            raise DataError(text, f"unknown line group {group!r}")
        if nucleus not in ("6Li", "7Li"):
            raise DataError(text, f"unknown nucleus {nucleus!r}")
        if not (np.isfinite(t1) and t1 > 0):
            raise DataError(text, f"T1 must be positive, not {value}")
        out[(group, nucleus)] = t1
    return out


def parse_known_line(text: str | None) -> tuple[str, float, int | None] | None:
    """``GROUP=X6[@INDEX]`` (e.g. ``electrolyte=0.0759@0``) -> ``(group, x6, index)``; index
    ``all`` or omitted with ``@``-less text means the first pair."""
    if not text:
        return None
    try:
        group, rest = text.split("=", 1)
        x6_text, _, idx = rest.partition("@")
        x6 = float(x6_text)
        index = None if idx == "all" else int(idx or 0)
    except ValueError:
        raise DataError(
            text, "known line must be GROUP=X6[@INDEX], e.g. electrolyte=0.0759@0"
        ) from None
    if group not in ("electrode", "microstructure", "electrolyte"):
        raise DataError(text, f"unknown line group {group!r}")
    return group, x6, index


def analyse_pair(
    li7: str | Path,
    li6: str | Path | None = None,
    *,
    k: tuple[float, float] | None = None,
    reference: tuple[str | Path, str | Path, float, str] | None = None,
    known_line: tuple[str, float, int | None] | None = None,
    calibration: dict | None = None,
    x6_assumed: float = 0.0759,
    x6_electrode: float | None = None,
    t1: dict | None = None,
    temperature_k: float = 298.15,
    n_micro: int | str = "auto",
    broad: bool | str = "auto",
    micro_phase: bool = True,
    split: bool | str = False,
) -> dict[str, Any]:
    """Line decomposition, x6 per time point and amounts of a 7Li (and 6Li) series.

    Parameters
    ----------
    li7, li6 : raw series (6Li optional; same time points).
    k : known instrument ratio ``(K, relative error)``.
    reference : ``(li6_path, li7_path, x6, group)`` of a reference pair of known x6 measured
        with the same settings (fully relaxed unless T1s are given).
    known_line : ``(group, x6, index)``: a line of the sample of known x6 at pair ``index``
        (e.g. natural-abundance LLZO before exchange); used when neither ``k`` nor
        ``reference`` is given.
    calibration : ``{"electrode_face_area_cm2": A, "index": i}`` or ``{"c7": S, "rel_err": r}``
        (7Li signal per umol of fully visible, relaxed 7Li); ``None``: no amounts.
    x6_assumed : x6 of every line when there is no 6Li series.
    x6_electrode : x6 of the electrode for the electrode calibration (default: measured
        when 6Li is present, else ``x6_assumed``).
    t1 : ``{(group, nucleus): seconds}``.

    Returns
    -------
    dict
        JSON-ready: ``time_h``, ``model`` (chosen lines and BIC table), ``fit_quality``,
        ``areas``, ``x6`` and ``umol`` per group with errors, ``k``, ``calibration``.

    Raises
    ------
    DataError
        unreadable or mismatched series, bad reference, missing calibration of K.
    """
    from dendritemr.errors import ProcessingError
    from dendritemr.quant import atoms as A
    from dendritemr.quant.decompose import decompose

    s7 = fit_spectra(li7)
    if get_nucleus(s7.attrs.get("nucleus", "")).name != "7Li":
        raise DataError(li7, f"--li7 data are {s7.attrs.get('nucleus')}, not 7Li")
    series = [s7]
    field = _field(s7.attrs, li7)
    if li6 is not None:
        s6 = fit_spectra(li6)
        field = pair_series(s7, s6, li7, li6)
        series.append(s6)
    try:
        relax = A.Relaxation(dict(t1 or {}), temperature_k)
        ds = decompose(series, n_micro=n_micro, broad=broad, micro_phase=micro_phase, split=split)
    except ProcessingError as exc:
        raise DataError(li7, str(exc)) from exc
    acq7 = acquisition(s7)
    doc: dict[str, Any] = {
        "nucleus": [str(n) for n in ds["nucleus"].values],
        "field_t": field,
        "time_h": ds["hours"].values.tolist(),
        "model": {
            "components": [str(c) for c in ds["component"].values],
            "n_microstructure": ds.attrs["n_microstructure"],
            "broad_electrode": bool(ds.attrs["broad_electrode"]),
            "choice": ds.attrs["model_choice"],
            "skin_phase_deg": float(np.degrees(ds["skin_phase"])),
            "skin_phase_err_deg": float(np.degrees(ds["skin_phase_err"])),
        },
        "fit_quality": {
            "redchi": ds["redchi"].values.tolist(),
            "flagged": ds["flag"].values.tolist(),
        },
        "center_ppm": {
            str(c): ds["center"].sel(component=c).values.tolist() for c in ds["component"].values
        },
        "areas": {
            n: {
                g: {
                    "value": ds["group_area"].sel(nucleus=n, group=g).values.tolist(),
                    "err": ds["group_area_err"].sel(nucleus=n, group=g).values.tolist(),
                }
                for g in ds["group"].values.tolist()
            }
            for n in doc_nuclei(ds)
        },
    }
    from dendritemr.quant.chain import (
        KGiven,
        KKnownLine,
        KReference,
        group_table,
        quantify_decomposition,
    )

    sources: list = []
    if k is not None:
        sources.append(KGiven(float(k[0]), float(k[1])))
    elif reference is not None:
        r6p, r7p, x6_ref, group = reference
        sources.append(KReference(Path(r7p), Path(r6p), float(x6_ref), group, relaxed=False))
    elif known_line is not None:
        group, x6_known, index = known_line
        sources.append(KKnownLine(group, float(x6_known), index))
    elif li6 is not None:
        raise DataError(li6, "no instrument ratio K: give --k, a reference pair or --known-line")
    try:
        q = quantify_decomposition(
            ds,
            acq7,
            relax,
            field,
            acq6=acquisition(s6) if li6 is not None else None,
            k_sources=sources,
            calibration=calibration,
            x6_electrode=x6_electrode,
            x6_assumed=x6_assumed,
            decompose_kw={"broad": broad, "micro_phase": micro_phase},
        )
    except ProcessingError as exc:
        raise DataError(li7, str(exc)) from exc
    if li6 is not None:
        if q.k is None:
            raise DataError(li6, q.notes[-1] if q.notes else "no instrument ratio K")
        doc["k_source"] = q.k_source
        doc["k"], doc["k_rel_err"] = q.k
        doc["x6"] = group_table(q.x6, "x6")
        doc["signal_per_atom"] = q.x6.attrs["signal_per_atom"]
    if q.notes:
        doc["notes"] = q.notes
    if q.amounts is not None:
        doc["calibration"] = q.calibration
        doc["umol"] = group_table(q.amounts, "umol")
        for g in doc["umol"]:
            doc["umol"][g]["stat_err"] = q.amounts["umol_stat_err"].sel(group=g).values.tolist()
        doc["atoms_from"] = q.amounts.attrs["atoms_from"]
    doc["t1_s"] = {f"{g}:{n}": v for (g, n), v in (t1 or {}).items()}
    doc["_dataset"] = ds
    return doc


def doc_nuclei(ds) -> list[str]:
    """Nucleus labels of a decomposition."""
    return [str(n) for n in ds["nucleus"].values]
