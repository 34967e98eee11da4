"""Image orientation as ParaVision's 2dseq stores it: ``RECO_transposition`` per slice.

``pdata/1/reco`` gives one value per slice (2dseq frame order): 1 exchanges the first two image
dimensions (read and phase), in 3D 2 exchanges the 2nd and 3rd and 3 the 1st and 3rd. Read by
:func:`transpositions`, applied by :func:`transpose` after the reconstruction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from dendritemr.errors import DataError
from dendritemr.io.paravision_jcamp import read_pv_parameters

__all__ = ["transpositions", "transpose", "swap_pair"]

_SPATIAL_R = ("x", "y", "z")


def swap_pair(value: int, names: list[str]) -> tuple[int, int] | None:
    """Encoding dimensions (0 = first, fastest) exchanged by one ``RECO_transposition`` value.

    ``t`` exchanges dimensions ``t`` and ``t mod n + 1`` (1-based) of the ``n`` image
    dimensions: in 2D 1 swaps read and phase; in 3D 1 swaps 1st/2nd, 2 swaps 2nd/3rd, 3 swaps
    1st/3rd. ``(0, 0)`` for 0 (nothing exchanged); ``None`` for a value outside that rule.
    """
    n = len(names)
    if value == 0:
        return (0, 0)
    if n < 2 or not 1 <= value <= (1 if n == 2 else n):
        return None
    return (value - 1, value % n)


def transpositions(raw: xr.DataArray, enc: list[str]) -> tuple[Path | None, list[int]]:
    """Per-slice ``RECO_transposition`` of the raw's experiment (``pdata/1/reco``), or zeros."""
    n_slices = raw.sizes.get("slice", 1)
    source = raw.attrs.get("source")
    reco = Path(source) / "pdata" / "1" / "reco" if source else None
    if reco is None or not reco.is_file():
        return None, [0] * n_slices
    value = read_pv_parameters(reco).get("RECO_transposition", 0)
    try:
        numbers = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    except (TypeError, ValueError):
        numbers = np.array([np.nan])
    if not np.all(np.isfinite(numbers) & (numbers == np.round(numbers))):
        raise DataError(reco, f"RECO_transposition {value!r} is not a list of integers")
    values = [int(v) for v in numbers]
    if len(values) == 1 or len(set(values)) == 1:
        values = values[:1] * n_slices
    if len(values) != n_slices:
        raise DataError(reco, f"RECO_transposition has {len(values)} values for {n_slices} slices")
    for s, v in enumerate(values):
        pair = swap_pair(v, enc)
        if pair is None:
            allowed = "0" if len(enc) < 2 else ("0-1" if len(enc) == 2 else f"0-{len(enc)}")
            raise DataError(
                reco,
                f"RECO_transposition {v} (slice {s}) not supported for {len(enc)} encoding "
                f"dimensions (allowed {allowed})",
            )
        a, b = pair
        if a != b and "t2" in (enc[a], enc[b]):
            raise DataError(
                reco,
                f"RECO_transposition {v} (slice {s}) would exchange a spectroscopic dimension",
            )
    return reco, values


def transpose(
    data: np.ndarray, dims: list[str], coords: dict, values: list[int], reco: Path | None
) -> tuple[np.ndarray, dict]:
    """Apply per-slice transpositions to reconstructed ``data`` (dims positional)."""
    image = [d for d in dims if d in _SPATIAL_R or d == "ppm"][::-1]  # first (fastest) first
    axis = {i: dims.index(d) for i, d in enumerate(image)}
    s_ax = dims.index("slice")
    kinds = sorted(set(values))
    if kinds == [0]:
        return data, coords
    pairs = {v: swap_pair(v, image) for v in kinds}
    if len(kinds) == 1:
        a, b = pairs[kinds[0]]
        data = np.swapaxes(data, axis[a], axis[b])
        ca, cb = coords[image[a]], coords[image[b]]
        coords = {**coords, image[a]: (image[a], *cb[1:]), image[b]: (image[b], *ca[1:])}
        return data, coords
    # mixed: every exchanged pair must share size and coordinates, so one grid holds all
    for a, b in pairs.values():
        if a == b:
            continue
        ca, cb = np.asarray(coords[image[a]][1]), np.asarray(coords[image[b]][1])
        if ca.shape != cb.shape or not np.allclose(ca, cb):
            fa, fb = (float(np.diff(c[:2]).sum()) * c.size for c in (ca, cb))
            raise DataError(
                reco or "reconstruct",
                f"RECO_transposition mixes {kinds} across slices but {image[a]} "
                f"({ca.size} points, FOV {fa:g} mm) and {image[b]} ({cb.size} points, "
                f"FOV {fb:g} mm) differ, so the slices share no grid; use transposition=False",
            )
    out = data.copy()
    for s, v in enumerate(values):
        a, b = pairs[v]
        if a == b:
            continue
        index = [slice(None)] * data.ndim
        index[s_ax] = s
        part = np.swapaxes(
            data[tuple(index)], axis[a] - (axis[a] > s_ax), axis[b] - (axis[b] > s_ax)
        )
        out[tuple(index)] = part
    return out, coords
