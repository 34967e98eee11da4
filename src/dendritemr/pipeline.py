"""Study -> results: the one orchestration module behind ``dendritemr analyze``.

:func:`analyze` reads a study folder (``docs/study-format.md``), quantifies the metal per time
point (:func:`_quantify_metal`, the single adapter to :mod:`dendritemr.quant`), puts the cycler
on the NMR clock, detects the short, attributes the metal to the interface and bulk routes,
finds the growth stages and writes, atomically (temporary folder + rename):

- ``results.json``: schema ``dendritemr.results/1`` (``docs/results-schema.md``) with every
  ``*_err`` and the extras listed in :func:`run_study`; scored against the study's truth when it
  has one (``score`` key);
- ``timeline.nc``: per time point quantities (NetCDF);
- ``cycler.nc``: the cycler record on the study clock (when there is one);
- ``summary.txt``: a plain-text summary, including what could not be computed and why.

Nothing is written when any step fails with a :class:`~dendritemr.errors.DendriteMRError`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError, DendriteMRError
from dendritemr.study import Study, load_study

__all__ = ["AnalyzeOptions", "analyze", "run_study", "nmr_windows", "summary_text"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class AnalyzeOptions:
    """Analysis settings that are not properties of the study.

    Attributes
    ----------
    exchange_per_h : isotope exchange rate of Li0 with the LLZO around it, 1/h (route
        attribution; 0: no exchange).
    n_boot : bootstrap draws for stage boundaries (None: 100 up to 100 time points, fewer above).
    collapse_fraction : short detection threshold (fraction of the reference polarisation).
    seed : random seed of the bootstrap.
    """

    exchange_per_h: float = 0.0
    n_boot: int | None = None
    collapse_fraction: float = 0.01
    seed: int = 0


def _utc(t64: np.ndarray) -> list[dt.datetime]:
    """naive datetime64 (UTC) -> aware datetimes."""
    secs = (np.asarray(t64, "datetime64[ns]") - np.datetime64(0, "ns")) / np.timedelta64(1, "s")
    return [dt.datetime.fromtimestamp(float(s), tz=dt.UTC) for s in secs]


def nmr_windows(spectra: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Acquisition start, mid-point and end of each spectrum as UTC datetime64 arrays.

    From the measured audit-trail windows (``attrs["timing"]``) when they match the series,
    else the mid-points (``time``) +- half the computed duration (``attrs["durations_s"]``, or
    (NS + DS)(D1 + AQ)).

    Raises
    ------
    DataError : the spectra have no acquisition times.
    """
    from dendritemr.timeline.align import acquisition_seconds

    mid = np.asarray(spectra["time"].values, "datetime64[ns]")
    if np.isnat(mid).any():
        raise DataError(spectra.attrs.get("source", "?"), "spectra without acquisition times")
    n = mid.size
    timing = spectra.attrs.get("timing")
    if isinstance(timing, str):
        try:
            rows = json.loads(timing)
        except json.JSONDecodeError:
            rows = []
        if len(rows) == n and all(r.get("start") and r.get("end") for r in rows):

            def conv(key: str) -> np.ndarray:
                return np.array(
                    [
                        np.datetime64(
                            dt.datetime.fromisoformat(r[key])
                            .astimezone(dt.UTC)
                            .replace(tzinfo=None),
                            "ns",
                        )
                        for r in rows
                    ]
                )

            return conv("start"), mid, conv("end")
    dur = None
    if isinstance(spectra.attrs.get("durations_s"), str):
        try:
            dur = np.asarray(json.loads(spectra.attrs["durations_s"]), float)
        except (json.JSONDecodeError, TypeError, ValueError):
            dur = None
    if dur is None or dur.size != n:
        dur = np.full(n, acquisition_seconds(spectra.attrs))
    if not np.all(np.isfinite(dur)):
        step = np.median(np.diff(mid) / np.timedelta64(1, "s")) if n > 1 else 0.0
        dur = np.full(n, step)
    half = (dur * 0.5e9).astype("timedelta64[ns]")
    return mid - half, mid, mid + half


