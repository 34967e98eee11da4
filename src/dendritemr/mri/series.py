"""One call for the analysis pipeline: a study's CSI scans -> maps, profiles and fronts over time.

:func:`mri_dataset` reads and reconstructs each ParaVision CSI scan
(:func:`dendritemr.mri.recon.reconstruct`), fits its metal map
(:func:`dendritemr.mri.csi.metal_map`), and gathers the maps, the profiles across the cell and
the penetration depths from both electrodes (:mod:`dendritemr.mri.profiles`) into one
:class:`xarray.Dataset` over ``time``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from dendritemr.errors import DataError

__all__ = ["mri_dataset"]


def _per_scan(value, n: int, name: str) -> list:
    if value is None or np.ndim(value) == 0:
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} values for {n} scans")
    return values


def mri_dataset(
    scans: Path | Sequence[Path],
    electrode_area_cm2: float,
    *,
    temperature_k: float = 298.15,
    x6_metal: float | Sequence[float] | None = None,
    x6_electrode: float | Sequence[float] | None = None,
    fit_options: dict | None = None,
    front_k: float = 3.0,
) -> xr.Dataset:
    """Metal maps, profiles, totals and fronts of a series of 7Li CSI scans.

    Parameters
    ----------
    scans : a study's ``mri`` folder (numbered ParaVision experiments), one experiment, or a
        list of experiment folders (in time order).
    electrode_area_cm2 : face area of each electrode (cm2): the calibration of the amounts.
    temperature_k : cell temperature (K), for the skin depth.
    x6_metal, x6_electrode : 6Li fraction of the dendritic metal and of the electrode surface,
        one value or one per scan (e.g. from the 6Li/7Li NMR series); ``None``: natural Li.
    fit_options : further :class:`dendritemr.mri.csi.CsiModel` settings.
    front_k : significance (standard errors) of a front pixel
        (:func:`dendritemr.mri.profiles.penetration_depths`).

    Returns
    -------
    xarray.Dataset
        over ``time`` (scan mid-points: coordinate ``time`` as UTC datetimes), ``lateral``,
        ``z_mm`` (mm, image coordinate across the cell, electrode B at low values):
        ``metal_umol`` / ``metal_umol_err`` (time, lateral, z_mm), ``visibility``,
        ``profile_umol`` / ``profile_umol_err`` (time, z_mm: summed over ``lateral``),
        ``total_umol`` / ``total_umol_err``, ``depth_b_um`` / ``depth_a_um`` (penetration
        depth from electrode B / A) and their ``_err``
        (:func:`dendritemr.mri.profiles.depth_errors`), ``z_b_mm`` / ``z_a_mm`` (pellet
        faces), ``noise_umol`` (median pixel standard error). attrs: ``pixel_um``,
        ``skin_depth_um``, ``field_t``, ``scans`` (folders), ``method``.

    Raises
    ------
    DataError : no scans, a scan that is not a CSI or lacks its method file.
    ProcessingError : a scan whose fit fails (no electrolyte signal, no calibration).
    """
    from dendritemr.mri.commands import analyse_scans, scan_folders

    if isinstance(scans, (str, Path)):
        folders = scan_folders(Path(scans))
        if not folders:
            raise DataError(scans, "no ParaVision scans here")
    else:
        folders = [Path(s) for s in scans]
        if not folders:
            raise DataError("mri_dataset", "no scans given")
    n = len(folders)
    x6m = _per_scan(x6_metal, n, "x6_metal")
    x6e = _per_scan(x6_electrode, n, "x6_electrode")
    per_scan = []
    for a, b in zip(x6m, x6e, strict=True):
        opts = dict(fit_options or {})
        if a is not None:
            opts["x6_metal"] = float(a)
        if b is not None:
            opts["x6_electrode"] = float(b)
        per_scan.append(opts)
    maps, series = analyse_scans(
        folders, electrode_area_cm2, temperature_k, per_scan_options=per_scan, front_k=front_k
    )
    lat = [d for d in maps[0]["metal_umol"].dims if d != "z_mm"][0]
    stack = xr.concat(
        [m[["metal_umol", "metal_umol_err", "visibility"]].rename({lat: "lateral"}) for m in maps],
        dim="time",
    )
    times = np.array(
        [
            np.datetime64(str(m.attrs.get("time_mid", "")).replace("+00:00", ""), "ns")
            if m.attrs.get("time_mid")
            else np.datetime64("NaT")
            for m in maps
        ]
    )
    ds = xr.Dataset(
        {
            "metal_umol": stack["metal_umol"],
            "metal_umol_err": stack["metal_umol_err"],
            "visibility": stack["visibility"],
            "profile_umol": (("time", "z_mm"), series["profile_umol"].values, {"units": "umol"}),
            "profile_umol_err": (
                ("time", "z_mm"),
                series["profile_umol_err"].values,
                {"units": "umol"},
            ),
            "total_umol": ("time", series["total_umol"].values, {"units": "umol"}),
            "total_umol_err": ("time", series["total_umol_err"].values, {"units": "umol"}),
            "depth_b_um": ("time", series["depth_b_um"].values, {"units": "um"}),
            "depth_a_um": ("time", series["depth_a_um"].values, {"units": "um"}),
            "depth_b_um_err": ("time", series["depth_b_um_err"].values, {"units": "um"}),
            "depth_a_um_err": ("time", series["depth_a_um_err"].values, {"units": "um"}),
            "z_b_mm": ("time", [m.attrs["z_b_mm"] for m in maps], {"units": "mm"}),
            "z_a_mm": ("time", [m.attrs["z_a_mm"] for m in maps], {"units": "mm"}),
            "noise_umol": ("time", [m.attrs["noise_umol"] for m in maps], {"units": "umol"}),
        },
        coords={"time": ("time", times), "z_mm": maps[0]["z_mm"].values},
    )
    ds["z_mm"].attrs["units"] = "mm"
    ds.attrs.update(
        {
            "pixel_um": float(maps[0].attrs["pixel_mm"]) * 1e3,
            "skin_depth_um": float(maps[0].attrs["skin_depth_um"]),
            "field_t": float(maps[0].attrs["field_t"]),
            "scans": [str(f) for f in folders],
            "method": "dendritemr.mri.csi.metal_map (shared line shapes, CRLB errors)",
        }
    )
    return ds
