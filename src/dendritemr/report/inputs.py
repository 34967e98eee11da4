"""What the report reads: plain arrays pulled out of ``results.json`` and the analysis datasets.

Every reader returns ``(value, reason)``: the value, or ``None`` and one sentence saying why it is
absent, so each panel can state what could not be shown instead of drawing a broken figure.
Layouts of the ``spectra`` and ``mri`` datasets: ``docs/report.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

__all__ = [
    "NUCLEI",
    "SpectraSeries",
    "MriSeries",
    "CyclerSeries",
    "as_float",
    "magnitude",
    "metal_series",
    "end_members",
    "spectra_series",
    "spectra_from_decomposition",
    "mri_series",
    "metal_model_word",
    "cycler_series",
    "histories",
    "citations",
    "citation_entries",
    "methods_used",
]

#: nuclei the report knows, in display order
NUCLEI = ("7Li", "6Li")

#: at most this many points per displayed spectrum (stride decimation keeps the x axis shared)
MAX_POINTS = 1500


def metal_series(doc: dict) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], bool]:
    """The dendritic metal to plot: ``({route: (values, errors)}, relative)``.

    In umol (``doc["metal_umol"]``: ``interface``, ``bulk``, ``total`` with any finite value)
    when the study was calibrated; otherwise (``relative`` True) the total relative to the first
    spectrum's electrode line (``doc["metal_relative"]``, statistical errors: the reference's
    own error is common to every point), or ``{}`` when there is neither."""
    n = len(doc.get("time_h") or [])
    m = doc.get("metal_umol") or {}
    out = {}
    for route in ("interface", "bulk", "total"):
        y = as_float(m.get(route), n)
        if np.isfinite(y).any():
            out[route] = (y, as_float(m.get(f"{route}_err"), n))
    if out:
        return out, False
    rel = doc.get("metal_relative") or {}
    y = as_float(rel.get("total"), n)
    if np.isfinite(y).any():
        return {"total": (y, as_float(rel.get("total_stat_err"), n))}, True
    return {}, False


#: axis title of the relative metal (plain text; matplotlib and plotly)
METAL_RELATIVE_AXIS = "Li⁰ / first electrode line"


def end_members(doc: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """x6 of pure interface and pure bulk metal per time point (``doc["routes"]``:
    ``x6_interface_end_member`` / ``x6_bulk_end_member`` with ``x6_*_model_err``):
    ``{"interface": (x6, err), "bulk": (x6, err)}``, only those with a finite value."""
    routes = doc.get("routes") or {}
    n = len(doc.get("time_h") or [])
    out = {}
    for route in ("interface", "bulk"):
        got = routes.get(f"x6_{route}_end_member")
        if not isinstance(got, list):
            continue
        y = as_float(got, n)
        if y.size == n and np.isfinite(y).any():
            err = routes.get(f"x6_{route}_model_err")
            out[route] = (y, as_float(err if isinstance(err, list) else None, n))
    return out


def magnitude(values: Any) -> float:
    """Largest finite |value| (the normalisation of a series); 1.0 when there is none."""
    a = np.abs(np.asarray(values, dtype=complex if np.iscomplexobj(values) else float))
    a = a[np.isfinite(a)]
    m = float(a.max()) if a.size else 0.0
    return m if m > 0 else 1.0


def as_float(values: Any, n: int | None = None) -> np.ndarray:
    """A list from ``results.json`` (numbers and nulls) as a float array with NaN for null.

    ``None`` or a wrong length (when ``n`` is given) gives an all-NaN array of length ``n``.
    """
    if values is None:
        return np.full(n or 0, np.nan)
    arr = np.array([np.nan if v is None else v for v in values], dtype=float)
    if n is not None and arr.size != n:
        return np.full(n, np.nan)
    return arr


@dataclass
class SpectraSeries:
    """Displayed spectra of one nucleus (real parts, absorption phase).

    Attributes
    ----------
    nucleus : ``"7Li"`` or ``"6Li"``.
    hours : (n,) h since cycling started.
    ppm : (m,) chemical shift, ppm, decreasing (NMR convention) after decimation.
    data : (n, m) real part of the processed spectra (signal units of the dataset).
    model : (n, m) fitted model, NaN outside the fit window; or None.
    residual : (n, m) data - model; or None.
    redchi : (n,) reduced chi-square of each spectrum's fit; or None.
    stride : decimation stride applied to the stored ppm axis.
    history : processing steps (``attrs["history"]`` of the dataset).
    """

    nucleus: str
    hours: np.ndarray
    ppm: np.ndarray
    data: np.ndarray
    model: np.ndarray | None = None
    residual: np.ndarray | None = None
    redchi: np.ndarray | None = None
    stride: int = 1
    history: list = field(default_factory=list)


def _hours(ds: xr.Dataset, dim: str, nucleus: str, doc: dict) -> np.ndarray:
    n = ds.sizes[dim]
    for name in (f"hours_{nucleus}", "hours"):
        if name in ds.coords and ds[name].dims == (dim,):
            return np.asarray(ds[name].values, float)
    if dim in ds.coords and np.issubdtype(ds[dim].dtype, np.number):
        return np.asarray(ds[dim].values, float)
    t = doc.get("time_h") or []
    if len(t) == n:
        return as_float(t)
    return np.arange(n, dtype=float)


def _break_gaps(x: np.ndarray, arrays: list[np.ndarray | None]) -> tuple:
    """Insert a NaN column where the ppm axis jumps (separately stored fit windows), so lines
    and maps show a gap there instead of a straight line or a stretched column."""
    if x.size < 3:
        return x, arrays
    step = np.abs(np.diff(x))
    gaps = np.flatnonzero(step > 5.0 * np.median(step))
    if gaps.size == 0:
        return x, arrays
    mid = 0.5 * (x[gaps] + x[gaps + 1])
    xs = np.insert(x, gaps + 1, mid)
    out = [
        None if a is None else np.insert(a, gaps + 1, np.nan, axis=1).astype(float) for a in arrays
    ]
    return xs, out


def spectra_series(
    datasets: dict[str, xr.Dataset], nucleus: str, doc: dict | None = None
) -> tuple[SpectraSeries | None, str]:
    """The ``spectra`` dataset's series of ``nucleus`` (layout: ``docs/report.md``).

    Returns ``(series, "")`` or ``(None, reason)``. Complex spectra are shown by their real part;
    the ppm axis is decimated by a stride to at most :data:`MAX_POINTS` points.
    """
    doc = doc or {}
    ds = datasets.get("spectra")
    if ds is None:
        return None, "the analysis wrote no processed spectra (no 'spectra' dataset)"
    var = f"spectrum_{nucleus}"
    if var not in ds:
        return None, f"no {nucleus} series in this study"
    da = ds[var]
    if da.ndim != 2:
        return None, f"{var} has dims {da.dims}, expected (time_{nucleus}, ppm_{nucleus})"
    tdim, pdim = da.dims
    if pdim.startswith("time") or tdim.startswith("ppm"):
        da = da.transpose()
        tdim, pdim = da.dims
    if da.sizes[tdim] == 0 or da.sizes[pdim] < 2:
        return None, f"{var} is empty"
    ppm = np.asarray(ds[pdim].values if pdim in ds.coords else np.arange(da.sizes[pdim]), float)
    stride = max(1, int(np.ceil(ppm.size / MAX_POINTS)))
    sl = slice(None, None, stride)

    def real(name: str) -> np.ndarray | None:
        if name not in ds:
            return None
        arr = ds[name].transpose(tdim, pdim).values
        return np.real(np.asarray(arr))[:, sl].astype(float)

    data = real(var)
    model = real(f"model_{nucleus}")
    residual = real(f"residual_{nucleus}")
    if residual is None and model is not None:
        residual = data - model
    redchi = None
    if f"redchi_{nucleus}" in ds and ds[f"redchi_{nucleus}"].dims == (tdim,):
        redchi = np.asarray(ds[f"redchi_{nucleus}"].values, float)
    x = ppm[sl]
    if x.size > 1 and x[0] < x[-1]:  # NMR convention: high shift first
        x = x[::-1]
        data = data[:, ::-1]
        model = None if model is None else model[:, ::-1]
        residual = None if residual is None else residual[:, ::-1]
    x, cols = _break_gaps(x, [data, model, residual])
    data, model, residual = cols
    hist = []
    for key in (f"history_{nucleus}", "history"):
        raw = ds[var].attrs.get(key, ds.attrs.get(key))
        if raw:
            hist = json.loads(raw) if isinstance(raw, str) else list(raw)
            break
    return (
        SpectraSeries(
            nucleus=nucleus,
            hours=_hours(ds, tdim, nucleus, doc),
            ppm=x,
            data=data,
            model=model,
            residual=residual,
            redchi=redchi,
            stride=stride,
            history=hist,
        ),
        "",
    )


def spectra_from_decomposition(decomposition: xr.Dataset, hours: Any) -> xr.Dataset:
    """The report's ``spectra`` dataset from :func:`dendritemr.quant.decompose.decompose`.

    Data and model (``data``/``fit``, complex, ``(nucleus, time, point)`` on ``fit_ppm``) are
    rotated by ``-phase0`` of each spectrum so their real parts are absorptive, NaN padding is
    dropped, ``residual = data - model``; ``redchi`` and ``noise_sigma`` are copied.

    Parameters
    ----------
    decomposition : the decomposition result.
    hours : (n_time,) h since cycling started, one per time point.

    Returns
    -------
    xarray.Dataset with, per nucleus N, ``spectrum_N``, ``model_N``, ``residual_N``
    (complex, dims ``(time_N, ppm_N)``), ``redchi_N``, ``noise_sigma_N`` (``time_N``) and the
    coordinates ``ppm_N`` (ppm) and ``hours_N`` (h).
    """
    hours = np.asarray(hours, float)
    out = xr.Dataset()
    for k, nuc in enumerate(decomposition["nucleus"].values):
        nuc = str(nuc)
        ppm = np.asarray(decomposition["fit_ppm"].values[k], float)
        keep = np.isfinite(ppm)
        rot = np.exp(-1j * np.asarray(decomposition["phase0"].values[k], float))[:, None]
        data = np.asarray(decomposition["data"].values[k])[:, keep] * rot
        model = np.asarray(decomposition["fit"].values[k])[:, keep] * rot
        t, p = f"time_{nuc}", f"ppm_{nuc}"
        out[f"spectrum_{nuc}"] = ((t, p), data)
        out[f"model_{nuc}"] = ((t, p), model)
        out[f"residual_{nuc}"] = ((t, p), data - model)
        out[f"redchi_{nuc}"] = (t, np.asarray(decomposition["redchi"].values[k], float))
        if "noise_sigma" in decomposition:
            out[f"noise_sigma_{nuc}"] = (t, np.asarray(decomposition["noise_sigma"].values[k]))
        out = out.assign_coords(
            {p: (p, ppm[keep], {"units": "ppm"}), f"hours_{nuc}": (t, hours, {"units": "h"})}
        )
    out.attrs["source"] = "dendritemr.quant.decompose (phase0 removed for display)"
    return out


@dataclass
class MriSeries:
    """MRI maps and profiles over scans.

    Attributes
    ----------
    hours : (n_scan,) h since cycling started (NaN when unknown).
    maps : name -> (array (n_scan, n_row, n_col), row axis, col axis, row name, col name, units).
    profiles : name -> (array (n_scan, n_z), z axis, z name, error array or None, units).
    series : name -> (array (n_scan,), error array or None, units): one number per scan, e.g.
        ``total_umol``, ``depth_b_um``.
    metal_model : per scan, the CSI fit's metal line model (``"nmr"``: the 7Li NMR series'
        dendritic line shape held fixed; else the per-map model choice, e.g. ``"mixture"``),
        from the dataset's ``metal_model(scan)`` coordinate or ``doc["mri_images"]``; None when
        neither records it.
    shape_from : per scan, where that line shape came from, in words
        (``doc["mri_images"]["metal_shape_from"]``), or None.
    map_errors : map name -> its standard error per voxel (the dataset's ``<name>_err``,
        same shape), where given.
    faces_mm : ``(z_B, z_A)`` of the pellet faces, mm, when the dataset's attributes
        ``z_b_mm``/``z_a_mm`` give them, else None.
    """

    hours: np.ndarray
    maps: dict[str, tuple] = field(default_factory=dict)
    profiles: dict[str, tuple] = field(default_factory=dict)
    series: dict[str, tuple] = field(default_factory=dict)
    map_errors: dict[str, np.ndarray] = field(default_factory=dict)
    metal_model: list[str] | None = None
    shape_from: list[str] | None = None
    faces_mm: tuple[float, float] | None = None


def metal_model_word(model: str | None) -> str:
    """Short words for a CSI fit's metal line model (``mri_images.metal_model``): ``"nmr"`` ->
    ``"NMR line shape"``; a per-map choice such as ``"mixture"`` -> ``"own fit: mixture"``;
    ``""``/None -> ``""``."""
    if not model:
        return ""
    return "NMR line shape" if model == "nmr" else f"own fit: {model}"


def _per_scan_strings(ds: xr.Dataset, sdim: str, doc: dict, key: str, n: int) -> list[str] | None:
    """``key`` per scan: the dataset's ``key(scan)`` variable or coordinate, else
    ``doc["mri_images"][key]``; None when neither has ``n`` values."""
    if key in ds.variables and ds[key].dims == (sdim,):
        vals = [str(v) for v in np.asarray(ds[key].values).ravel()]
    else:
        got = (doc.get("mri_images") or {}).get(key)
        if not isinstance(got, list) or len(got) != n:
            return None
        vals = ["" if v is None else str(v) for v in got]
    return vals if any(vals) else None


def _with_unit(ds: xr.Dataset, dim: str) -> str:
    """``dim`` named with its coordinate's unit (``y`` in mm -> ``y_mm``) unless the name says
    it already (``z_mm``) or the unit is none/``1``: the map's lateral axis was labelled ``y``
    without a unit."""
    unit = str(ds[dim].attrs.get("units", "")) if dim in ds.coords else ""
    if unit in ("", "1") or dim.endswith(f"_{unit}"):
        return dim
    return f"{dim}_{unit}"


def mri_series(datasets: dict[str, xr.Dataset], doc: dict) -> tuple[MriSeries | None, str]:
    """The ``mri`` dataset's maps (3 dims, first ``scan``) and profiles (2 dims, first ``scan``)."""
    ds = datasets.get("mri")
    if ds is None:
        if doc.get("mri_images"):
            n = len(doc["mri_images"].get("scans", []))
            return None, (
                f"{n} MRI scan(s) in the study, but the analysis wrote no MRI maps or profiles "
                "(no 'mri' dataset)"
            )
        return None, "no MRI data in this study"
    sdim = "scan" if "scan" in ds.dims else ("time" if "time" in ds.dims else None)
    if sdim is None:
        return None, "the 'mri' dataset has no 'scan' dimension"
    n = ds.sizes[sdim]
    hours = np.full(n, np.nan)
    if "hours" in ds.coords and ds["hours"].dims == (sdim,):
        hours = np.asarray(ds["hours"].values, float)
    elif doc.get("mri_images") and len(doc["mri_images"].get("time_h") or []) == n:
        hours = as_float(doc["mri_images"]["time_h"])
    out = MriSeries(hours=hours)
    out.metal_model = _per_scan_strings(ds, sdim, doc, "metal_model", n)
    out.shape_from = _per_scan_strings(ds, sdim, doc, "metal_shape_from", n)
    try:
        faces = float(ds.attrs["z_b_mm"]), float(ds.attrs["z_a_mm"])
        out.faces_mm = faces if all(np.isfinite(faces)) else None
    except (KeyError, TypeError, ValueError):
        pass
    for name, da in ds.data_vars.items():
        if (
            name.endswith("_err")
            or da.dims[:1] != (sdim,)
            or not np.issubdtype(da.dtype, np.number)
        ):
            continue
        units = str(da.attrs.get("units", ""))
        err = np.asarray(ds[f"{name}_err"].values, float) if f"{name}_err" in ds else None
        if da.ndim == 1:
            out.series[name] = (np.asarray(da.values, float), err, units)
        elif da.ndim == 3:
            r, c = da.dims[1:]
            if err is not None and err.shape == da.shape:
                out.map_errors[name] = err
            out.maps[name] = (
                np.real(da.values).astype(float),
                np.asarray(ds[r].values if r in ds.coords else np.arange(da.sizes[r]), float),
                np.asarray(ds[c].values if c in ds.coords else np.arange(da.sizes[c]), float),
                _with_unit(ds, r),
                _with_unit(ds, c),
                units,
            )
        elif da.ndim == 2:
            z = da.dims[1]
            out.profiles[name] = (
                np.real(da.values).astype(float),
                np.asarray(ds[z].values if z in ds.coords else np.arange(da.sizes[z]), float),
                z,
                None if err is None else np.asarray(err, float),
                units,
            )
    if not out.maps and not out.profiles:
        return None, "the 'mri' dataset holds no maps (scan, row, column) or profiles (scan, z)"
    return out, ""