def mri_windows(folder: Path) -> list[tuple[str, np.datetime64, np.datetime64]]:
    """``(scan, start, end)`` (UTC datetime64) of each numbered ParaVision scan under ``folder``.

    Raises
    ------
    DataError : a scan without a recorded start time or duration.
    """
    from dendritemr.io.paravision import is_paravision, read_raw

    scans = [folder] if is_paravision(folder) else []
    if not scans and folder.is_dir():
        scans = sorted(
            (p for p in folder.iterdir() if p.name.isdigit() and is_paravision(p)),
            key=lambda p: int(p.name),
        )
    out = []
    for scan in scans:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            attrs = read_raw(scan).attrs
        try:
            t0 = dt.datetime.fromisoformat(str(attrs["time_start"])).astimezone(dt.UTC)
            dur = float(attrs["duration_s"])
        except (KeyError, TypeError, ValueError):
            raise DataError(scan, "no acquisition start time or duration recorded") from None
        start = np.datetime64(t0.replace(tzinfo=None), "ns")
        out.append((scan.name, start, start + np.timedelta64(int(dur * 1e9), "ns")))
    return out


def _load(path: Path, role: str) -> xr.DataArray:
    from dendritemr.quant.run import load_spectra

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_spectra(path)


def _pair_li6(li7: xr.DataArray, li6: xr.DataArray) -> xr.DataArray:
    """6Li spectra matched to the 7Li time points (nearest acquisition, same count)."""
    t7 = li7["time"].values
    t6 = li6["time"].values
    idx = np.abs(t6[None, :] - t7[:, None]).argmin(axis=1)
    return li6.isel(time=idx)


