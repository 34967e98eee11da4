"""Process a raw series end to end: read, run a pipeline, integrate regions, summarise."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io import open_dataset
from dendritemr.io.bruker import read_series
from dendritemr.model import acquisition_times, get_history
from dendritemr.nmr import defaults
from dendritemr.nmr.auto import auto_pipeline, is_li_series, metal_line_present
from dendritemr.nmr.integrate import integrate_regions, snr
from dendritemr.nmr.topspin import replay_topspin


def read_inputs(
    paths: Sequence[str | Path], nucleus: str | None = None, progress: Callable | None = None
) -> xr.DataArray:
    """One path (experiment, series folder, pseudo-2D, any supported file) or several expnos."""
    if len(paths) == 1:
        return open_dataset(paths[0], nucleus, progress)
    for p in paths:  # several paths: each one experiment (a series folder goes alone)
        if Path(p).is_dir() and not (Path(p) / "acqus").is_file():
            raise DataError(
                p,
                f"several paths ({len(paths)}) must each be one TopSpin experiment (an expno "
                "with acqus); give a series folder alone",
            )
    return read_series(paths, nucleus, progress)


def process_series(
    data: xr.DataArray,
    regions: Mapping[str, tuple[float, float]] | None = None,
    noise_region: tuple[float, float] | None = None,
    lb_hz: float | None = None,
    phase: str = "auto",
    mode: str = "auto",
) -> xr.Dataset:
    """Spectra, region integrals with errors and SNR of a FID (or spectrum) series.

    ``mode="auto"``: the default automatic pipeline (:func:`auto_pipeline`);
    ``mode="topspin"``: replay TopSpin's recorded processing of every experiment.
    The Li regions (metal, electrolyte; noise region) are the default only for a 6Li/7Li
    series with a metal line (:func:`~dendritemr.nmr.auto.metal_line_present`).
    """
    if "t2" in data.dims and mode == "topspin":
        spectra = replay_topspin(data)
        li = is_li_series(data) and metal_line_present(data)
    elif "t2" in data.dims:
        spectra = auto_pipeline(data, lb_hz, phase)(data, chunk=256)
        li = is_li_series(data) and metal_line_present(data)
    else:
        spectra = data
        li = data.attrs.get("nucleus") in defaults.LI_NUCLEI
    if regions is None:
        regions = defaults.LI_REGIONS if li else {}
    if noise_region is None and li:
        noise_region = defaults.LI_NOISE_REGION
    out = xr.Dataset({"spectrum": spectra})
    if regions:
        ints = integrate_regions(spectra, regions, noise_region)
        out["area"] = ints["area"]
        if "area_err" in ints:
            out["area_err"] = ints["area_err"]
        if noise_region is not None:
            first = next(iter(regions.values()))
            out["snr"] = snr(spectra, first, noise_region)
    out.attrs = dict(spectra.attrs)
    return out


def summary(result: xr.Dataset) -> dict[str, Any]:
    """JSON-serialisable summary of :func:`process_series` output."""
    times = acquisition_times(result)
    doc: dict[str, Any] = {
        "source": result.attrs.get("source", ""),
        "nucleus": result.attrs.get("nucleus", ""),
        "n_spectra": int(result.sizes.get("time", 1)),
        "times": [t.isoformat() if t else None for t in times],
        "time_h": [None if np.isnan(h) else float(h) for h in result["hours"].values],
        "history": get_history(result),
    }
    if "area" in result:
        doc["regions"] = {}
        for name in result["region"].values:
            entry = {"area": result["area"].sel(region=name).values.tolist()}
            if "area_err" in result:
                entry["area_err"] = result["area_err"].sel(region=name).values.tolist()
            doc["regions"][str(name)] = entry
    if "snr" in result:
        doc["snr"] = result["snr"].values.tolist()
    return doc


def parse_region(text: str) -> tuple[str, tuple[float, float]]:
    """``"metal=200:300"`` -> ``("metal", (200.0, 300.0))``."""
    try:
        name, span = text.split("=", 1)
        lo, hi = (float(v) for v in span.split(":"))
    except ValueError as exc:
        raise DataError(text, "region must look like NAME=LOW:HIGH (ppm)") from exc
    return name.strip(), (lo, hi)


#: what a dataset written by ``dendritemr analyze``/``process`` holds, by a variable only it has
#: (first match wins: the MRI maps also hold a ``metal_umol`` total per scan)
_RESULT_KINDS = (
    ("profile_umol", "MRI metal maps (analyze)"),
    ("metal_umol", "timeline (analyze: metal, x6 and routes per time point)"),
    ("current_mA", "cycler record (analyze: current and voltage on the NMR clock)"),
    ("spectrum_7Li", "fitted spectra (analyze: data, model and residual per nucleus)"),
    ("area", "processed series (process: spectra and region integrals)"),
)


def describe(data: xr.DataArray | xr.Dataset) -> dict[str, Any]:
    """What a dataset is: kind, nucleus, field, shape, times (for ``dendritemr info``).

    A Dataset (a results file of ``analyze`` or ``process``) is described by its kind (from the
    variables it holds), its variables with their dimensions, its sizes and time span."""
    if isinstance(data, xr.Dataset):
        kind = next((k for v, k in _RESULT_KINDS if v in data.data_vars), "dataset")
        hours = data["hours"].values if "hours" in data.coords else None
        return {
            "source": data.attrs.get("source", ""),
            "kind": kind,
            "nucleus": data.attrs.get("nucleus", ""),
            "variables": {str(k): list(v.dims) for k, v in data.data_vars.items()},
            "shape": {str(k): int(v) for k, v in data.sizes.items()},
            "time_h": [float(np.nanmin(hours)), float(np.nanmax(hours))]
            if hours is not None and hours.size and np.isfinite(hours).any()
            else None,
        }
    times = [t for t in acquisition_times(data) if t is not None] if "time" in data.coords else []
    kind = "fid" if "t2" in data.dims else "spectrum" if "ppm" in data.dims else "image"
    if "kx" in data.dims:
        kind = "k-space"
    info = {
        "source": data.attrs.get("source", ""),
        "kind": kind,
        "nucleus": data.attrs.get("nucleus", ""),
        "field_t": _float(data.attrs.get("field_t")),
        "sfo1_mhz": _float(data.attrs.get("sfo1_mhz")),
        "sw_hz": _float(data.attrs.get("sw_hz")),
        "shape": dict(data.sizes),
        "first": times[0].isoformat() if times else data.attrs.get("time_mid"),
        "last": times[-1].isoformat() if times else data.attrs.get("time_mid"),
    }
    if info["field_t"] is None and _float(data.attrs.get("bf1_mhz")) and info["nucleus"]:
        from dendritemr.physics import field_from_larmor  # images: field from BF1

        try:
            info["field_t"] = float(field_from_larmor(info["nucleus"], data.attrs["bf1_mhz"]))
        except (KeyError, ValueError):
            pass
    if "ppm" in data.dims:
        info["ppm_range"] = [float(data["ppm"].max()), float(data["ppm"].min())]
    extra = [c for c in data.coords if c not in ("time", "hours", "t2", "ppm")]
    info["row_coords"] = {c: np.asarray(data[c].values).tolist()[:10] for c in extra}
    return info


def _float(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else v


__all__ = ["describe", "parse_region", "process_series", "read_inputs", "summary"]
