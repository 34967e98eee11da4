"""1D profiles across the cell, metal front position and penetration depth over time.

From a metal map (:func:`dendritemr.mri.csi.metal_map`): the profile is the metal summed over
the lateral pixels per position ``z`` (umol per pixel row), with its standard error. The front
from electrode B: walking from B's face into the pellet through the run of pixels holding metal
(> 2 standard errors; gaps of up to ``gap`` rows, 1 by default, are crossed), the deepest pixel
whose metal is significant (> ``k`` standard errors, ``k = 3`` by default); penetration depth =
distance of that pixel's centre from B's face (``z_B``). The same from A (mirrored). No metal
next to a face: depth 0.

Uncertainty of a depth (:func:`depth_errors`): a parametric bootstrap of the walk under the
rows' standard errors (each row redrawn as ``p + e N(0, 1)``, rows independent, the walk
repeated with the same thresholds; the standard deviation of the draws' depths), combined in
quadrature with the position of the tip within its pixel (uniform: ``pixel / sqrt(12)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

__all__ = ["metal_profile", "penetration_depths", "depth_errors", "depth_series"]


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


def _front_depths(
    p: np.ndarray,
    e: np.ndarray,
    z: np.ndarray,
    z_b: float,
    z_a: float,
    k: float,
    gap: int,
    present_k: float,
) -> tuple[float, float]:
    """Depths (um) from B and from A of a profile ``p`` (umol per row) with errors ``e`` at
    rows ``z`` (mm) between the faces ``z_b < z_a`` (mm)."""
    inside = (z > z_b) & (z < z_a)
    present = (p > present_k * e) & inside & (e > 0)
    strong = (p > k * e) & present
    from_b = np.nonzero(inside)[0]
    depth_b = _run_depth(present[from_b], strong[from_b], (z[from_b] - z_b) * 1e3, gap)
    from_a = from_b[::-1]
    depth_a = _run_depth(present[from_a], strong[from_a], (z_a - z[from_a]) * 1e3, gap)
    return depth_b, depth_a


def penetration_depths(
    metal: xr.Dataset, k: float = 3.0, gap: int = 1, present_k: float = 2.0
) -> dict[str, float]:
    """Front depths (um) from B and from A of one metal map (see the module docstring), with
    their standard errors (:func:`depth_errors`).

    ``k``: significance (standard errors of the row sum) of a front pixel; ``present_k``: of a
    pixel that continues the walk; ``gap``: rows without metal the walk may cross.

    Returns ``{"depth_b_um", "depth_a_um", "depth_b_um_err", "depth_a_um_err", "pixel_um"}``.
    """
    prof = metal_profile(metal)
    z = prof["z_mm"].values
    p, e = prof["profile_umol"].values, prof["profile_umol_err"].values
    z_b, z_a = float(metal.attrs["z_b_mm"]), float(metal.attrs["z_a_mm"])
    pixel_um = float(metal.attrs["pixel_mm"]) * 1e3
    depth_b, depth_a = _front_depths(p, e, z, z_b, z_a, k, gap, present_k)
    err_b, err_a = depth_errors(p, e, z, z_b, z_a, pixel_um, k=k, gap=gap, present_k=present_k)
    return {
        "depth_b_um": depth_b,
        "depth_a_um": depth_a,
        "depth_b_um_err": err_b,
        "depth_a_um_err": err_a,
        "pixel_um": pixel_um,
    }


def depth_errors(
    profile: np.ndarray,
    profile_err: np.ndarray,
    z_mm: np.ndarray,
    z_b_mm: float,
    z_a_mm: float,
    pixel_um: float,
    *,
    k: float = 3.0,
    gap: int = 1,
    present_k: float = 2.0,
    draws: int = 200,
    seed: int = 0,
) -> tuple[float, float]:
    """Standard errors (um) of the depths from B and from A of one profile.

    Parameters
    ----------
    profile, profile_err : (n_z,) metal per row and its standard error (umol).
    z_mm : (n_z,) row centres (mm); ``z_b_mm < z_a_mm`` the pellet faces (mm).
    pixel_um : row height (um).
    k, gap, present_k : the walk's settings (:func:`penetration_depths`).
    draws, seed : bootstrap draws and the seed of their generator (fixed: the same map gives
        the same error).

    Parametric bootstrap: each draw adds ``profile_err * N(0, 1)`` to every row (rows taken as
    independent; neighbouring rows of a band-limited image are weakly correlated) and repeats
    the walk; the draws' standard deviation is combined in quadrature with ``pixel_um /
    sqrt(12)``, the spread of a tip placed uniformly within the row the walk reports.
    """
    p = np.asarray(profile, float)
    e = np.asarray(profile_err, float)
    z = np.asarray(z_mm, float)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((draws, p.size)) * np.where(np.isfinite(e), e, 0.0)
    got = np.array([_front_depths(p + n, e, z, z_b_mm, z_a_mm, k, gap, present_k) for n in noise])
    spread = got.std(axis=0, ddof=1) if draws > 1 else np.zeros(2)
    quant = pixel_um / np.sqrt(12.0)
    err = np.sqrt(spread**2 + quant**2)
    return float(err[0]), float(err[1])


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
            "depth_b_um_err": ("time", [r["depth_b_um_err"] for r in rows], {"units": "um"}),
            "depth_a_um_err": ("time", [r["depth_a_um_err"] for r in rows], {"units": "um"}),
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