def _quantify_metal(li7: xr.DataArray, li6: xr.DataArray | None, study: Study) -> xr.Dataset:
    """Metal amounts and 6Li fractions per 7Li time point: the one adapter to ``quant``.

    Contract (what the rest of the pipeline relies on; keep it when the quantification changes)
    --------------------------------------------------------------------------------------------
    Parameters: ``li7`` phased ``(time, ppm)`` 7Li spectra with acquisition attributes; ``li6``
    the same for 6Li, already matched one-to-one to ``li7``'s time points, or None; ``study``.

    Returns an ``xarray.Dataset`` over ``time`` (the 7Li time points, same order) with, each with
    ``<name>_err`` (one standard error, same units; NaN where not computable):

    - ``metal_umol``: dendritic (non-electrode) metallic Li, umol of atoms (6Li + 7Li);
    - ``x6_metal``: 6Li atom fraction of that metal (NaN without 6Li data);
    - ``x6_electrode``: 6Li atom fraction of the electrode metal line (interface end member);
    - ``x6_electrolyte``: 6Li atom fraction of the electrolyte line (bulk end member);
    - ``electrode_umol``: fully-visible-equivalent amount behind the electrode line.

    and ``attrs``: ``method`` (one line), ``limitations`` (JSON list of sentences), ``calibration``
    (JSON). Raises :class:`~dendritemr.errors.DendriteMRError` for bad data only; anything that
    merely cannot be computed is NaN plus a sentence in ``limitations``.

    Implementation (today's public quant API: :func:`dendritemr.quant.run.quantify_series`,
    :func:`dendritemr.quant.split.fit_metal` / ``split_metal``, :mod:`dendritemr.quant.isotopes`):
    7Li microstructure and electrode areas per time point, calibrated on the electrode line
    (face area ``2 x [cell] electrode_area_cm2``, skin-depth surface layer). That calibration is
    signal per umol of *electrode* Li, so 7Li atoms of the microstructure are
    ``umol_equiv (1 - x6_electrode)`` and atoms ``n7 / (1 - x6_metal)``. With 6Li data the 6Li
    microstructure and electrode areas come from the same split of the 6Li series; the instrument
    ratio K is calibrated on the electrolyte line of the study's first usable ``[[reference]]``
    (relaxed: no saturation correction), else on the electrolyte line of the first time point (known
    ``[isotopes] x6_electrolyte``, T1 from ``[t1_s]``), else on its electrode lines (assumed at
    ``[isotopes] x6_electrode``, bulk-metal correction); x6 per time point from
    :func:`~dendritemr.quant.isotopes.x6_from_pair` with the sub-skin-depth correction.
    """
    from dendritemr.quant.isotopes import (
        InstrumentRatio,
        LineCorrection,
        calibrate_k,
        correction_ratio,
        x6_from_pair,
    )
    from dendritemr.quant.run import (
        fit_lines,
        noise_correlation,
        quantify_series,
        repetition_time,
    )
    from dendritemr.quant.split import fit_metal, split_metal

    n = li7.sizes["time"]
    limits: list[str] = []
    for series in (li7, li6):
        # the series reader drops attributes that vary between experiments; the study
        # loader checked the field of the first experiment of each role
        if series is not None and not series.attrs.get("field_t") and study.field_t:
            series.attrs["field_t"] = study.field_t
    nan = np.full(n, np.nan)
    x6_el = study.x6_electrode if study.x6_electrode is not None else None
    t1_7 = study.t1_s.get("li7", {}).get("metal")
    cal = None
    if study.electrode_area_cm2:
        cal = {"electrode_face_area_cm2": 2.0 * study.electrode_area_cm2}
    else:
        limits.append("no [cell] electrode_area_cm2: amounts not calibrated (areas only)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            q7 = quantify_series(li7, cal, temperature_k=study.temperature_k, t1_s=t1_7)
        except ValueError as exc:
            raise DataError(study.li7, f"7Li quantification failed: {exc}") from None
    a7 = {k: np.asarray(v, float) for k, v in q7["areas"].items()}
    if cal is not None:
        equiv = np.asarray(q7["microstructure"]["umol"], float)
        equiv_err = np.asarray(q7["microstructure"]["umol_err"], float)
        electrode = np.asarray(q7["electrode"]["umol"], float)
        electrode_err = np.asarray(q7["electrode"]["umol_err"], float)
    else:
        equiv, equiv_err, electrode, electrode_err = nan, nan, nan, nan
    comp = x6_el if x6_el is not None else 0.0759
    if x6_el is None:
        limits.append("no [isotopes] x6_electrode: electrode taken as natural Li (x6 0.0759)")
    n7, n7_err = equiv * (1.0 - comp), equiv_err * (1.0 - comp)
    x6, x6_err = nan.copy(), nan.copy()
    x6e, x6e_err = nan.copy(), nan.copy()
    calib: dict[str, Any] = {"li7": q7.get("calibration")}
    if li6 is None:
        limits.append(
            "no 6Li data: x6 of the metal, the interface fraction, the metal per route and "
            "route-named stages cannot be computed; metal amounts assume the metal has the "
            "electrode's isotope composition"
        )
        atoms = n7 / (1.0 - comp)
        atoms_err = n7_err / (1.0 - comp)
    elif x6_el is None:
        limits.append("6Li data but no [isotopes] x6_electrode: K cannot be calibrated, no x6")
        atoms, atoms_err = n7 / (1.0 - comp), n7_err / (1.0 - comp)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit6 = fit_metal(li6)
            p6 = {k: np.asarray(v, float) for k, v in split_metal(fit6, li6).items()}
        inflate = np.sqrt(noise_correlation(li6.isel(time=0)))
        for key in [k for k in p6 if k.endswith("_err")]:
            p6[key] = p6[key] * inflate
        field = float(li7.attrs.get("field_t") or study.field_t)
        tr6, tr7 = repetition_time(li6.attrs), repetition_time(li7.attrs)
        t1 = study.t1_s

        def ratio(morph: str) -> float:
            corr = LineCorrection(
                morph, t1_6_s=t1.get("li6", {}).get("metal"), t1_7_s=t1.get("li7", {}).get("metal")
            )
            return correction_ratio(
                corr, field_t=field, tr6_s=tr6, tr7_s=tr7, temperature_k=study.temperature_k
            )["total"]

        r_bulk, r_micro = ratio("bulk"), ratio("micro")
        k, k_line = None, ""
        for ref in study.references:
            # a reference of known composition measured like the sample (relaxed first)
            if k is not None or ref.li6 is None or ref.li7 is None:
                continue
            line = "electrolyte" if "electrolyte" in ref.x6 else None
            if line is None:
                continue
            try:
                r6s, r7s = _load(ref.li6, "reference"), _load(ref.li7, "reference")
                corr = LineCorrection(
                    "none",
                    t1_6_s=None if ref.relaxed else t1.get("li6", {}).get("electrolyte"),
                    t1_7_s=None if ref.relaxed else t1.get("li7", {}).get("electrolyte"),
                )
                r_ref = correction_ratio(
                    corr,
                    field_t=field,
                    tr6_s=repetition_time(r6s.attrs),
                    tr7_s=repetition_time(r7s.attrs),
                    temperature_k=study.temperature_k,
                )["total"]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    l6, l7 = fit_lines(r6s, ref.li6), fit_lines(r7s, ref.li7)
                k = calibrate_k(
                    *l6[line], *l7[line], ref.x6[line], r_ref, ref.x6_err.get(line, 0.0)
                )
                k_line = f"reference '{ref.name}', {line} line"
            except (DendriteMRError, ValueError) as exc:
                limits.append(f"reference '{ref.name}' not usable for K ({exc})")
        if k is None and study.x6_electrolyte is not None:
            # the electrolyte line (an insulator: no skin depth) at the first time point, of
            # known composition [isotopes] x6_electrolyte; its T1 from [t1_s] (else relaxed)
            corr = LineCorrection(
                "none",
                t1_6_s=t1.get("li6", {}).get("electrolyte"),
                t1_7_s=t1.get("li7", {}).get("electrolyte"),
            )
            r_el = correction_ratio(
                corr, field_t=field, tr6_s=tr6, tr7_s=tr7, temperature_k=study.temperature_k
            )["total"]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    l6 = fit_lines(li6.isel(time=[0]), study.li6)
                    l7 = fit_lines(li7.isel(time=[0]), study.li7)
                k = calibrate_k(
                    *l6["electrolyte"], *l7["electrolyte"], study.x6_electrolyte, r_el,
                    study.x6_electrolyte_err,
                )  # fmt: skip
                k_line = "electrolyte, first time point"
                if "electrolyte" not in t1.get("li6", {}):
                    limits.append(
                        "no [t1_s] li6 electrolyte T1: the electrolyte line is taken as fully "
                        "relaxed when K is calibrated on it"
                    )
            except (DendriteMRError, ValueError) as exc:
                limits.append(f"K not calibrated on the electrolyte line ({exc})")
        if k is None:
            try:
                k = calibrate_k(
                    p6["electrode"][0],
                    p6["electrode_err"][0],
                    a7["electrode"][0],
                    a7["electrode_err"][0],
                    x6_el,
                    r_bulk,
                    study.x6_electrode_err,
                )
                k_line = "electrode, first time point (assumed at [isotopes] x6_electrode)"
            except ValueError as exc:
                limits.append(f"K not calibrated on the first electrode lines ({exc}): no x6")
        if k is not None:
            calib["k"] = {"k": k.k, "rel_err": k.rel_err, "line": k_line}
            good = (p6["microstructure"] > 0) & (a7["microstructure"] > 0)
            if good.any():
                xs, es = x6_from_pair(
                    p6["microstructure"][good],
                    p6["microstructure_err"][good],
                    a7["microstructure"][good],
                    a7["microstructure_err"][good],
                    k,
                    r_micro,
                )
                x6[good], x6_err[good] = xs, es
            if (~good).any():
                limits.append(
                    f"{int((~good).sum())} of {n} time points: microstructure area <= 0 in 6Li "
                    "or 7Li, x6 not computable there"
                )
            ge = (p6["electrode"] > 0) & (a7["electrode"] > 0)
            if ge.any():
                k_rel = InstrumentRatio(k.k, 0.0)  # relative to the first point (K from it)
                xs, es = x6_from_pair(
                    p6["electrode"][ge],
                    p6["electrode_err"][ge],
                    a7["electrode"][ge],
                    a7["electrode_err"][ge],
                    k_rel,
                    r_bulk,
                )
                x6e[ge], x6e_err[ge] = xs, es
        with np.errstate(invalid="ignore", divide="ignore"):
            atoms = n7 / (1.0 - x6)
            atoms_err = np.abs(atoms) * np.hypot(n7_err / np.abs(n7), x6_err / np.abs(1.0 - x6))
    limits.append(
        "x6 of the electrolyte line per time point is not available from the current "
        "quantification: the bulk end member is the study's x6_electrolyte"
    )
    ds = xr.Dataset(
        {
            "metal_umol": ("time", atoms, {"units": "umol"}),
            "metal_umol_err": ("time", atoms_err, {"units": "umol"}),
            "x6_metal": ("time", x6),
            "x6_metal_err": ("time", x6_err),
            "x6_electrode": ("time", x6e),
            "x6_electrode_err": ("time", x6e_err),
            "x6_electrolyte": ("time", nan.copy()),
            "x6_electrolyte_err": ("time", nan.copy()),
            "electrode_umol": ("time", electrode, {"units": "umol"}),
            "electrode_umol_err": ("time", electrode_err, {"units": "umol"}),
        },
        coords={"time": li7["time"].values},
        attrs={
            "method": "quant.run.quantify_series (7Li) + quant.split (6Li) + quant.isotopes",
            "limitations": json.dumps(limits),
            "calibration": json.dumps(calib, default=str),
        },
    )
    return ds


def _clean(values) -> list:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, float)]