@dataclass
class CyclerSeries:
    """Cell voltage and current on the study clock (h since cycling started)."""

    hours: np.ndarray
    voltage_V: np.ndarray | None
    current_mA: np.ndarray | None
    source: str


#: at most this many cycler points are drawn (min/max envelope keeps spikes)
MAX_CYCLER_POINTS = 4000


def _envelope(t: np.ndarray, ys: list[np.ndarray | None], n_max: int) -> tuple:
    if t.size <= n_max:
        return t, ys
    bins = np.array_split(np.arange(t.size), n_max // 2)
    ref = next(y for y in ys if y is not None)
    idx = []
    for b in bins:
        seg = ref[b]
        if np.all(np.isnan(seg)):
            idx.append(b[0])
            continue
        i, j = b[np.nanargmin(seg)], b[np.nanargmax(seg)]
        idx.extend(sorted({int(i), int(j)}))
    idx = np.asarray(idx)
    return t[idx], [None if y is None else y[idx] for y in ys]


#: words for the keys of ``doc["score"]`` (``results_schema.score``), in the order the demo's
#: table and the report's score table show them first
SCORE_LABELS: dict[str, str] = {
    "metal_interface_nrmse": "metal, interface: RMSE / largest true amount",
    "metal_bulk_nrmse": "metal, bulk: RMSE / largest true amount",
    "metal_interface_coverage": "metal, interface: points within 2 err",
    "metal_bulk_coverage": "metal, bulk: points within 2 err",
    "x6_metal_mae": "x6 of the metal: mean absolute error",
    "interface_fraction_mae": "interface fraction: mean absolute error",
    "interface_fraction_coverage": "interface fraction: points within 2 err",
    "stage_boundary_max_error_fraction": "stage boundaries: largest error / duration",
    "stage_boundary_spurious_max_error_fraction": "extra analysis boundaries: largest / duration",
    "short_circuit_within_interval": "short within one acquisition interval (1 = yes)",
}


def time_zero(doc: dict) -> str:
    """What ``time_h = 0`` is, in words: when the current started (a study with a cycler
    file), else when the first 7Li acquisition started (docs/study-format.md, "Time")."""
    return "the current started" if doc.get("cycler") else "the first 7Li acquisition started"


def cycler_series(
    datasets: dict[str, xr.Dataset], doc: dict, span: tuple[float, float] | None = None
) -> tuple[CyclerSeries | None, str]:
    """The full cycler record (``cycler`` dataset), else the per-time-point values of the doc.

    ``span``: only the record between these times (h), when it has points there (a figure of
    the NMR series' hours). Long records are reduced to a min/max envelope of the voltage
    (:data:`MAX_CYCLER_POINTS`) after that.
    """
    ds = datasets.get("cycler")
    if ds is not None and "hours" in ds.coords:
        t = np.asarray(ds["hours"].values, float)
        v = np.asarray(ds["voltage_V"].values, float) if "voltage_V" in ds else None
        c = np.asarray(ds["current_mA"].values, float) if "current_mA" in ds else None
        if span is not None:
            keep = (t >= span[0]) & (t <= span[1])
            if keep.sum() >= 2:
                t = t[keep]
                v = None if v is None else v[keep]
                c = None if c is None else c[keep]
        if v is not None or c is not None:
            t, (v, c) = _envelope(t, [v, c], MAX_CYCLER_POINTS)
            return CyclerSeries(t, v, c, str(ds.attrs.get("source", "cycler record"))), ""
    cyc = doc.get("cycler")
    if cyc:
        n = len(doc["time_h"])
        v = as_float(cyc.get("voltage_V"), n)
        c = as_float(cyc.get("current_mA"), n)
        return CyclerSeries(as_float(doc["time_h"]), v, c, "mean over each NMR acquisition"), ""
    return None, "no cycler file in this study: no voltage or current"


def histories(datasets: dict[str, xr.Dataset]) -> dict[str, list]:
    """``attrs["history"]`` (and ``history_<nucleus>``) of every dataset, parsed from JSON."""
    out = {}
    for name, ds in datasets.items():
        for key, raw in ds.attrs.items():
            if not key.startswith("history") or not raw:
                continue
            try:
                steps = json.loads(raw) if isinstance(raw, str) else list(raw)
            except (json.JSONDecodeError, TypeError):
                continue
            label = name + key[len("history") :].replace("_", " ")
            out[label] = [s if isinstance(s, dict) else {"step": str(s)} for s in steps]
    return out


#: what each registered reference is used for (the report's citation list says it)
CITATION_USE: dict[str, str] = {
    "harris2001": "chemical shift scale and axis conventions",
    "anderson1959": "Korringa T1 of the metal lines",
    "ernst1966": "saturation factor of a line at the recycle delay used",
    "crc_resistivity": "Li resistivity for the skin depth",
    "crc_susceptibility": "Li magnetic susceptibility",
    "landau_emcm": "skin effect in the electrodes and the metal",
    "osborn1945": "demagnetizing factors (susceptibility shifts)",
    "ilott2014": "skin effect in 7Li MRI of Li metal",
    "chandrashekar2012": "7Li MRI of microstructural Li",
    "bhattacharyya2010": "in situ 7Li NMR quantification of Li metal microstructures",
    "schwarz1978": "Bayesian information criterion (line model choice, stage penalty)",
    "jackson2005": "exact optimal partitioning (growth-stage change points)",
    "birge1932": "standard errors scaled by the square root of the reduced chi-square",
}


def methods_used(doc: dict, datasets: dict | None = None) -> list[str]:
    """Keys of :data:`~dendritemr.physics.citations.REFERENCES` for the methods the results show
    were used (the registry only holds what the running process registered: an analysis read
    back from disk listed none of them, and the change-point and model-choice methods never
    registered anything).

    - a time series with shift axes: ``harris2001`` (the axis convention);
    - dendritic metal from the 7Li NMR series (``metal_umol`` or ``metal_relative``):
      ``bhattacharyya2010``; calibrated on the electrode's skin-depth layer
      (``calibration.li7.skin_depth_um``): ``landau_emcm``, ``crc_resistivity``; saturation
      factors from T1 (``quantification.t1``): ``ernst1966``;
    - a line model chosen by BIC (``quantification.calibration.model``) or a stage detection
      with a BIC penalty: ``schwarz1978``; optimal partitioning: ``jackson2005``;
    - MRI metal maps (``mri_images.total_umol``): ``chandrashekar2012``, ``ilott2014``;
    - a spectrum fit above :data:`dendritemr.quant.decompose.REDCHI_FLAG` (its errors scaled
      by the Birge ratio): ``birge1932``.
    """
    keys: list[str] = []
    if doc.get("time_h"):  # the shift axes' convention (report.style)
        keys.append("harris2001")
    metal = doc.get("metal_umol") or {}
    rel = doc.get("metal_relative") or {}
    if any(v is not None for v in (metal.get("total") or []) + (rel.get("total") or [])):
        keys.append("bhattacharyya2010")
    quant = doc.get("quantification") or {}
    cal = quant.get("calibration") or {}
    if isinstance(cal.get("li7"), dict) and cal["li7"].get("skin_depth_um") is not None:
        keys += ["landau_emcm", "crc_resistivity"]  # the electrode's visible skin-depth layer
    if quant.get("t1"):
        keys.append("ernst1966")  # saturation factors at the recycle delay
    model = str(cal.get("model", ""))
    crit = str((doc.get("stage_detection") or {}).get("criterion", ""))
    if "BIC" in model or "BIC" in crit:
        keys.append("schwarz1978")
    if "optimal partitioning" in crit:
        keys.append("jackson2005")
    if any(v is not None for v in (doc.get("mri_images") or {}).get("total_umol") or []):
        keys += ["chandrashekar2012", "ilott2014"]
    if datasets:
        from dendritemr.quant.decompose import REDCHI_FLAG

        for nuc in NUCLEI:
            s, _ = spectra_series(datasets, nuc, doc)
            if s is not None and s.redchi is not None and np.any(s.redchi > REDCHI_FLAG):
                keys.append("birge1932")
                break
    return keys


def citation_entries(doc: dict, datasets: dict | None = None) -> list[tuple[str, str]]:
    """``[(reference text, what it is used for), ...]``: the results' ``citations`` when given,
    else the registry's :func:`~dendritemr.physics.citations.cited` followed by
    :func:`methods_used` (each reference once)."""
    from dendritemr.physics.citations import REFERENCES, cited

    items = doc.get("citations")
    if items:
        out = []
        for item in items:
            if isinstance(item, dict):
                text = item.get("text", item.get("key", ""))
                text = f"{text} doi:{item['doi']}" if item.get("doi") else str(text)
                out.append((text, CITATION_USE.get(str(item.get("key", "")), "")))
            elif item in REFERENCES:
                out.append((str(REFERENCES[item]), CITATION_USE.get(item, "")))
            else:
                out.append((str(item), ""))
        return out
    keys = [c.key for c in cited()]
    keys += [k for k in methods_used(doc, datasets) if k not in keys]
    return [(str(REFERENCES[k]), CITATION_USE.get(k, "")) for k in keys]


def citations(doc: dict, datasets: dict | None = None) -> list[str]:
    """Citation lines: the results' ``citations`` key, else the registry's :func:`cited` and
    the methods the results show were used (:func:`methods_used`).

    ``doc["citations"]`` may hold strings, keys of :data:`~dendritemr.physics.citations.REFERENCES`
    or ``{key, text, doi}`` dicts.
    """
    return [text for text, _ in citation_entries(doc, datasets)]
