"""1D profiles across the cell, metal front position and penetration depth over time.

From a metal map (:func:`dendritemr.mri.csi.metal_map`): the profile is the metal summed over
the lateral pixels per position ``z`` (umol per pixel row), with its standard error. The front
from electrode B: walking from B's face into the pellet through the run of pixels holding metal
(> 2 standard errors; gaps of up to ``gap`` rows, 1 by default, are crossed), the deepest pixel
whose metal is significant (> ``k`` standard errors, ``k = 3`` by default); penetration depth =
distance of that pixel's centre from B's face (``z_B``). The same from A (mirrored). No metal
next to a face: depth 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

__all__ = ["metal_profile", "penetration_depths", "depth_series"]


def metal_profile(metal: xr.Dataset) -> xr.Dataset:
    """Metal per row across the cell: ``profile_umol``, ``profile_umol_err`` over ``z_mm``."""
    lateral = [d for d in metal["metal_umol"].dims if d != "z_mm"]
    prof = metal["metal_umol"].sum(lateral)
    err = np.sqrt((metal["metal_umol_err"] ** 2).sum(lateral))
    return xr.Dataset({"profile_umol": prof, "profile_umol_err": err}, attrs=dict(metal.attrs))


def _run_depth(present: np.ndarray, strong: np.ndarray, depth: np.ndarray, gap: int) -> float:
    """Deepest ``strong`` pixel reached from the face through ``present`` pixels (0 if none).

    The walk from the face stops at the first run of more than ``gap`` pixels that are not
    ``present`` (a filament thinner than the noise in one row does not end the front).
    """
    best, missing = 0.0, 0
    for i in range(present.size):
        if present[i]:
            missing = 0
            if strong[i]:
                best = float(depth[i])
        else:
            missing += 1
            if missing > gap:
                break
    return best


def penetration_depths(
    metal: xr.Dataset, k: float = 3.0, gap: int = 1, present_k: float = 2.0
) -> dict[str, float]:
    """Front depths (um) from B and from A of one metal map (see the module docstring).

    ``k``: significance (standard errors of the row sum) of a front pixel; ``present_k``: of a
    pixel that continues the walk; ``gap``: rows without metal the walk may cross.
    """
    prof = metal_profile(metal)
    z = prof["z_mm"].values
    p, e = prof["profile_umol"].values, prof["profile_umol_err"].values
    z_b, z_a = float(metal.attrs["z_b_mm"]), float(metal.attrs["z_a_mm"])
    inside = (z > z_b) & (z < z_a)
    present = (p > present_k * e) & inside & (e > 0)
    strong = (p > k * e) & present
    from_b = np.nonzero(inside)[0]
    depth_b = _run_depth(present[from_b], strong[from_b], (z[from_b] - z_b) * 1e3, gap)
    from_a = from_b[::-1]
    depth_a = _run_depth(present[from_a], strong[from_a], (z_a - z[from_a]) * 1e3, gap)
    return {
        "depth_b_um": depth_b,
        "depth_a_um": depth_a,
        "pixel_um": float(metal.attrs["pixel_mm"]) * 1e3,
    }


def depth_series(maps: Sequence[xr.Dataset], k: float = 3.0, gap: int = 1) -> xr.Dataset:
    """Penetration depths, total metal and profiles of a series of maps, over ``time``."""
    rows = [penetration_depths(m, k, gap) for m in maps]
    times = [m.attrs.get("time_mid", "") for m in maps]
    profiles = np.array([metal_profile(m)["profile_umol"].values for m in maps])
    perr = np.array([metal_profile(m)["profile_umol_err"].values for m in maps])
    ds = xr.Dataset(
        {
            "depth_b_um": ("time", [r["depth_b_um"] for r in rows], {"units": "um"}),
            "depth_a_um": ("time", [r["depth_a_um"] for r in rows], {"units": "um"}),
            "total_umol": ("time", [float(m["total_umol"]) for m in maps], {"units": "umol"}),
            "total_umol_err": (
                "time",
                [float(m["total_umol_err"]) for m in maps],
                {"units": "umol"},
            ),
            "profile_umol": (("time", "z_mm"), profiles, {"units": "umol"}),
            "profile_umol_err": (("time", "z_mm"), perr, {"units": "umol"}),
        },
        coords={"z_mm": maps[0]["z_mm"].values, "time_iso": ("time", times)},
    )
    return ds
