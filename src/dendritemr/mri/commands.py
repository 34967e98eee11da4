"""``dendritemr image``: a CSI scan, a series of scans, or a folder of 1D profiles -> results."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import click
import numpy as np
import xarray as xr

from dendritemr.errors import DataError, DendriteMRError, exit_with

__all__ = ["image", "analyse_scans", "scan_folders"]


def scan_folders(path: Path) -> list[Path]:
    """ParaVision experiments at ``path``: itself, or its numbered sub-folders in order."""
    if (path / "acqp").is_file():
        return [path]
    if path.is_dir():
        subs = [p for p in path.iterdir() if p.is_dir() and p.name.isdigit()]
        subs = [p for p in subs if (p / "acqp").is_file()]
        return sorted(subs, key=lambda p: int(p.name))
    return []


def _study_area_cm2(path: Path) -> float | None:
    """Electrode area from a simulated study's ``scenario.toml`` next to its ``mri/`` folder."""
    for parent in (path, *path.parents[:3]):
        toml = parent / "scenario.toml"
        if toml.is_file():
            try:
                return float(tomllib.loads(toml.read_text())["geometry"]["area_cm2"])
            except (KeyError, ValueError, tomllib.TOMLDecodeError):
                return None
    return None


def analyse_scans(
    folders: list[Path],
    electrode_area_cm2: float,
    temperature_k: float = 298.15,
    fit_options: dict | None = None,
    per_scan_options: list[dict] | None = None,
    front_k: float = 3.0,
    shared_metal_shape: bool = False,
) -> tuple[list[xr.Dataset], xr.Dataset]:
    """Read, reconstruct and fit each CSI scan; return the metal maps and their time series.

    ``fit_options``: :class:`dendritemr.mri.csi.CsiModel` settings for all scans;
    ``per_scan_options``: one dict per scan on top (e.g. its ``x6_metal``).
    ``shared_metal_shape``: fit twice; the second time every scan's metal has one line, the
    mean (weighted by each scan's (total / SE)^2) of the free lines of the scans where the
    first pass found one (``metal_model_detected`` ``"single"``; ``CsiModel.
    metal_line_fixed``); unchanged when no scan had a free line.
    """
    from dendritemr.io.paravision import read_raw
    from dendritemr.mri.csi import CsiModel, metal_map
    from dendritemr.mri.profiles import depth_series
    from dendritemr.mri.recon import reconstruct

    images = []
    for folder in folders:
        if not (folder / "method").is_file():
            raise DataError(folder / "method", "missing method file (the CSI encoding is there)")
        raw = read_raw(folder)
        if "t2" not in raw.dims:
            raise DataError(folder, "not a chemical-shift image (no spectral dimension)")
        images.append(reconstruct(raw))

    def fit_all(extra: dict) -> list[xr.Dataset]:
        out = []
        for i, image in enumerate(images):
            options = {**(fit_options or {}), **((per_scan_options or [{}] * len(folders))[i])}
            model = CsiModel(
                electrode_area_cm2=electrode_area_cm2,
                temperature_k=temperature_k,
                **{**options, **extra},
            )
            out.append(metal_map(image, model))
        return out

    maps = fit_all({})
    if shared_metal_shape:
        lines, weights = [], []
        for m in maps:
            line = np.asarray(m.attrs.get("metal_single_line_ppm", [np.nan]), float)
            if m.attrs.get("metal_model_detected") == "single" and np.all(np.isfinite(line)):
                if float(m["total_umol_err"]) <= 0:
                    continue
                lines.append(line)
                weights.append((float(m["total_umol"]) / float(m["total_umol_err"])) ** 2)
        if lines and sum(weights) > 0:
            shared = np.average(np.asarray(lines, float), axis=0, weights=weights)
            maps = fit_all({"metal_line_fixed": (float(shared[0]), float(shared[1]))})
    return maps, depth_series(maps, k=front_k)


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--out", "out", type=click.Path(path_type=Path), default=None, help="NetCDF to write."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@click.option("--electrode-area", type=float, default=None, help="Electrode face area, cm2.")
@click.option("--temperature", "temperature_k", type=float, default=298.15, help="Cell T, K.")
@click.option("--fov", "fov_mm", type=float, default=None, help="Profiles: field of view, mm.")
@click.option("--nucleus", default="", help="Profiles: observed nucleus (totxt has none).")
@click.option("--interval", "interval_s", type=float, default=None, help="Profiles: s each.")
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Profiles: 3-column potentiostat log (time h, voltage V, current mA).",
)
def image(path, out, as_json, electrode_area, temperature_k, fov_mm, nucleus, interval_s, log_path):
    """Metal maps, profiles and penetration depth from a CSI scan, a series, or 1D profiles.

    PATH: a ParaVision CSI scan or a folder of numbered scans (metal maps in umol: needs the
    electrode area, --electrode-area or the scenario.toml of a simulated study), or a folder
    of TopSpin totxt 1D profiles (needs --fov; a POL.txt log beside them is read).

    \b
    Examples:
      dendritemr image study/mri --out maps.nc              # simulated study: its area
      dendritemr image study/mri/1 --electrode-area 1.0 --json
      dendritemr image Li_Li/Data --fov 4 --nucleus 19F --interval 513 --out profiles.nc
    """
    from dendritemr.model import save

    try:
        folders = scan_folders(path)
        if folders:
            area = electrode_area or _study_area_cm2(path)
            if area is None:
                raise DataError(path, "--electrode-area is needed to calibrate metal amounts")
            maps, result = analyse_scans(folders, area, temperature_k)
            summary = {
                "kind": "csi",
                "scans": [str(f) for f in folders],
                "time": [str(t) for t in result["time_iso"].values],
                "total_umol": result["total_umol"].values.round(4).tolist(),
                "total_umol_err": result["total_umol_err"].values.round(4).tolist(),
                "depth_b_um": result["depth_b_um"].values.round(2).tolist(),
                "depth_b_um_err": result["depth_b_um_err"].values.round(2).tolist(),
                "depth_a_um": result["depth_a_um"].values.round(2).tolist(),
                "depth_a_um_err": result["depth_a_um_err"].values.round(2).tolist(),
                "noise_umol": [round(m.attrs["noise_umol"], 5) for m in maps],
            }
        else:
            from dendritemr.io.topspin_text import (
                align_with_log,
                read_potentiostat_log,
                read_profile_series,
            )

            if not path.exists():
                raise DataError(path, "no such file or folder")
            if fov_mm is None:
                raise DataError(path, "not a ParaVision scan; for totxt profiles give --fov (mm)")
            result = read_profile_series(path, fov_mm, nucleus=nucleus, interval_s=interval_s)
            log = log_path or (path / "POL.txt" if (path / "POL.txt").is_file() else None)
            if log is not None:
                result = align_with_log(result, read_potentiostat_log(log))
            summary = {
                "kind": "profiles",
                "n_profiles": int(result.sizes["time"]),
                "n_points": int(result.sizes["position"]),
                "position_mm": [float(result.position[0]), float(result.position[-1])],
                "nucleus": result.attrs.get("nucleus", ""),
                "hours": np.round(result["hours"].values, 4).tolist(),
            }
            if log is not None:
                summary["current_mA"] = np.round(result["current_mA"].values, 5).tolist()
                summary["voltage_V"] = np.round(result["voltage_V"].values, 5).tolist()
                summary["clock_matching"] = result.attrs["clock_matching"]
        if out is not None:
            save(result, out)
    except DendriteMRError as exc:
        exit_with(exc)
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
    else:
        what = f"{len(summary.get('scans', []))} CSI scans" if folders else "profiles"
        click.echo(f"{what} -> {out or '(not saved)'}")
