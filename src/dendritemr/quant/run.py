"""End-to-end quantification of raw series (used by the CLI commands).

:func:`fit_spectra` turns raw FIDs into the complex spectra the joint fit takes,
:func:`pair_series` checks that 6Li and 7Li series pair up, and :func:`analyse_pair` runs the
decomposition (:mod:`dendritemr.quant.decompose`) and the chain to x6 and amounts
(:mod:`dendritemr.quant.chain`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.physics import get_nucleus

__all__ = [
    "load_spectra",
    "repetition_time",
    "fit_spectra",
    "acquisition",
    "pair_series",
    "parse_t1",
    "parse_known_line",
    "analyse_pair",
]


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
    micro_phase: bool | str = "auto",
    split: bool | str = False,
    drift: str = "centres",
    nonnegative: bool | str = "auto",
    deposit: bool | str | None = None,
    dendritic: str = "auto",
    skin_phase: str | float = "auto",
    baseline_drift: str = "auto",
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
    n_micro, broad, micro_phase, split, drift, nonnegative, deposit, dendritic, skin_phase,
    baseline_drift :
        model options of :func:`dendritemr.quant.decompose.decompose`.

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
        raise DataError(
            li7, f"holds {s7.attrs.get('nucleus')} data, not the 7Li series quantify reads"
        )
    series = [s7]
    field = _field(s7.attrs, li7)
    if li6 is not None:
        s6 = fit_spectra(li6)
        field = pair_series(s7, s6, li7, li6)
        series.append(s6)
    try:
        relax = A.Relaxation(dict(t1 or {}), temperature_k)
        ds = decompose(
            series,
            n_micro=n_micro,
            broad=broad,
            micro_phase=micro_phase,
            split=split,
            drift=drift,
            nonnegative=nonnegative,
            dendritic=dendritic,
            skin_phase=skin_phase,
            baseline_drift=baseline_drift,
            **({} if deposit is None else {"deposit": deposit}),
        )
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
            "dendritic_comb": bool(ds.attrs["dendritic_comb"]),
            "skin_phase_source": ds.attrs["skin_phase_source"],
            "baseline_drift": ds.attrs["baseline_drift"],
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