def run_study(
    study: Study, options: AnalyzeOptions | None = None, progress: Progress | None = None
) -> tuple[dict, dict[str, xr.Dataset]]:
    """Analyse a loaded study; return the results document and the datasets to save.

    Results keys beyond the schema: ``time_start_h``/``time_end_h`` (acquisition windows),
    ``metal_umol.total`` (+ ``_err``), ``x6_metal_err``, ``interface_fraction_err``,
    ``cycler`` (per time point current, voltage, charge, clock decisions), ``mri_images``
    (per image acquisition window, current, voltage and charge), ``short`` (time,
    uncertainty, soft shorts, criterion), ``stages`` entries with rates and boundary errors,
    ``stage_detection``, ``routes`` (end members, dominant route), ``not_computed``
    (sentences), ``quantification`` (method, calibration), ``study``.

    Raises
    ------
    DendriteMRError : unreadable data, cycler problems (one line).
    """
    from dendritemr.io.cycler_formats import read_cycler
    from dendritemr.results_schema import SCHEMA_ID, score, validate
    from dendritemr.timeline import (
        align_windows,
        attribute_routes,
        cycler_clock,
        detect_short,
        detect_stages,
    )

    opts = options or AnalyzeOptions()
    say = progress or (lambda label: None)
    not_computed: list[str] = []
    # the cycler first: its errors are cheap to find, before the NMR work
    clock = raw = None
    if study.cycler is not None:
        say("cycler")
        raw = read_cycler(study.cycler.path, study.cycler.format, study.cycler.decimal)
        clock = cycler_clock(raw, study.cycler)
    say("reading 7Li")
    li7 = _load(study.li7, "nmr.li7")
    li6 = None
    if study.li6 is not None:
        say("reading 6Li")
        li6 = _pair_li6(li7, _load(study.li6, "nmr.li6"))
    say("quantifying")
    quant = _quantify_metal(li7, li6, study)
    not_computed += json.loads(quant.attrs["limitations"])
    start, mid, end = nmr_windows(li7)
    doc_cycler: dict[str, Any] = {}
    datasets: dict[str, xr.Dataset] = {}
    short = None
    current = None
    if clock is not None:
        t0 = np.datetime64(clock.current_start_utc.replace(tzinfo=None), "ns")
        hours = lambda x: (x - t0) / np.timedelta64(1, "s") / 3600.0  # noqa: E731
        aligned = align_windows(clock, hours(start), hours(end), study.electrode_area_cm2)
        current = aligned["current_mA"].values
        th = clock.hours()
        short = detect_short(
            th, clock.voltage_V, clock.current_mA, collapse_fraction=opts.collapse_fraction
        )
        doc_cycler = {
            "format": raw.attrs.get("format"),
            "file": str(study.cycler.path),
            "clock": list(clock.how),
            "cycling_start_utc": clock.current_start_utc.isoformat(),
            "current_given": clock.current_given,
            "record_h": [float(th[0]), float(th[-1])],
            **{
                k: _clean(aligned[k].values)
                for k in (
                    "current_mA",
                    "voltage_V",
                    "charge_window_mAh",
                    "charge_mAh",
                    "charge_mAh_cm2",
                    "dense_li_um",
                )
            },
            "covered": [bool(x) for x in aligned["covered"].values],
        }
        datasets["cycler"] = xr.Dataset(
            {
                "current_mA": ("hours", clock.current_mA, {"units": "mA"}),
                "voltage_V": ("hours", clock.voltage_V, {"units": "V"}),
            },
            coords={"hours": ("hours", th, {"units": "h since cycling started"})},
            attrs={"clock": "; ".join(clock.how), "source": str(study.cycler.path)},
        )
        if clock.current_given:
            not_computed.append(
                "the cycler file has no current column: current is the study's constant "
                f"{study.cycler.current_mA:g} mA (interruptions such as impedance steps are "
                "not seen)"
            )
    else:
        t0 = start[0]
        hours = lambda x: (x - t0) / np.timedelta64(1, "s") / 3600.0  # noqa: E731
        not_computed.append(
            "no cycler file: time counts from the first 7Li acquisition; no current, charge, "
            "short detection or rates per charge"
        )
    mri_doc = None
    if study.mri is not None:
        say("MRI times")
        wins = mri_windows(study.mri)
        if wins:
            a = np.array([hours(w[1]) for w in wins])
            b = np.array([hours(w[2]) for w in wins])
            mri_doc = {
                "scans": [w[0] for w in wins],
                "time_h": _clean(0.5 * (a + b)),
                "time_start_h": _clean(a),
                "time_end_h": _clean(b),
            }
            if clock is not None:
                am = align_windows(clock, a, b, study.electrode_area_cm2)
                for k in ("current_mA", "voltage_V", "charge_window_mAh", "charge_mAh"):
                    mri_doc[k] = _clean(am[k].values)
        not_computed.append("MRI: acquisition times aligned only; images are not analysed")
    t_h = hours(mid)
    metal = quant["metal_umol"].values
    metal_err = quant["metal_umol_err"].values
    x6 = quant["x6_metal"].values
    x6_err = quant["x6_metal_err"].values
    routes_known = bool(np.isfinite(x6).sum() >= 3) and study.x6_electrolyte is not None
    nan = np.full(t_h.size, np.nan)
    inter, inter_err, bulk, bulk_err = nan, nan, nan, nan
    frac, frac_err = nan, nan
    routes_doc: dict[str, Any] = {}
    if routes_known:
        say("routes")
        # interface source: Li+ arriving from the enriched electrode side, the electrode's
        # composition; the electrode *line* shows only its surface layer (skin depth), which
        # exchanges with the LLZO, so it is reported (timeline.nc) but not used here
        xi = np.full(t_h.size, float(study.x6_electrode))
        xi_err = np.full(t_h.size, float(study.x6_electrode_err))
        xl = np.where(
            np.isfinite(quant["x6_electrolyte"].values),
            quant["x6_electrolyte"].values,
            study.x6_electrolyte,
        )
        xl_err = np.where(
            np.isfinite(quant["x6_electrolyte_err"].values),
            quant["x6_electrolyte_err"].values,
            study.x6_electrolyte_err,
        )
        try:
            r = attribute_routes(
                t_h, metal, metal_err, x6, x6_err, xi, xi_err, xl, xl_err, opts.exchange_per_h
            )
        except ValueError as exc:
            routes_known = False
            not_computed.append(f"routes: {exc}")
        else:
            inter, inter_err, bulk, bulk_err = (
                r.interface_umol,
                r.interface_umol_err,
                r.bulk_umol,
                r.bulk_umol_err,
            )
            frac, frac_err = r.interface_fraction, r.interface_fraction_err
            routes_doc = {
                "x6_interface_end_member": _clean(r.x6_interface_eff),
                "x6_bulk_end_member": _clean(r.x6_bulk_eff),
                "exchange_per_h": r.exchange_per_h,
                "dominant": r.dominant,
            }
    say("stages")
    if np.isfinite(metal).sum() < 3:
        not_computed.append(
            "stages: fewer than 3 time points with a metal amount (quantification gave none)"
        )
    n_boot = opts.n_boot if opts.n_boot is not None else (100 if t_h.size <= 100 else 40)
    traj = {"total": (metal, metal_err)}
    if routes_known:
        traj.update(interface=(inter, inter_err), bulk=(bulk, bulk_err))
    short_h = short.time_h if short is not None else None
    stages = detect_stages(
        t_h,
        traj,
        current_ma=current,
        short_h=short_h,
        routes_known=routes_known,
        n_boot=n_boot,
        seed=opts.seed,
    )
    doc: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "time_h": _clean(t_h),
        "time_start_h": _clean(hours(start)),
        "time_end_h": _clean(hours(end)),
        "metal_umol": {
            "interface": _clean(inter),
            "interface_err": _clean(inter_err),
            "bulk": _clean(bulk),
            "bulk_err": _clean(bulk_err),
            "total": _clean(metal),
            "total_err": _clean(metal_err),
        },
        "x6_metal": _clean(x6),
        "x6_metal_err": _clean(x6_err),
        "interface_fraction": _clean(frac),
        "interface_fraction_err": _clean(frac_err),
        "stages": [s.to_dict() for s in stages.stages],
        "stage_detection": {k: v for k, v in stages.to_dict().items() if k != "stages"},
        "short_circuit_h": short_h,
        "short_circuit_err_h": short.time_err_h if short is not None else None,
        "short": short.to_dict() if short is not None else None,
        "cycler": doc_cycler or None,
        "mri_images": mri_doc,
        "routes": routes_doc or None,
        "electrode_umol": _clean(quant["electrode_umol"].values),
        "quantification": {
            "method": quant.attrs["method"],
            "calibration": json.loads(quant.attrs["calibration"]),
        },
        "not_computed": not_computed,
        "study": study.to_dict(),
    }
    validate(json.loads(json.dumps(doc)), "results.json")
    if study.truth is not None:
        from dendritemr.results_schema import load_results

        truth = load_results(study.truth)
        doc["score"] = score(json.loads(json.dumps(doc)), truth)
    tl = quant.assign_coords(hours=("time", t_h)).copy()
    tl["interface_fraction"] = ("time", frac)
    tl["interface_fraction_err"] = ("time", frac_err)
    tl["interface_umol"] = ("time", inter)
    tl["bulk_umol"] = ("time", bulk)
    for k in ("current_mA", "voltage_V", "charge_mAh"):
        if doc_cycler:
            tl[k] = ("time", np.array(doc_cycler[k], dtype=float))
    datasets["timeline"] = tl
    return doc, datasets


