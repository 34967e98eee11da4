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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.backend import blas_threads
from dendritemr.errors import DataError, DendriteMRError, ProcessingError
from dendritemr.model.storage import check_not_in_raw_data
from dendritemr.study import Study, load_study

__all__ = [
    "AnalyzeOptions",
    "analyze",
    "blas_threads",
    "run_study",
    "nmr_windows",
    "summary_text",
]

Progress = Callable[[str], None]

#: warnings raised while a study is analysed (``results.json: warnings``): set by
#: :func:`run_study` / :func:`analyze`, filled by :func:`_recorded`
_WARNINGS: ContextVar[list[dict] | None] = ContextVar("dendritemr_analyze_warnings", default=None)

#: at most this many distinct warnings are kept in results.json (then a count of the rest)
MAX_WARNINGS = 50


@contextmanager
def _recorded(step: str) -> Iterator[None]:
    """Record the Python warnings raised inside (readers: a numbered folder that is not an
    experiment, an acquisition stopped early, NUC1 not matching BF1, unknown times...) for the
    results document, tagged with ``step`` (the study role or analysis step). Outside an
    analysis (no collector set) they are issued again, unchanged."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            sink = _WARNINGS.get()
    for w in caught:
        if sink is None:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        else:
            sink.append({"step": step, "category": w.category.__name__, "message": str(w.message)})


def warnings_list(records: list[dict]) -> list[dict]:
    """Distinct warnings in order of first appearance, each ``{step, category, message,
    count}``; at most :data:`MAX_WARNINGS`, then one entry counting the rest.

    ``count`` is how often the message was raised within one step (the most in any step):
    the same file read again by a later step (``study.toml`` checks and the series reader
    both see a numbered folder that is not an experiment; the MRI times and the MRI maps both
    read each scan) raises the same message again, which is one warning, not two (summary.txt
    listed such a warning as "(2 times)"). The entry keeps the first step that raised it.
    """
    out: dict[str, dict] = {}
    per_step: dict[tuple[str, str], int] = {}
    for r in records:
        key = (r["message"], r["step"])
        per_step[key] = per_step.get(key, 0) + 1
        if r["message"] in out:
            out[r["message"]]["count"] = max(out[r["message"]]["count"], per_step[key])
        else:
            out[r["message"]] = {**r, "count": 1}
    rows = list(out.values())
    if len(rows) > MAX_WARNINGS:
        rest = rows[MAX_WARNINGS:]
        rows = rows[:MAX_WARNINGS] + [
            {
                "step": "analyze",
                "category": "",
                "message": f"{len(rest)} more distinct warnings not listed",
                "count": sum(r["count"] for r in rest),
            }
        ]
    return rows


@dataclass(frozen=True)
class AnalyzeOptions:
    """Analysis settings that are not properties of the study.

    Attributes
    ----------
    exchange_per_h : isotope exchange rate of Li0 with the LLZO around it, 1/h (route
        attribution). None (default): not known; the middle of ``exchange_range_per_h`` is
        used and the range enters the interface fraction's error as a model error of the end
        members (:func:`dendritemr.timeline.attribute_routes`). A given value is used as exact.
    exchange_range_per_h : plausible range of the exchange rate, 1/h. Default 0-0.02/h: an
        e-folding time of 50 h or more ("tens of hours", ``docs/science.md`` section 1). Its
        middle, 0.01/h, is also the simulator's default (``dendrite_exchange_time_h`` 100 h),
        so simulated studies are scored at the right rate; real cells may differ within the
        range.
    n_boot : bootstrap draws for stage boundaries (None: 100 up to 100 time points, fewer above).
    collapse_fraction : short detection threshold (fraction of the reference polarisation).
    seed : random seed of the bootstrap.
    mri_maps : fit the CSI scans of ``[mri]`` when the study has them (metal maps, profiles,
        totals and penetration depths with their errors; ~1 s per 64 x 8 x 256 scan on one BLAS
        thread). Default True; False (``analyze --no-mri-maps``): their acquisition windows only.
    mri_nmr_shape : hold each CSI scan's metal line shape at the 7Li NMR series' dendritic
        lines at the scan's mid-time (:func:`mri_metal_shapes`; ``CsiModel.metal_shape_lines``,
        ``docs/mri.md``); a scan before the series' first significant dendritic 7Li keeps the
        per-map model choice. Default True; False (``analyze --no-mri-nmr-shape``): the model
        choice for every scan.
    blas_threads : BLAS/LAPACK threads while analysing (``threadpoolctl``; None: as the
        environment sets them). Default 1: the fits multiply many small matrices, where
        threaded BLAS gains little and, on a shared machine, its spinning threads cost far
        more than they give (default simulated study, 2 cores at load 4-6, before this
        stop's solver speed-ups: the 52-pair series fit 739 s wall / 408 s CPU with
        OpenBLAS's 2 threads, 45 s CPU with one; the 75 model-choice fits ~70 s wall against
        10.8 s CPU).
    """

    exchange_per_h: float | None = None
    exchange_range_per_h: tuple[float, float] = (0.0, 0.02)
    mri_maps: bool = True
    mri_nmr_shape: bool = True
    n_boot: int | None = None
    collapse_fraction: float = 0.01
    seed: int = 0
    blas_threads: int | None = 1


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
        with _recorded("mri"):
            attrs = read_raw(scan).attrs
        try:
            t0 = dt.datetime.fromisoformat(str(attrs["time_start"])).astimezone(dt.UTC)
            dur = float(attrs["duration_s"])
        except (KeyError, TypeError, ValueError):
            raise DataError(scan, "no acquisition start time or duration recorded") from None
        start = np.datetime64(t0.replace(tzinfo=None), "ns")
        out.append((scan.name, start, start + np.timedelta64(int(dur * 1e9), "ns")))
    return out


#: x6 points of the series whose 7Li fraction ``1 - x6`` has a larger relative error are not
#: used for the MRI maps' isotope fractions (:func:`scan_isotopes`): a 7Li image's amount scales
#: as ``1 / (1 - x6)``, so this is the relative error they would give the amounts. An absolute
#: limit on x6 (0.1) let the demo's early x6 0.987 +- 0.083 through: the first scan's total
#: read 24.8 +- 164 umol (truth 0.81)
MRI_X7_MAX_REL_ERR = 0.25


def scan_isotopes(
    scan_h: np.ndarray,
    nmr_h: np.ndarray,
    x6_metal: np.ndarray,
    x6_electrode: np.ndarray,
    study: Study,
    x6_metal_err: np.ndarray | None = None,
    x6_electrode_err: np.ndarray | None = None,
    max_rel_err: float = MRI_X7_MAX_REL_ERR,
) -> list[dict]:
    """6Li fractions of the dendritic metal and of the electrode at each MRI scan's time.

    A 7Li image counts 7Li only, so its maps need ``x6_metal`` and ``x6_electrode``
    (:class:`dendritemr.mri.csi.CsiModel`). They come from the 6Li/7Li series, interpolated
    linearly in time at the scans' mid-times ``scan_h`` (h; the series' ``nmr_h``, held
    constant beyond its ends) over its usable points: finite, in the physical range [0, 1),
    and, when errors are given, with a relative error of the 7Li fraction, ``s / (1 - x6)``, of
    at most ``max_rel_err`` (a time point with little metal can give x6 1.9 +- 3.3, which
    would turn the 7Li image's amount negative, or 0.987 +- 0.083, which scales it 4x with a
    650 % error). Without a
    usable value the study's ``[isotopes] x6_electrode`` is used for both (the assumption of the
    7Li-only amounts), else natural Li.

    Returns one ``{"x6_metal", "x6_electrode"}`` per scan, plus ``"x6_metal_err"`` and
    ``"x6_electrode_err"`` (interpolated the same way; 0 for an assumed value) when the errors
    are given (:func:`mri_dataset` propagates them into the totals' errors).
    """
    from dendritemr.physics import LI6_NATURAL_FRACTION

    default = LI6_NATURAL_FRACTION if study.x6_electrode is None else float(study.x6_electrode)
    nmr_h = np.asarray(nmr_h, float)
    t = np.asarray(scan_h, float)
    good = np.isfinite(t)

    def at(values: np.ndarray, errors: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        v = np.asarray(values, float)
        ok = np.isfinite(v) & np.isfinite(nmr_h) & (v >= 0.0) & (v < 1.0)  # 1: no 7Li to see
        e = np.zeros(v.size) if errors is None else np.asarray(errors, float)
        if errors is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                ok &= np.isfinite(e) & (e <= max_rel_err * (1.0 - v))
        out, err = np.full(t.size, default), np.zeros(t.size)
        if ok.any():
            out[good] = np.interp(t[good], nmr_h[ok], v[ok])
            err[good] = np.interp(t[good], nmr_h[ok], e[ok])
        return out, err

    (xm, em), (xe, ee) = at(x6_metal, x6_metal_err), at(x6_electrode, x6_electrode_err)
    out = [{"x6_metal": float(m), "x6_electrode": float(e)} for m, e in zip(xm, xe, strict=True)]
    if x6_metal_err is not None or x6_electrode_err is not None:
        for d, a, b in zip(out, em, ee, strict=True):
            d["x6_metal_err"], d["x6_electrode_err"] = float(a), float(b)
    return out


def isotope_rel_err(isotopes: list[dict]) -> np.ndarray:
    """Relative error of a 7Li image's amounts from its 6Li fractions' errors, per scan.

    The amount scales as ``(1 - x6_electrode) / (1 - x6_metal)`` (the 7Li image counts 7Li, the
    electrodes calibrate it; :class:`dendritemr.mri.csi.CsiModel`), so to first order
    ``rel = sqrt((s_m / (1 - x6_metal))^2 + (s_e / (1 - x6_electrode))^2)``; 0 without errors.
    """
    out = []
    for d in isotopes:
        sm, se = d.get("x6_metal_err", 0.0), d.get("x6_electrode_err", 0.0)
        fm, fe = 1.0 - d["x6_metal"], 1.0 - d["x6_electrode"]
        rm = sm / fm if sm else 0.0
        re = se / fe if se else 0.0
        out.append(float(np.hypot(rm, re)))
    return np.array(out)


def mri_dataset(
    study: Study,
    scans: list[Path],
    mri_doc: dict,
    isotopes: list[dict] | None = None,
    metal_shapes: list | None = None,
) -> tuple[xr.Dataset | None, str]:
    """Metal maps, profiles and penetration depths of the study's CSI scans
    (:func:`dendritemr.mri.commands.analyse_scans`) in the report's ``mri`` layout
    (``docs/report.md``): ``metal_umol(scan, <lateral>, z_mm)`` (+ ``_err``),
    ``profile_umol(scan, z_mm)`` (+ ``_err``), ``total_umol``, ``depth_b_um``, ``depth_a_um``
    (each + ``_err``) over ``scan`` with the ``hours`` coordinate of ``mri_doc["time_h"]``.

    ``isotopes``: per scan ``{"x6_metal", "x6_electrode"}`` (:func:`scan_isotopes`); None:
    natural Li (a 7Li image of 6Li-enriched metal would then count only its 7Li). With their
    ``_err`` the totals' errors include the fractions' (:func:`isotope_rel_err`, also written
    as ``isotope_rel_err``); the maps' and profiles' errors stay the noise's (the depths' walk
    tests significance against the noise).

    ``metal_shapes``: per scan the metal's line shape held fixed in the CSI fit
    (``CsiModel.metal_shape_lines``, e.g. :func:`dendritemr.mri.nmr_shape.dendritic_shape` of
    the NMR series fit at the scan's mid-time) or None (the per-map model choice); None: the
    model choice for every scan. The metal model each fit used (``"nmr"``: the shape given;
    else the choice, ``"electrode"``, ``"single"``, ``"mixture"``) is the coordinate
    ``metal_model(scan)``; the shapes given are the attribute ``metal_shape_lines`` (JSON, per
    scan a list of ``[offset ppm, FWHM ppm, weight]`` or null).

    Returns ``(dataset, "")``, or ``(None, sentence)`` when the scans cannot be analysed (no
    electrode area, not a CSI scan, a failed fit): the images then only have their times. A
    fit that fails with the ``metal_shapes`` given is repeated with the model choice for every
    scan: ``(dataset, sentence)`` (no ``metal_shape_lines`` attribute then).
    """
    from dendritemr.mri.commands import analyse_scans

    if not study.electrode_area_cm2:
        return None, "MRI: no [cell] electrode_area_cm2, metal maps not calibrated (times only)"
    fit_iso = None
    if isotopes is not None:
        fit_iso = [{k: d[k] for k in ("x6_metal", "x6_electrode")} for d in isotopes]
    if metal_shapes is not None:
        fit_iso = [
            {**(fit_iso[i] if fit_iso else {}), **({"metal_shape_lines": m} if m else {})}
            for i, m in enumerate(metal_shapes)
        ]
    try:
        with _recorded("mri maps"):
            maps, series = analyse_scans(
                scans,
                study.electrode_area_cm2,
                study.temperature_k,
                per_scan_options=fit_iso,
            )
    except (DendriteMRError, ValueError, KeyError, np.linalg.LinAlgError) as exc:
        if metal_shapes is not None and any(m for m in metal_shapes):
            # the NMR shape is a refinement: without it the scans still have the model choice
            ds, note = mri_dataset(study, scans, mri_doc, isotopes)
            if ds is None:
                return None, note
            return ds, (
                f"MRI: the NMR series' metal line shape failed in the CSI fit ({exc}); every "
                "scan fitted with the per-map model choice"
            )
        return None, f"MRI: images not analysed ({exc}); acquisition times aligned only"
    if not maps:
        return None, "MRI: no scans"
    lateral = [d for d in maps[0]["metal_umol"].dims if d != "z_mm"]
    try:
        stacked = xr.concat([m[["metal_umol", "metal_umol_err"]] for m in maps], dim="scan")
    except (ValueError, KeyError) as exc:
        return None, f"MRI: maps of different geometry ({exc}); acquisition times aligned only"
    ds = series.rename({"time": "scan"}).drop_vars("time_iso", errors="ignore")
    ds["metal_umol"] = stacked["metal_umol"].transpose("scan", *lateral, "z_mm")
    ds["metal_umol_err"] = stacked["metal_umol_err"].transpose("scan", *lateral, "z_mm")
    hours = np.array([np.nan if h is None else h for h in mri_doc["time_h"]], float)
    ds = ds.assign_coords(
        scan=("scan", [s.name for s in scans]),
        hours=("scan", hours, {"units": "h"}),
        metal_model=("scan", [str(m.attrs.get("metal_model", "")) for m in maps], {"units": "1"}),
    )
    if isotopes is not None:  # the 6Li fractions' errors scale the whole map: into the totals
        rel = isotope_rel_err(isotopes)
        ds["isotope_rel_err"] = ("scan", rel, {"units": "1"})
        tot = ds["total_umol"].values
        ds["total_umol_err"] = ("scan", np.hypot(ds["total_umol_err"].values, tot * rel),
                                {"units": "umol"})  # fmt: skip
    ds.attrs = {"source": "dendritemr.mri.commands.analyse_scans (CSI metal maps)"}
    for face in ("z_b_mm", "z_a_mm"):  # pellet faces (mm, the maps' z axis): the same cell
        z = [float(m.attrs[face]) for m in maps if face in m.attrs]
        if z and np.all(np.isfinite(z)):
            ds.attrs[face] = float(np.median(z))
    if metal_shapes is not None:
        ds.attrs["metal_shape_lines"] = json.dumps(
            [None if not m else [[float(v) for v in line] for line in m] for m in metal_shapes]
        )
    return ds, ""


def mri_metal_shapes(
    lines: xr.Dataset | None,
    windows: list[tuple[str, np.datetime64, np.datetime64]],
    hours: Callable[[np.ndarray], np.ndarray],
) -> tuple[list, list[str], list]:
    """The metal line shape of each CSI scan from the NMR series' dendritic 7Li lines.

    ``lines``: the series' dendritic line table (:func:`dendritemr.mri.nmr_shape.
    dendritic_lines`, as :func:`_quantify_metal` returns it split off by
    :func:`_split_dendritic_lines`) or None; ``windows``: :func:`mri_windows`; ``hours``: UTC
    datetime64 -> hours on the study clock. Rule (:mod:`dendritemr.mri.nmr_shape`): at each
    scan's mid-time the lines' offsets, widths and 7Li areas interpolated linearly between the
    two significant series points around it, held after the last; before the first significant
    point (or without any) None, i.e. the CSI's own model choice.

    Returns ``(shapes, sources, nmr_h)`` per scan: the ``metal_shapes`` for
    :func:`mri_dataset`, one phrase saying where the shape came from, and the series' time
    points used (h on the study clock; None without a shape).
    """
    from dendritemr.mri.nmr_shape import scan_shape

    shapes, sources, used = [], [], []
    for _, start, end in windows:
        sh = scan_shape(lines, start + (end - start) / 2)
        shapes.append(sh.lines)
        if sh.lines is None:
            sources.append(f"model choice: {sh.reason}")
            used.append(None)
        else:
            h = [float(x) for x in hours(np.asarray(sh.nmr_times, "datetime64[ns]"))]
            sources.append(f"NMR series, {sh.reason} (" + ", ".join(f"{x:.2f}" for x in h) + " h)")
            used.append(h)
    return shapes, sources, used


def _load(path: Path, role: str) -> xr.DataArray:
    """The series' complex spectra for the line fits (:func:`dendritemr.quant.run.fit_spectra`),
    read once: their times and acquisition attributes also place them on the study clock."""
    from dendritemr.quant.run import fit_spectra

    with _recorded(role):
        return fit_spectra(path)


#: a 6Li spectrum pairs with a 7Li spectrum when their starts are at most this fraction of the
#: median 7Li interval apart (interleaved acquisitions are well inside; a 6Li series that stops
#: early or is sparser leaves 7Li points without a partner instead of repeating a stale one)
PAIR_TOLERANCE = 0.5


def _pair_li6(li7: xr.DataArray, li6: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray, list[str]]:
    """Pair the 6Li spectra one-to-one with 7Li time points for the joint fit.

    Each 7Li spectrum takes the nearest 6Li spectrum if it started within
    :data:`PAIR_TOLERANCE` x the median 7Li interval; a 6Li spectrum nearest to several 7Li
    spectra goes to the closest one only (a repeated spectrum would count its noise twice).
    Returns the 7Li spectra that have a partner, their 6Li partners (``attrs["paired_index"]``:
    positions in the 6Li series) and a note naming the 7Li spectra left out (empty if none).

    Raises
    ------
    ProcessingError
        no 7Li spectrum has a 6Li partner.
    """
    t7 = li7["time"].values.astype("datetime64[ns]").astype(np.int64) / 1e9
    t6 = li6["time"].values.astype("datetime64[ns]").astype(np.int64) / 1e9
    step = float(np.median(np.diff(t7))) if t7.size > 1 else 0.0
    tol = PAIR_TOLERANCE * step if step > 0 else np.inf
    dist = np.abs(t6[None, :] - t7[:, None])
    idx = dist.argmin(axis=1)
    near = dist[np.arange(t7.size), idx]
    keep = near <= tol
    for j in np.unique(idx[keep]):  # one 7Li point per 6Li spectrum: the closest
        users = np.flatnonzero(keep & (idx == j))
        keep[users[users != users[np.argmin(near[users])]]] = False
    if not keep.any():
        raise ProcessingError(
            f"no 6Li spectrum started within {tol / 3600:.2g} h of a 7Li spectrum: "
            "the two series cannot be paired"
        )
    notes = []
    if not keep.all():
        left = np.flatnonzero(~keep)
        names = li7["expno"].values[left] if "expno" in li7.coords else left
        shown = ", ".join(str(v) for v in names[:8]) + (", ..." if left.size > 8 else "")
        notes.append(
            f"{left.size} of {t7.size} 7Li spectra have no 6Li spectrum within "
            f"{tol / 3600:.2g} h (7Li {'expnos' if 'expno' in li7.coords else 'indices'} "
            f"{shown}): left out of the joint 6Li/7Li analysis"
        )
    out = li6.isel(time=idx[keep])
    out.attrs["paired_index"] = [int(i) for i in idx[keep]]
    return li7.isel(time=np.flatnonzero(keep)), out, notes


def _t1_map(study: Study) -> dict:
    """``[t1_s]`` as ``{(group, nucleus): s}`` (metal T1s apply to both metal groups)."""
    out = {}
    for role, nuc in (("li7", "7Li"), ("li6", "6Li")):
        for line, value in study.t1_s.get(role, {}).items():
            groups = ("electrode", "microstructure") if line == "metal" else (line,)
            for g in groups:
                out[(g, nuc)] = float(value)
    return out


#: a saturation ratio this close to 1 (in its standard errors) cannot give a T1
_T1_RATIO_SIGMAS = 3.0


def _t1_from_ratio(ratio: float, tr_relaxed: float, tr: float) -> float:
    """T1 (s) with ``S(tr, T1) / S(tr_relaxed, T1) = ratio`` (90-degree Ernst saturation,
    :func:`dendritemr.physics.saturation_factor`); NaN outside the invertible range."""
    from scipy.optimize import brentq

    from dendritemr.physics import saturation_factor

    def f(log_t1: float) -> float:
        t1 = float(np.exp(log_t1))
        return float(saturation_factor(tr, t1) / saturation_factor(tr_relaxed, t1)) - ratio

    lo, hi = np.log(1e-3 * tr), np.log(1e4 * tr_relaxed)
    if not (np.isfinite(ratio) and f(lo) > 0 > f(hi)):
        return float("nan")
    return float(np.exp(brentq(f, lo, hi, xtol=1e-10)))


def reference_t1(
    study: Study, force: bool = False
) -> tuple[dict[str, dict[str, float]], dict, list[str]]:
    """T1 per nucleus and line from the study's references: a relaxed one and one at a shorter
    recycle delay (``simulate`` writes ``reference/<nucleus>/1`` relaxed and ``/2`` at the in
    situ D1). Both are decomposed together (:func:`dendritemr.quant.decompose.decompose`,
    shared centres and widths); the area ratio of each line group gives T1 through the
    Ernst saturation (90-degree pulses). A ratio within 3 standard errors of 1 (T1 much
    shorter than TR, e.g. 7Li metal) or of its long-T1 limit gives no value. A nucleus whose
    lines ``[t1_s]`` all gives is not measured unless ``force``.

    Returns
    -------
    ``(t1_s, record, notes)``: ``t1_s`` in the ``[t1_s]`` layout (``{"li7": {"electrolyte":
    s}}``), ``record`` per nucleus and line ``{t1_s, t1_err_s, ratio, ratio_err, tr_s,
    tr_relaxed_s}`` (also the lines without a value), ``notes`` (sentences).
    """
    from dendritemr.errors import ProcessingError
    from dendritemr.quant.decompose import decompose
    from dendritemr.quant.run import fit_spectra, repetition_time

    relaxed = next((r for r in study.references if r.relaxed), None)
    partial = next((r for r in study.references if not r.relaxed), None)
    t1: dict[str, dict[str, float]] = {}
    record: dict = {}
    notes: list[str] = []
    if relaxed is None or partial is None:
        return t1, record, notes
    for role, nuc in (("li7", "7Li"), ("li6", "6Li")):
        p_rel, p_part = getattr(relaxed, role), getattr(partial, role)
        if p_rel is None or p_part is None:
            continue
        given = study.t1_s.get(role, {})
        if "electrolyte" in given and "metal" in given and not force:
            record[nuc] = "not measured: [t1_s] gives every line"
            continue
        try:
            with _recorded(f"reference {nuc}"):
                a, b = fit_spectra(p_rel).isel(time=[0]), fit_spectra(p_part).isel(time=[0])
                if a.sizes["ppm"] != b.sizes["ppm"]:
                    raise ProcessingError("the two references have different spectral axes")
                pair = xr.concat([a, b.assign_coords(ppm=a["ppm"].values)], dim="time")
                pair = pair.assign_coords(hours=("time", [0.0, 1.0]))
                pair.attrs = dict(a.attrs)
                ds = decompose([pair])
            tr_rel, tr = repetition_time(a.attrs), repetition_time(b.attrs)
        except (DendriteMRError, ValueError, KeyError) as exc:
            notes.append(f"T1 from the references: {nuc} not usable ({exc})")
            continue
        if not (tr < tr_rel):
            notes.append(f"T1 from the references: {nuc} recycle delays are not shorter/longer")
            continue
        record[nuc] = {}
        for group in ("electrolyte", "electrode", "microstructure"):
            area = ds["group_area"].sel(group=group).isel(nucleus=0).values
            err = ds["group_area_err"].sel(group=group).isel(nucleus=0).values
            if not (area[0] > 0 and area[1] > 0 and err[0] > 0):
                continue
            r = float(area[1] / area[0])
            r_err = r * float(np.hypot(err[0] / area[0], err[1] / area[1]))
            value = _t1_from_ratio(r, tr_rel, tr)
            lo, hi = (_t1_from_ratio(r + d, tr_rel, tr) for d in (r_err, -r_err))
            floor = float(tr / tr_rel)  # ratio of T1 >> TR
            usable = (
                np.isfinite(value)
                and r < 1.0 - _T1_RATIO_SIGMAS * r_err
                and r > floor + _T1_RATIO_SIGMAS * r_err
            )
            err_s = 0.5 * abs(hi - lo) if np.isfinite(lo) and np.isfinite(hi) else float("nan")
            record[nuc][group] = {
                "t1_s": value if usable else None,
                "t1_err_s": err_s if usable else None,
                "ratio": r,
                "ratio_err": r_err,
                "tr_s": tr,
                "tr_relaxed_s": tr_rel,
            }
            if usable:
                t1.setdefault(role, {})[group] = value
    return t1, record, notes


def _with_reference_t1(study: Study, t1: dict[str, dict[str, float]]) -> tuple[Study, list]:
    """The study with measured T1s added for the lines ``[t1_s]`` does not give (a given
    ``metal`` value covers ``electrode`` and ``microstructure``). Returns the study and the
    ``(role, line)`` pairs taken from the measurement."""
    import dataclasses

    merged = {role: dict(lines) for role, lines in study.t1_s.items()}
    used = []
    for role, lines in t1.items():
        given = merged.setdefault(role, {})
        for line, value in lines.items():
            metal = line in ("electrode", "microstructure") and "metal" in given
            covered = line in given or metal
            if not covered:
                given[line] = value
                used.append((role, line))
    return dataclasses.replace(study, t1_s=merged), used


#: what ``metal_relative`` counts (results.json ``metal_relative.unit``)
METAL_RELATIVE_UNIT = (
    "7Li signal of the dendritic metal (microstructure lines) / 7Li signal of the electrode "
    "line in the first spectrum"
)


def metal_relative(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Dendritic metal per time point relative to the electrode line of the first spectrum.

    ``r(t) = A7_micro(t) / A7_electrode(t0)``, the 7Li areas of the decomposition
    (:func:`dendritemr.quant.decompose.decompose`: ``group_area`` of ``microstructure`` and of
    ``electrode`` at the first time point with a positive electrode area). It needs no
    calibration: both lines are metal seen in the same spectrum with the same receiver, so the
    ratio is the dendritic metal in units of the electrode's visible skin layer. The electrode
    calibration of :func:`dendritemr.quant.atoms.electrode_calibration` is this ratio times the
    electrode's visible amount (both lines saturated alike there), so with ``[cell]
    electrode_area_cm2`` ``metal_umol = r x electrode_visible_umol(2 x area) / (1 - x6)``
    (7Li-only) -- :func:`metal_relative_umol_per_cm2` gives that factor per cm2.

    Returns
    -------
    ``(r, r_err, r_stat_err, note)``, arrays ``(time,)``, dimensionless: ``r_stat_err`` the
    microstructure area's own error / ``A7_electrode(t0)`` (what changes from point to point),
    ``r_err`` adds the electrode area's relative error (common to every point) in quadrature.
    All NaN and ``note`` a sentence when no spectrum has a positive electrode line.
    """
    nuc = [str(n) for n in ds["nucleus"].values]
    n = ds.sizes["time"]
    nan = np.full(n, np.nan)
    if "7Li" not in nuc:
        return nan, nan, nan, "no 7Li series: no relative metal signal"
    i7 = nuc.index("7Li")
    a_m = np.asarray(ds["group_area"].sel(group="microstructure").isel(nucleus=i7).values, float)
    e_m = np.asarray(
        ds["group_area_err"].sel(group="microstructure").isel(nucleus=i7).values, float
    )
    a_e = np.asarray(ds["group_area"].sel(group="electrode").isel(nucleus=i7).values, float)
    e_e = np.asarray(ds["group_area_err"].sel(group="electrode").isel(nucleus=i7).values, float)
    ok = np.flatnonzero(np.isfinite(a_e) & (a_e > 0))
    if ok.size == 0:
        return (
            nan,
            nan,
            nan,
            ("no electrode line in any 7Li spectrum: the metal cannot be given relative to it"),
        )
    i0 = int(ok[0])
    ref, ref_rel = float(a_e[i0]), float(e_e[i0] / a_e[i0]) if np.isfinite(e_e[i0]) else 0.0
    r = a_m / ref
    stat = e_m / ref
    note = "" if i0 == 0 else f"metal_relative: electrode line of spectrum {i0 + 1} (none before)"
    return r, np.hypot(stat, r * ref_rel), stat, note


def metal_relative_umol_per_cm2(field_t: float, temperature_k: float | None) -> float:
    """umol of Li per cm2 of electrode area behind one unit of :func:`metal_relative` (7Li-only,
    metal of the electrode's isotope composition): the fully-visible-equivalent Li of the two
    electrode faces' skin layers per cm2 (:func:`dendritemr.quant.amounts.electrode_visible_umol`
    with face area 2 cm2: both electrodes of a symmetric cell face the coil)."""
    from dendritemr.quant.amounts import electrode_visible_umol

    return electrode_visible_umol(2.0, field_t=field_t, temperature_k=temperature_k)[0]


def _quantify_metal(li7: xr.DataArray, li6: xr.DataArray | None, study: Study) -> xr.Dataset:
    """Metal amounts and 6Li fractions per 7Li time point: the one adapter to ``quant``.

    Contract (what the rest of the pipeline relies on; keep it when the quantification changes)
    --------------------------------------------------------------------------------------------
    Parameters: ``li7`` the 7Li series as :func:`dendritemr.quant.run.fit_spectra` returns it
    (complex ``(time, ppm)``, not phased; read once by :func:`run_study`); ``li6`` the same for
    6Li, already matched one-to-one to ``li7``'s time points (``attrs["paired_index"]`` names
    the 6Li experiments used), or None; ``study``.

    Returns an ``xarray.Dataset`` over ``time`` (the 7Li time points, same order) with, each with
    ``<name>_err`` (one standard error, same units; NaN where not computable):

    - ``metal_umol``: dendritic (non-electrode) metallic Li, umol of atoms (6Li + 7Li);
      ``metal_umol_stat_err`` its error without the parts common to every time point (the
      calibration, C7 and K, and the decomposition's held skin phase and electrode shape);
      ``x6_metal_stat_err`` likewise; ``metal_umol_x6_cov`` / ``metal_umol_x6_stat_cov`` the
      covariance of the amount with ``x6_metal`` (umol; same two areas), of those errors;
    - ``x6_metal``: 6Li atom fraction of that metal (NaN without 6Li data);
    - ``x6_electrode``: 6Li atom fraction of the electrode metal line (its surface layer);
    - ``x6_electrolyte``: 6Li atom fraction of the electrolyte line per time point;
    - ``electrode_umol``: fully-visible-equivalent amount behind the electrode line;

    and, for display (not per time point quantities: split them off before writing the
    timeline), complex ``spectrum_<nucleus>``, ``model_<nucleus>``, ``residual_<nucleus>`` over
    ``(time, ppm_<nucleus>)`` (:func:`dendritemr.quant.decompose.fit_curves`: the fitted
    windows, rotated by each spectrum's zero-order phase),

    for the MRI step (not per time point quantities of the timeline: split them off with
    :func:`_split_dendritic_lines`), the 7Li dendritic lines of the series fit
    (:func:`dendritemr.mri.nmr_shape.dendritic_lines`, each variable prefixed ``dendritic_``
    over ``(time, dendritic_line)``: ``offset_ppm`` from the electrode line, ``fwhm_ppm``,
    ``area``/``area_err``, and over ``time`` ``group_area``/``group_area_err`` and
    ``significant``; absent when the fit has no electrode or dendritic 7Li line),

    and ``attrs``: ``method`` (one line), ``limitations`` (JSON list of sentences), ``calibration``
    (JSON). Raises :class:`~dendritemr.errors.DendriteMRError` for bad data only; anything that
    merely cannot be computed is NaN plus a sentence in ``limitations``.

    Implementation: the joint 6Li/7Li decomposition of the raw series
    (:func:`dendritemr.quant.decompose.decompose` on :func:`dendritemr.quant.run.fit_spectra`,
    microstructure phase free for dendrites near the skin depth) and atoms from both areas
    (:mod:`dendritemr.quant.atoms`). K: the electrolyte line of the first usable
    ``[[reference]]`` (relaxed unless said otherwise), else the electrolyte line of the first
    pair at ``[isotopes] x6_electrolyte``. C7: the electrode line of the first pair (face area
    ``2 x [cell] electrode_area_cm2``) at its measured x6 (else ``[isotopes] x6_electrode``).
    """
    from dendritemr.errors import ProcessingError
    from dendritemr.quant import atoms as A
    from dendritemr.quant.chain import KKnownLine, KReference, quantify_decomposition
    from dendritemr.quant.decompose import decompose, fit_curves
    from dendritemr.quant.run import acquisition

    n = li7.sizes["time"]
    nan = np.full(n, np.nan)
    limits: list[str] = []
    calib: dict[str, Any] = {}
    with _recorded("quantification"):
        s7 = li7
        series = [s7]
        if li6 is not None:
            s6 = li6.assign_coords(hours=("time", s7["hours"].values))
            s6.attrs = {k: v for k, v in li6.attrs.items() if k != "paired_index"}
            series.append(s6)
        try:
            ds = decompose(series)
        except ProcessingError as exc:
            raise DataError(study.li7, f"line decomposition failed: {exc}") from None
    field = float(s7.attrs.get("field_t") or study.field_t)
    relax = A.Relaxation(_t1_map(study), study.temperature_k)
    calib["model"] = ds.attrs["model_choice"]
    sources: list = [
        KReference(
            ref.li7,
            ref.li6,
            float(ref.x6["electrolyte"]),
            "electrolyte",
            x6_err=float(ref.x6_err.get("electrolyte", 0.0)),
            relaxed=ref.relaxed,
            name=ref.name,
        )
        for ref in study.references
        if ref.li6 is not None and ref.li7 is not None and "electrolyte" in ref.x6
    ]
    if study.x6_electrolyte is not None:
        sources.append(
            KKnownLine("electrolyte", study.x6_electrolyte, 0, x6_err=study.x6_electrolyte_err)
        )
    if li6 is None:
        limits.append(
            "no 6Li data: x6 of the metal, the interface fraction, the metal per route and "
            "route-named stages cannot be computed; metal amounts assume the metal has the "
            "electrode's isotope composition"
        )
    elif not sources:
        limits.append("no reference and no [isotopes] x6_electrolyte: K unknown, no x6")
    amount_refs = [ref.name or "?" for ref in study.references if ref.amount_umol]
    if amount_refs:
        limits.append(
            "[[reference]] amount_umol ("
            + ", ".join(amount_refs)
            + ") is read but not used: amounts are calibrated only by the electrode line and "
            "[cell] electrode_area_cm2 (an external amount standard needs the receiver gain and "
            "scans of both experiments put on one scale, not implemented)"
        )
    cal_spec = None
    if not study.electrode_area_cm2:
        limits.append(
            "no [cell] electrode_area_cm2: the metal is not calibrated in umol (not_computed: "
            "metal_umol); results.json metal_relative gives it relative to the first spectrum's "
            "electrode line (x umol_per_cm2_per_unit x the electrode area in cm2 = umol), and "
            "the stages and their rates are in those units"
        )
    else:
        cal_spec = {"electrode_face_area_cm2": 2.0 * study.electrode_area_cm2, "index": 0}
    x6_assumed = study.x6_electrode
    if x6_assumed is None:
        x6_assumed = 0.0759  # natural abundance (physics.LI6_NATURAL_FRACTION)
        limits.append("no [isotopes] x6_electrode: electrode taken as natural Li (x6 0.0759)")
    q = quantify_decomposition(
        ds,
        acquisition(s7),
        relax,
        field,
        acq6=acquisition(series[1]) if li6 is not None else None,
        k_sources=sources,
        calibration=cal_spec,
        x6_assumed=x6_assumed,
        calibration_required=False,
    )
    limits += q.notes
    x6 = x6_err = x6_stat = x6e = x6e_err = x6l = x6l_err = nan
    if q.k is not None:
        calib["k"] = {"k": q.k[0], "rel_err": q.k[1]}
        calib["k_line"] = q.k_source
        x = q.x6
        x6 = x["x6"].sel(group="microstructure").values
        x6_err = x["x6_err"].sel(group="microstructure").values
        x6_stat = x["x6_stat_err"].sel(group="microstructure").values
        x6e = x["x6"].sel(group="electrode").values
        x6e_err = x["x6_err"].sel(group="electrode").values
        x6l = x["x6"].sel(group="electrolyte").values
        x6l_err = x["x6_err"].sel(group="electrolyte").values
        bad = int(np.sum(~np.isfinite(x6)))
        if bad:
            limits.append(
                f"{bad} of {n} time points: no dendritic metal measured (6Li + 7Li atoms of "
                "the microstructure lines <= 0), x6 not computable there"
            )
    metal = metal_err = metal_stat = electrode = electrode_err = metal_x6_cov = metal_x6_scov = nan
    if q.amounts is not None:
        calib["li7"] = q.calibration
        am = q.amounts
        metal = am["umol"].sel(group="microstructure").values
        metal_err = am["umol_err"].sel(group="microstructure").values
        metal_stat = am["umol_stat_err"].sel(group="microstructure").values
        metal_x6_cov = am["umol_x6_cov"].sel(group="microstructure").values
        metal_x6_scov = am["umol_x6_stat_cov"].sel(group="microstructure").values
        electrode = am["umol"].sel(group="electrode").values
        electrode_err = am["umol_err"].sel(group="electrode").values
        calib["atoms_from"] = am.attrs["atoms_from"]
    rel, rel_err, rel_stat, rel_note = metal_relative(ds)
    if rel_note:
        limits.append(rel_note)
    if not study.electrode_area_cm2 and q.amounts is None and np.isfinite(rel).any():
        calib["relative"] = {"unit": METAL_RELATIVE_UNIT}
    curves = fit_curves(ds).drop_vars("hours", errors="ignore")
    lines = _dendritic_line_vars(ds, li7["time"].values)
    return xr.Dataset(
        {
            **{name: curves[name] for name in curves.data_vars},
            **lines,
            "metal_rel": ("time", rel, {"units": "1", "long_name": METAL_RELATIVE_UNIT}),
            "metal_rel_err": ("time", rel_err, {"units": "1"}),
            "metal_rel_stat_err": ("time", rel_stat, {"units": "1"}),
            "metal_umol": ("time", metal, {"units": "umol"}),
            "metal_umol_err": ("time", metal_err, {"units": "umol"}),
            "metal_umol_stat_err": ("time", metal_stat, {"units": "umol"}),
            "metal_umol_x6_cov": ("time", metal_x6_cov, {"units": "umol"}),
            "metal_umol_x6_stat_cov": ("time", metal_x6_scov, {"units": "umol"}),
            "x6_metal": ("time", x6),
            "x6_metal_err": ("time", x6_err),
            "x6_metal_stat_err": ("time", x6_stat),
            "x6_electrode": ("time", x6e),
            "x6_electrode_err": ("time", x6e_err),
            "x6_electrolyte": ("time", x6l),
            "x6_electrolyte_err": ("time", x6l_err),
            "electrode_umol": ("time", electrode, {"units": "umol"}),
            "electrode_umol_err": ("time", electrode_err, {"units": "umol"}),
        },
        coords={"time": li7["time"].values},
        attrs={
            **_spectra_histories(li7, li6),
            "method": (
                "quant.decompose (joint 6Li/7Li complex fit) + quant.atoms"
                if li6 is not None
                else "quant.decompose (7Li complex fit; no 6Li series) + quant.atoms"
            ),
            "limitations": json.dumps(limits),
            "calibration": json.dumps(calib, default=str),
        },
    )


def _dendritic_line_vars(ds: xr.Dataset, times: np.ndarray) -> dict[str, xr.DataArray]:
    """The series fit's 7Li dendritic line table (:func:`dendritemr.mri.nmr_shape.
    dendritic_lines`) as ``dendritic_<name>`` variables on the 7Li ``times``; {} without one."""
    from dendritemr.mri.nmr_shape import dendritic_lines

    table = dendritic_lines(ds, "7Li")
    if table is None or table.sizes["time"] != len(times):
        return {}
    table = table.assign_coords(time=times).rename({"line": "dendritic_line"})
    return {f"dendritic_{name}": table[name] for name in table.data_vars}


def _split_dendritic_lines(quant: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset | None]:
    """Split :func:`_quantify_metal`'s ``dendritic_*`` variables off: ``(the rest, the
    table of :func:`dendritemr.mri.nmr_shape.dendritic_lines` or None)``."""
    names = [v for v in quant.data_vars if str(v).startswith("dendritic_")]
    if not names:
        return quant, None
    table = quant[names].rename({v: v[len("dendritic_") :] for v in names})
    table = table.rename({"dendritic_line": "line"}) if "dendritic_line" in table.dims else table
    table.attrs = {"nucleus": "7Li"}
    rest = quant.drop_vars(names)
    if "dendritic_line" in rest.coords:
        rest = rest.drop_vars("dendritic_line")
    return rest, table


def _on_study_clock(calib: dict, t_h) -> dict:
    """The calibration record with each ``time_h`` on the study clock (``time_h`` of its
    ``time_index``): quant counts hours from the first spectrum, so the TEGDME calibration
    spectrum, at -0.42 h in ``time_h``, said ``time_h: 0.0``."""
    for part in calib.values():
        if isinstance(part, dict) and isinstance(part.get("time_index"), int):
            k = part["time_index"]
            if 0 <= k < len(t_h) and "time_h" in part:
                part["time_h"] = float(t_h[k]) if np.isfinite(t_h[k]) else None
    return calib


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
    (sentences), ``quantification`` (method, calibration), ``study``, ``citations`` (keys of
    :data:`dendritemr.physics.citations.REFERENCES` that this analysis registered, then its
    methods'; the registry is reset first, so a simulation run in the same process, as in
    ``demo``, is not cited).

    Raises
    ------
    DendriteMRError : unreadable data, cycler problems (one line).
    """
    from dendritemr.physics import citations

    citations.reset()
    opts = options or AnalyzeOptions()
    own = _WARNINGS.get() is None  # analyze() sets it before load_study
    token = _WARNINGS.set([]) if own else None
    try:
        with blas_threads(opts.blas_threads):
            doc, datasets = _run_study(study, opts, progress)
        doc["citations"] = _cited_keys(doc, datasets)
        return doc, datasets
    finally:
        if token is not None:
            _WARNINGS.reset(token)


def _cited_keys(doc: dict, datasets: dict) -> list[str]:
    """Keys of the references registered since :func:`run_study` reset the registry, then
    those of the methods the results show were used (:func:`dendritemr.report.inputs.
    methods_used`: BIC, optimal partitioning, Birge scaling), each once."""
    from dendritemr.physics import citations
    from dendritemr.report.inputs import methods_used

    keys = [c.key for c in citations.cited()]
    return keys + [k for k in methods_used(doc, datasets) if k not in keys]


def _run_study(
    study: Study, options: AnalyzeOptions, progress: Progress | None
) -> tuple[dict, dict[str, xr.Dataset]]:
    from dendritemr.io.cycler_formats import read_cycler
    from dendritemr.results_schema import SCHEMA_ID, score, validate
    from dendritemr.timeline import (
        align_windows,
        attribute_routes,
        cycler_clock,
        detect_short,
        detect_stages,
        local_llzo_x6,
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
        try:
            li7, li6, pair_notes = _pair_li6(li7, _load(study.li6, "nmr.li6"))
        except ProcessingError as exc:
            raise DataError(study.li6, str(exc)) from None
        not_computed += pair_notes
    t1_doc = None
    if study.references:
        say("T1 from references")
        t1_meas, t1_rec, t1_notes = reference_t1(study)
        not_computed += t1_notes
        study_q, t1_used = _with_reference_t1(study, t1_meas)
        t1_doc = {
            "measured": t1_rec,
            "used": [f"{role}.{line}" for role, line in t1_used],
            "method": "area ratio of a reference at a short recycle delay to a relaxed one "
            "(Ernst saturation, 90-degree pulses); [t1_s] takes precedence",
        }
    else:
        study_q = study
    wins = []
    if study.mri is not None:  # read before the long fits: a truncated scan fails in seconds
        say("MRI times")
        wins = mri_windows(study.mri)
    say("quantifying")
    quant = _quantify_metal(li7, li6, study_q)
    not_computed += json.loads(quant.attrs["limitations"])
    quant, dendritic = _split_dendritic_lines(quant)
    quant, display = _split_display(quant)
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
        n_out = int(np.sum(~aligned["covered"].values.astype(bool)))
        if n_out:
            first = float(hours(start[0]))
            a, b = (round(float(x), 2) + 0.0 for x in (th[0], th[-1]))  # + 0.0: no "-0.00"
            if n_out == start.size:  # nothing to align: say so where a user looks first
                last = float(hours(end[-1]))
                with _recorded("cycler"):
                    warnings.warn(
                        f"{study.cycler.path}: no NMR acquisition lies inside this cycler record "
                        f"({a:.2f} to {b:.2f} h on the cycling clock, the spectra {first:.2f} to "
                        f"{last:.2f} h): no current, voltage or charge for any spectrum -- check "
                        "[cycler] start, timezone and clock_offset_s",
                        UserWarning,
                        stacklevel=2,
                    )
            not_computed.append(
                f"{n_out} of {start.size} NMR acquisitions lie outside the cycler record "
                f"({a:.2f} to {b:.2f} h on the cycling clock; the first spectrum at "
                f"{first:.2f} h): no current or charge there -- if the record should cover "
                "them, check [cycler] start, timezone and clock_offset_s"
            )
        datasets["cycler"] = xr.Dataset(
            {
                "current_mA": ("hours", clock.current_mA, {"units": "mA"}),
                "voltage_V": ("hours", clock.voltage_V, {"units": "V"}),
            },
            coords={
                "hours": ("hours", th, {"units": "h", "long_name": "hours since cycling started"})
            },
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
        if wins and not opts.mri_maps:
            not_computed.append(
                "MRI: acquisition times aligned only; metal maps not computed (--no-mri-maps; "
                "analyze without it, or dendritemr image, computes them)"
            )
        elif wins:
            say("MRI maps")
            isotopes = scan_isotopes(
                np.asarray(mri_doc["time_h"], float),
                hours(mid),
                quant["x6_metal"].values,
                quant["x6_electrode"].values,
                study,
                x6_metal_err=quant["x6_metal_err"].values,
                x6_electrode_err=quant["x6_electrode_err"].values,
            )
            shapes = sources = used = None
            if opts.mri_nmr_shape:
                shapes, sources, used = mri_metal_shapes(dendritic, wins, hours)
            mri_ds, mri_note = mri_dataset(
                study, [study.mri / w[0] for w in wins], mri_doc, isotopes, metal_shapes=shapes
            )
            if mri_ds is not None and mri_note:  # the NMR shape failed: the model choice
                not_computed.append(mri_note)
                sources = ["model choice: the NMR shape failed in the CSI fit" for _ in wins]
                used = None
            if mri_ds is not None:
                datasets["mri"] = mri_ds
                mri_doc["metal_model"] = [str(m) for m in mri_ds["metal_model"].values]
                mri_doc["metal_shape_from"] = sources or [
                    "model choice: --no-mri-nmr-shape" for _ in wins
                ]
                mri_doc["metal_shape_nmr_h"] = used or [None for _ in wins]
                mri_doc["total_umol"] = _clean(mri_ds["total_umol"].values)
                mri_doc["total_umol_err"] = _clean(mri_ds["total_umol_err"].values)
                mri_doc["depth_b_um"] = _clean(mri_ds["depth_b_um"].values)
                mri_doc["depth_a_um"] = _clean(mri_ds["depth_a_um"].values)
                mri_doc["depth_b_um_err"] = _clean(mri_ds["depth_b_um_err"].values)
                mri_doc["depth_a_um_err"] = _clean(mri_ds["depth_a_um_err"].values)
            else:
                not_computed.append(mri_note)
        else:
            not_computed.append("MRI: no ParaVision scan in the [mri] folder")
    t_h = hours(mid)
    metal = quant["metal_umol"].values
    metal_err = quant["metal_umol_err"].values
    metal_stat = quant["metal_umol_stat_err"].values
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
        if opts.exchange_per_h is None:
            kappa_range = tuple(float(k) for k in opts.exchange_range_per_h)
            kappa = 0.5 * (kappa_range[0] + kappa_range[1])
        else:
            kappa, kappa_range = float(opts.exchange_per_h), None
        # the LLZO where the metal forms lies between the deep LLZO and the exchange layer
        # next to the plating electrode (timeline.local_llzo_x6): a model error of the bulk
        # end member, propagated into the routes
        bounds = None
        if study.thickness_mm is not None:
            zone = local_llzo_x6(xl, xl_err, study.x6_electrolyte, study.thickness_mm * 1000.0)
            bounds = (zone.x6_lo, zone.x6_hi)
        try:
            r = attribute_routes(
                t_h,
                metal,
                metal_err,
                x6,
                x6_err,
                xi,
                xi_err,
                xl,
                xl_err,
                kappa,
                exchange_range_per_h=kappa_range,
                x6_local_bounds=bounds,
                metal_umol_stat_err=metal_stat,
                x6_metal_stat_err=quant["x6_metal_stat_err"].values,
                metal_x6_cov=quant["metal_umol_x6_cov"].values,
                metal_x6_stat_cov=quant["metal_umol_x6_stat_cov"].values,
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
                "exchange_range_per_h": list(kappa_range) if kappa_range else None,
                "x6_interface_model_err": _clean(r.x6_interface_model_err),
                "x6_bulk_model_err": _clean(r.x6_bulk_model_err),
                "x6_local_llzo_bounds": None
                if bounds is None
                else [_clean(bounds[0]), _clean(bounds[1])],
                "dominant": r.dominant,
            }
    say("stages")
    rel = quant["metal_rel"].values
    rel_err, rel_stat = quant["metal_rel_err"].values, quant["metal_rel_stat_err"].values
    # stages on the umol trajectory when there is one, else on the relative metal signal
    # (change points and the stage rule are scale-free: errors in the same units)
    relative_stages = np.isfinite(metal).sum() < 3 and np.isfinite(rel).sum() >= 3
    if np.isfinite(metal).sum() < 3 and not relative_stages:
        n_ok = int(max(np.isfinite(metal).sum(), np.isfinite(rel).sum()))
        not_computed.append(
            f"stages: fewer than 3 time points with a metal amount ({n_ok} of {metal.size}): "
            "a growth stage needs a trajectory"
        )
    n_boot = opts.n_boot if opts.n_boot is not None else (100 if t_h.size <= 100 else 40)
    # growth tests on the statistical errors: the calibration (C7, K) and the decomposition's
    # held parameters are one error for the whole series, common to every point (into the
    # rates' errors, as the end members' below)
    stat_ok = np.isfinite(metal_stat) & (metal_stat > 0)
    total_stat = np.where(stat_ok, metal_stat, metal_err)
    traj = {"total": (rel, rel_stat) if relative_stages else (metal, total_stat)}
    model_err = (
        None
        if relative_stages
        else {"total": np.sqrt(np.maximum(metal_err**2 - total_stat**2, 0.0))}
    )
    if routes_known:
        # growth tests on the statistical route errors: the end-member (model) errors are shared
        # by neighbouring points and cancel in their differences (timeline.routes)
        inter_stat = (
            r.interface_umol_stat_err if r.interface_umol_stat_err is not None else inter_err
        )
        bulk_stat = r.bulk_umol_stat_err if r.bulk_umol_stat_err is not None else bulk_err
        traj.update(interface=(inter, inter_stat), bulk=(bulk, bulk_stat))
        # the end members' model error, common to neighbouring points: into the rates' errors
        model_err = {
            **(model_err or {}),
            "interface": np.sqrt(np.maximum(inter_err**2 - inter_stat**2, 0.0)),
            "bulk": np.sqrt(np.maximum(bulk_err**2 - bulk_stat**2, 0.0)),
        }
    short_h = short.time_h if short is not None else None
    stages = detect_stages(
        t_h,
        traj,
        current_ma=current,
        short_h=short_h,
        routes_known=routes_known,
        n_boot=n_boot,
        seed=opts.seed,
        model_err=model_err,
    )
    stage_list = [st.to_dict() for st in stages.stages]
    if np.isfinite(metal).sum() < 3 and not relative_stages:
        # no trajectory (said in not_computed): a calibrated one-spectrum study listed a
        # 'stall 0.00 - 0.00 h' beside that sentence; a short is still a stage
        stage_list = [st for st in stage_list if st["name"] == "shorted"]
    stage_det = {k: v for k, v in stages.to_dict().items() if k != "stages"}
    if relative_stages:
        stage_list, stage_det = _relative_stage_units(stage_list, stage_det)
    else:
        stage_det["units"] = "umol"
    # primary: no umol, the relative metal is the trajectory (and the stages' units); a
    # calibrated study of 1-2 spectra was called 'not calibrated' (fewer than 3 umol values)
    metal_rel_doc = _metal_relative_doc(
        t_h, rel, rel_err, rel_stat, bool(relative_stages or not np.isfinite(metal).any()), study
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
        "metal_relative": metal_rel_doc,
        "stages": stage_list,
        "stage_detection": stage_det,
        "short_circuit_h": short_h,
        "short_circuit_err_h": short.time_err_h if short is not None else None,
        "short": short.to_dict() if short is not None else None,
        "cycler": doc_cycler or None,
        "mri_images": mri_doc,
        "routes": routes_doc or None,
        "electrode_umol": _clean(quant["electrode_umol"].values),
        "quantification": {
            "method": quant.attrs["method"],
            "calibration": _on_study_clock(json.loads(quant.attrs["calibration"]), t_h),
            "t1": t1_doc,
        },
        "not_computed": not_computed,
        "warnings": warnings_list(_WARNINGS.get() or []),
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
    if display is not None:
        datasets["spectra"] = display.assign_coords(hours=("time", t_h, {"units": "h"}))
    else:
        not_computed.append("report: the quantification returned no fitted spectra to show")
    return doc, datasets


def _relative_stage_units(stages: list[dict], detection: dict) -> tuple[list[dict], dict]:
    """Stage rates and detection limits of the relative metal trajectory, named by their
    units: ``total_umol_per_h`` -> ``total_rel_per_h`` (per h, in units of
    :data:`METAL_RELATIVE_UNIT`), ``_per_mAh`` likewise; the share of the charge (which needs
    umol) is dropped. ``sigma_umol``/``threshold_umol`` -> ``sigma_rel``/``threshold_rel``."""
    out = []
    for st in stages:
        st = dict(st)
        st["rates"] = {
            k.replace("_umol_", "_rel_"): v
            for k, v in (st.get("rates") or {}).items()
            if not k.endswith("charge_share")
        }
        out.append(st)
    det = {k.replace("_umol", "_rel"): v for k, v in detection.items()}
    det["units"] = "relative (metal_relative.unit)"
    return out, det


def _metal_relative_doc(
    t_h: np.ndarray,
    rel: np.ndarray,
    rel_err: np.ndarray,
    rel_stat: np.ndarray,
    primary: bool,
    study: Study,
) -> dict | None:
    """``results.json: metal_relative``: the dendritic metal relative to the first spectrum's
    electrode line (:func:`metal_relative`) with its growth since the first time point, or None
    when it could not be measured. ``primary``: no umol amounts, this is the metal trajectory
    (stages and rates are in its units)."""
    good = np.flatnonzero(np.isfinite(rel))
    if good.size == 0:
        return None
    i0 = int(good[0])
    growth = rel - rel[i0]
    growth_err = np.hypot(rel_stat, rel_stat[i0])  # the reference scale: times the growth
    growth_err = np.hypot(growth_err, np.abs(growth) * _scale_rel_err(rel, rel_err, rel_stat))
    growth_err[i0] = 0.0
    ratio = np.full(rel.size, np.nan)
    ratio_err = np.full(rel.size, np.nan)
    if rel[i0] > 0:  # the value over the first value (none when the first is <= 0)
        ratio = rel / rel[i0]
        # d(r / r0) = sqrt(s^2 + (ratio s0)^2) / r0 (independent statistical errors)
        ratio_err = np.hypot(rel_stat, ratio * rel_stat[i0]) / rel[i0]
        ratio_err[i0] = 0.0
    doc: dict[str, Any] = {
        "unit": METAL_RELATIVE_UNIT,
        "total": _clean(rel),
        "total_err": _clean(rel_err),
        "total_stat_err": _clean(rel_stat),
        "growth": _clean(growth),
        "growth_err": _clean(growth_err),
        "ratio_to_first": _clean(ratio),
        "ratio_to_first_err": _clean(ratio_err),
        "first_h": float(t_h[i0]),
        "primary": bool(primary),
    }
    if not study.li6 and np.isfinite(rel).any():
        field = float(study.field_t or np.nan)
        if np.isfinite(field):
            doc["umol_per_cm2_per_unit"] = metal_relative_umol_per_cm2(field, study.temperature_k)
            doc["umol_per_cm2_note"] = (
                "umol of Li per cm2 of electrode area ([cell] electrode_area_cm2) for one unit, "
                "from the skin depth of both electrode faces (metal of the electrode's isotope "
                "composition): what the umol calibration uses"
            )
    return doc


def _scale_rel_err(rel: np.ndarray, rel_err: np.ndarray, rel_stat: np.ndarray) -> float:
    """Relative error of the reference electrode area (common to every point)."""
    ok = np.isfinite(rel) & (np.abs(rel) > 0) & np.isfinite(rel_err) & np.isfinite(rel_stat)
    if not ok.any():
        return 0.0
    i = int(np.flatnonzero(ok)[0])
    return float(np.sqrt(max(rel_err[i] ** 2 - rel_stat[i] ** 2, 0.0)) / abs(rel[i]))


def _spectra_histories(li7: xr.DataArray, li6: xr.DataArray | None) -> dict[str, str]:
    """``history_<nucleus>``: the processing steps of each series' spectra as recorded by
    :mod:`dendritemr.nmr` (DC offset, digital filter, Fourier transform with their parameters),
    then the series fit's own step, as JSON (the report's processing history)."""
    from dendritemr.model import get_history

    out = {}
    for spectra in (li7, li6):
        if spectra is None:
            continue
        steps = get_history(spectra) + [
            {
                "step": "quant.decompose",
                "what": "series fit of the fitted windows; per-spectrum zero-order phase "
                "removed for display",
            }
        ]
        out[f"history_{spectra.attrs.get('nucleus', '')}"] = json.dumps(steps, default=str)
    return out


def _split_display(quant: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset | None]:
    """Split the quantification's display curves (variables over a ``ppm_<nucleus>`` axis:
    ``spectrum_<nucleus>``, ``model_<nucleus>``, ``residual_<nucleus>``) from its per time
    point quantities, with each nucleus' reduced chi-square ``redchi_<nucleus>``. Returns
    ``(per time point, display or None)``."""
    names = [
        v
        for v in quant.data_vars
        if any(str(d).startswith("ppm_") for d in quant[v].dims) or str(v).startswith("redchi_")
    ]
    if not names:
        return quant, None
    axes = [c for c in quant.coords if str(c).startswith("ppm_")]
    display = quant[names]
    display.attrs = {"source": "dendritemr.quant (fitted windows, zero-order phase removed)"}
    display.attrs.update({k: v for k, v in quant.attrs.items() if k.startswith("history_")})
    rest = quant.drop_vars(names + axes)
    rest.attrs = {k: v for k, v in quant.attrs.items() if not k.startswith("history_")}
    return rest, display


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
        f"time points: {len(t)}, {t[0]:.2f} to {t[-1]:.2f} h since "
        + ("cycling started" if doc.get("cycler") else "the first 7Li acquisition started"),
        "dendritic metal at the end: "
        + (
            "not in umol (not calibrated: relative values below)"
            if m["total"][-1] is None and (doc.get("metal_relative") or {}).get("primary")
            else fmt(m["total"][-1], m["total_err"][-1], " umol")
        ),
        *_metal_growth_lines(doc, fmt),
        *_route_lines(doc, fmt),
        *_charge_lines(doc),
        f"x6 of the metal at the end: {fmt(doc['x6_metal'][-1], doc['x6_metal_err'][-1])}",
        "interface fraction at the end: "
        f"{fmt(doc['interface_fraction'][-1], doc['interface_fraction_err'][-1])}",
        f"short circuit: {_short_text(doc, fmt)}",
    ]
    if doc.get("short") and doc["short"]["soft_shorts"]:
        lines.append(f"soft shorts: {len(doc['short']['soft_shorts'])}")
        for s in doc["short"]["soft_shorts"][:10]:
            kind = s.get("kind", "collapse")
            lines.append(
                f"  {kind:8s} {s['start_h']:.3f}-{s['end_h']:.3f} h, "
                f"min |V| {s['min_voltage_V']:.3g} V"
                + (f" ({s['min_ratio']:.2f} of the level before)" if "min_ratio" in s else "")
            )
    relative = str((doc.get("stage_detection") or {}).get("units", "")).startswith("relative")
    unit, key = (" /h", "total_rel_per_h") if relative else (" umol/h", "total_umol_per_h")
    if not doc["stages"]:
        why = ONE_POINT if len(t) < 2 else "see 'not computed' below"
        lines.append(f"stages: none ({why})")
    else:
        lines.append("stages:" + (" (rates in units of metal_relative per h)" if relative else ""))
    for s in doc["stages"]:
        rate = s["rates"].get(key)
        rerr = s["rates"].get(f"{key}_err")
        lines.append(
            f"  {s['name']:17s} {s['start_h']:7.2f} - {s['end_h']:7.2f} h"
            + (f"  (start +- {s['start_err_h']:.2f} h)" if s.get("start_err_h") else "")
            + (f"  total {fmt(rate, rerr, unit)}" if rate is not None else "")
            + (f"  route {s['route']}" if s.get("route", "known") != "known" else "")
        )
    mri = doc.get("mri_images") or {}

    def at(key, k):
        return mri[key][k] if mri.get(key) else None

    if mri.get("total_umol"):
        lines.append(f"MRI metal maps ({len(mri['total_umol'])} scans):")
        for k, th in enumerate(mri["time_h"]):
            depth = at("depth_b_um", k)
            lines.append(
                f"  {th:7.2f} h  metal in the image "
                f"{fmt(at('total_umol', k), at('total_umol_err', k), ' umol')}"
                + (
                    f", depth from B {fmt(depth, at('depth_b_um_err', k), ' um')}"
                    if depth is not None
                    else ""
                )
                + (
                    f"  (metal line: {_shape_word(at('metal_model', k))})"
                    if at("metal_model", k)
                    else ""
                )
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
    if doc.get("warnings"):
        lines.append("warnings (from reading and analysing the data):")
        lines.extend(
            f"  - [{w['step']}] {w['message']}"
            + (f" ({w['count']} times)" if w["count"] > 1 else "")
            for w in doc["warnings"]
        )
    return "\n".join(lines) + "\n"


def _shape_word(model: str) -> str:
    """The summary's word for a CSI fit's metal line model (``mri_images.metal_model``)."""
    return "NMR series" if model == "nmr" else f"model choice, {model}"


def _route_lines(doc: dict, fmt: Callable) -> list[str]:
    """The dendritic metal per route at the last time point (with 6Li data); summary.txt gave
    only the total, x6 and the interface fraction, not the amounts a paper quotes."""
    m = doc["metal_umol"]
    parts = []
    for route in ("interface", "bulk"):
        v, e = (m.get(route) or [None])[-1], (m.get(f"{route}_err") or [None])[-1]
        if v is not None:
            parts.append(f"{route} {fmt(v, e, ' umol')}")
    return ["dendritic metal by route at the end: " + ", ".join(parts)] if parts else []


def _charge_lines(doc: dict) -> list[str]:
    """The charge passed by the last NMR time point the cycler record covers (what the metal's
    growth is compared with)."""
    c = doc.get("cycler") or {}
    q = c.get("charge_mAh") or []
    last = [i for i, v in enumerate(q) if v is not None]
    if not last:
        return []
    i = last[-1]
    extra = []
    for key, unit in (("charge_mAh_cm2", "mAh/cm2"), ("dense_li_um", "um of dense Li")):
        v = (c.get(key) or [None] * len(q))[i]
        if v is not None:
            extra.append(f"{v:.3g} {unit}")
    return [
        f"charge passed by {doc['time_h'][i]:.2f} h: {q[i]:.3g} mAh"
        + (f" ({', '.join(extra)})" if extra else "")
    ]


def _short_text(doc: dict, fmt: Callable) -> str:
    """The short-circuit time, or why there is none: 'n/a' read as 'not computed' when the
    cycler record had been searched and held no short."""
    if doc.get("short_circuit_h") is not None:
        return fmt(doc["short_circuit_h"], doc.get("short_circuit_err_h"), " h")
    rec = (doc.get("cycler") or {}).get("record_h")
    if not doc.get("short") or not rec or None in rec:
        return "n/a (no cycler file: shorts are found in the voltage)"
    a, b = (round(float(x), 2) + 0.0 for x in rec)  # + 0.0: no "-0.00"
    return f"none detected in the cycler record ({a:.2f} to {b:.2f} h)"


def _ratio_text(r: dict, i0: int, i1: int, fmt: Callable) -> str:
    """The last relative value over the first, where that ratio means something: the first
    value at least 2 standard errors above 0 (it printed 'xn/a' for a first value of 0, and
    'x42 +- 2.4e+02' for one within its error of 0)."""
    v0, e0 = r["total"][i0], r["total_stat_err"][i0]
    ratio, err = r["ratio_to_first"][i1], r["ratio_to_first_err"][i1]
    if ratio is None or v0 is None or (e0 is not None and v0 < 2 * e0):
        return "no ratio to the first value (the first is not 2 standard errors above 0)"
    return f"x{fmt(ratio, err)} of the first value"


#: why a study of one time point has no growth, rates or stages (summary.txt)
ONE_POINT = "one time point: no growth or stages"


def _one_point_lines(doc: dict, fmt: Callable) -> list[str]:
    """Summary lines of a one-spectrum study: its relative metal value when there is no umol
    (the line above it says 'relative values below'); no growth line (one value has none:
    'stages: none (one time point: no growth or stages)' says why)."""
    lines = []
    r = doc.get("metal_relative") or {}
    v = (r.get("total") or [None])[0]
    if doc["metal_umol"]["total"][0] is None and v is not None:
        e = (r.get("total_stat_err") or [None])[0]
        lines.append(
            "dendritic metal relative to the spectrum's electrode line (no umol: not "
            f"calibrated): {fmt(v, e)}"
        )
        if r.get("umol_per_cm2_per_unit"):
            lines.append(
                f"  (one unit = {r['umol_per_cm2_per_unit']:.3g} umol per cm2 of electrode area: "
                "give [cell] electrode_area_cm2 for umol)"
            )
    return lines  # why there is no growth: the stages line (summary_text)


def _metal_growth_lines(doc: dict, fmt: Callable) -> list[str]:
    """Summary lines of the metal's growth: in umol when calibrated, else relative to the first
    spectrum's electrode line (``metal_relative``), with the unit said."""
    m = doc["metal_umol"]
    if len(doc["time_h"]) < 2:  # it printed '0 +- 0 ... x1 +- 0', then nothing and no reason
        return _one_point_lines(doc, fmt)
    tot = [(i, v) for i, v in enumerate(m.get("total") or []) if v is not None]
    if len(tot) >= 2:
        (i0, v0), (i1, v1) = tot[0], tot[-1]
        e0, e1 = m["total_err"][i0], m["total_err"][i1]
        g_err = None if e0 is None or e1 is None else float(np.hypot(e0, e1))
        return [
            f"dendritic metal growth: {fmt(v1 - v0, g_err, ' umol')} from "
            f"{doc['time_h'][i0]:.2f} to {doc['time_h'][i1]:.2f} h "
            f"(first {fmt(v0, e0, ' umol')})"
        ]
    r = doc.get("metal_relative")
    if not r:
        return []
    vals = [(i, v) for i, v in enumerate(r["total"]) if v is not None]
    if not vals:
        return []
    (i0, v0), (i1, v1) = vals[0], vals[-1]
    lines = [
        f"dendritic metal relative to the first spectrum's electrode line (no umol: "
        f"{'not calibrated' if r.get('primary') else 'see metal_umol'}): "
        f"first {fmt(v0, r['total_stat_err'][i0])}, last {fmt(v1, r['total_stat_err'][i1])}",
        f"dendritic metal growth: {fmt(r['growth'][i1], r['growth_err'][i1])} electrode-line "
        f"units from {doc['time_h'][i0]:.2f} to {doc['time_h'][i1]:.2f} h, "
        + _ratio_text(r, i0, i1, fmt),
    ]
    if r.get("umol_per_cm2_per_unit"):
        lines.append(
            f"  (one unit = {r['umol_per_cm2_per_unit']:.3g} umol per cm2 of electrode area: "
            "give [cell] electrode_area_cm2 for umol)"
        )
    return lines


def _write_outputs(folder: Path, doc: dict, datasets: dict[str, xr.Dataset]) -> None:
    """results.json, summary.txt, one NetCDF file per dataset (``dendritemr.model.save``:
    complex values and UTC times in the project's encoding), report.html and figures/."""
    from dendritemr.model import save
    from dendritemr.report import write_report

    (folder / "results.json").write_text(json.dumps(doc, indent=1, default=str))
    (folder / "summary.txt").write_text(summary_text(doc))
    for name, ds in datasets.items():
        save(ds, folder / f"{name}.nc")
    write_report(folder, doc, datasets)


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
    DataError : ``out_dir`` in or below raw data (a TopSpin/ParaVision experiment or series
        folder: :func:`dendritemr.model.storage.check_not_in_raw_data`) or inside the study
        folder, before any work (the CLI's ``--out`` check, here for Python callers too).
    """
    # absolute: '--out .' (run inside an earlier result) named the temporary folder '..' and
    # failed after the whole analysis with 'Device or resource busy'
    out = Path(os.path.abspath(out_dir))
    check_not_in_raw_data(out, series=True)  # as the CLI's --out: before any work
    earlier = out.is_dir() and (not any(out.iterdir()) or (out / "results.json").is_file())
    if out.exists() and not earlier:
        raise DataError(out_dir, "output exists and is not an earlier analyze result: not replaced")
    cwd = Path(os.path.abspath(os.getcwd()))
    if out.exists() and (cwd == out or out in cwd.parents):
        raise DataError(
            out_dir, "--out holds the current folder: run analyze from another folder to replace it"
        )
    parent = out.resolve().parent
    if not parent.is_dir():
        raise DataError(parent, "parent folder of --out does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):  # before the analysis, not after it
        raise DataError(parent, "cannot write the results folder here (no write permission)")
    token = _WARNINGS.set([])
    try:
        with _recorded("study.toml"):
            study = load_study(study_dir)
        try:
            out.resolve().relative_to(study.root.resolve())
            inside = True
        except ValueError:
            inside = False
        if inside:
            raise DataError(
                out, "--out lies inside the study folder (raw data are never written to)"
            )
        doc, datasets = run_study(study, options, progress)  # on blas_threads BLAS threads
    finally:
        _WARNINGS.reset(token)
    threads = (options or AnalyzeOptions()).blas_threads
    if progress is not None:
        progress("writing results and report")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it 0700; results are an ordinary folder
        with blas_threads(threads):
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