def summary_text(doc: dict) -> str:
    """Plain-text summary of a results document."""

    def fmt(v, e=None, unit=""):
        if v is None:
            return "n/a"
        return f"{v:.3g}{unit}" + (f" +- {e:.2g}{unit}" if e is not None else "")

    t = doc["time_h"]
    m = doc["metal_umol"]
    lines = [
        f"study: {doc['study'].get('name', '')}",
        f"time points: {len(t)}, {t[0]:.2f} to {t[-1]:.2f} h since cycling started",
        f"dendritic metal at the end: {fmt(m['total'][-1], m['total_err'][-1], ' umol')}",
        f"x6 of the metal at the end: {fmt(doc['x6_metal'][-1], doc['x6_metal_err'][-1])}",
        "interface fraction at the end: "
        f"{fmt(doc['interface_fraction'][-1], doc['interface_fraction_err'][-1])}",
        f"short circuit: {fmt(doc['short_circuit_h'], doc.get('short_circuit_err_h'), ' h')}",
    ]
    if doc.get("short") and doc["short"]["soft_shorts"]:
        lines.append(f"soft shorts: {len(doc['short']['soft_shorts'])}")
        for s in doc["short"]["soft_shorts"][:10]:
            lines.append(
                f"  {s['start_h']:.3f}-{s['end_h']:.3f} h, min |V| {s['min_voltage_V']:.3g} V"
            )
    lines.append("stages:")
    for s in doc["stages"]:
        rate = s["rates"].get("total_umol_per_h")
        rerr = s["rates"].get("total_umol_per_h_err")
        lines.append(
            f"  {s['name']:17s} {s['start_h']:7.2f} - {s['end_h']:7.2f} h"
            + (f"  (start +- {s['start_err_h']:.2f} h)" if s.get("start_err_h") else "")
            + (f"  total {fmt(rate, rerr, ' umol/h')}" if rate is not None else "")
            + (f"  route {s['route']}" if s.get("route", "known") != "known" else "")
        )
    if doc.get("cycler"):
        c = doc["cycler"]
        lines.append("cycler clock: " + "; ".join(c["clock"]))
    if doc.get("score"):
        lines.append("score against truth:")
        for k, v in doc["score"].items():
            shown = [round(x, 4) for x in v] if isinstance(v, list) else v
            shown = round(shown, 4) if isinstance(shown, float) else shown
            lines.append(f"  {k}: {shown}")
    if doc["not_computed"]:
        lines.append("not computed / assumptions:")
        lines.extend(f"  - {s}" for s in doc["not_computed"])
    return "\n".join(lines) + "\n"


def _write_outputs(folder: Path, doc: dict, datasets: dict[str, xr.Dataset]) -> None:
    (folder / "results.json").write_text(json.dumps(doc, indent=1, default=str))
    (folder / "summary.txt").write_text(summary_text(doc))
    for name, ds in datasets.items():
        ds = ds.copy()
        if "time" in ds.coords and np.issubdtype(ds["time"].dtype, np.datetime64):
            ds["time"].attrs["timezone"] = "UTC"
        ds.to_netcdf(folder / f"{name}.nc", engine="h5netcdf")


def analyze(
    study_dir: str | Path,
    out_dir: str | Path,
    options: AnalyzeOptions | None = None,
    progress: Progress | None = None,
) -> dict:
    """Analyse a study folder and write the results folder atomically.

    Parameters
    ----------
    study_dir : folder with ``study.toml`` (or the ``study.toml`` path).
    out_dir : results folder; created (its parent must exist). An existing folder is replaced
        only if it holds an earlier ``results.json``.
    options : :class:`AnalyzeOptions`.
    progress : optional ``progress(label)`` callback.

    Returns
    -------
    dict : the results document (also written to ``out_dir/results.json``).

    Raises
    ------
    DendriteMRError : bad study, data or cycler file, or an output folder that cannot be
        written; no output folder is left behind.
    """
    out = Path(out_dir)
    earlier = out.is_dir() and (not any(out.iterdir()) or (out / "results.json").is_file())
    if out.exists() and not earlier:
        raise DataError(out, "output exists and is not an earlier analyze result: not replaced")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise DataError(parent, "parent folder of --out does not exist")
    study = load_study(study_dir)
    try:
        study_root = study.root.resolve()
        out.resolve().relative_to(study_root)
        inside = True
    except ValueError:
        inside = False
    if inside:
        raise DataError(out, "--out lies inside the study folder (raw data are never written to)")
    doc, datasets = run_study(study, options, progress)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        _write_outputs(tmp, doc, datasets)
        if out.exists():
            old = parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except (OSError, ValueError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(out, f"cannot write results ({exc.__class__.__name__}: {exc})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return doc
