"""The dendritic metal's 7Li line shape from the NMR series, for the CSI fit of the same cell.

The 7Li NMR series and the 7Li CSI see the same metal at the same field; the series (SNR ~300
per spectrum) fits its line shape at every time point, where a CSI at SNR 50 holding 10-25 %
of the metal as 7Li cannot tell one line from two or from noise (docs/mri.md, "Second look").
:func:`dendritic_shape` turns the series' decomposition
(:func:`dendritemr.quant.decompose.decompose`) into the ``metal_shape_lines`` of
:class:`dendritemr.mri.csi.CsiModel`: the microstructure group's Lorentzians (microstructure
lines, deposit, comb) as offsets from the electrode line, widths and 7Li areas at a scan's
time. Offsets from the electrode line make a constant difference of the two ppm references
drop out.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["dendritic_shape"]


def _members(components) -> list[int]:
    from dendritemr.quant.decompose import GROUPS

    names = [str(c) for c in components]
    return [
        i for i, n in enumerate(names) if n in GROUPS["microstructure"] or n.startswith("comb_")
    ]


def dendritic_shape(
    decomposition: xr.Dataset,
    when: np.datetime64,
    nucleus: str = "7Li",
    k: float = 3.0,
) -> tuple[tuple[float, float, float], ...] | None:
    """``(offset from the electrode line ppm, FWHM ppm, 7Li area)`` of each dendritic line.

    Parameters
    ----------
    decomposition : the series fit (:func:`dendritemr.quant.decompose.decompose`): ``area``
        and ``area_err`` ``(nucleus, time, component)``, ``center`` ``(time, component)``,
        ``width`` ``(nucleus, time, component)``, coordinate ``time`` (UTC datetime64).
    when : the scan's mid-time (UTC datetime64).
    nucleus : the imaged nucleus (``7Li``).
    k : a time point is used when its dendritic area exceeds ``k`` standard errors (the
        microstructure group's ``group_area_err`` where given, which holds the lines'
        covariance; else the quadrature sum of the lines' errors, larger for a comb whose
        neighbouring lines trade area).

    Returns
    -------
    The lines at the significant time point nearest to ``when`` (areas, centres and widths
    interpolated linearly in time between the two significant points around it), or None when
    no time point has significant dendritic metal or the series has no electrode line.
    """
    if "electrode" not in [str(c) for c in decomposition["component"].values]:
        return None
    idx = _members(decomposition["component"].values)
    if not idx:
        return None
    nuc = [str(v) for v in decomposition["nucleus"].values]
    if nucleus not in nuc:
        return None
    sel = {"nucleus": nuc.index(nucleus)}
    area = decomposition["area"].isel(sel).values[:, idx]  # (time, line)
    err = decomposition["area_err"].isel(sel).values[:, idx]
    width = decomposition["width"].isel(sel).values[:, idx]
    centre = decomposition["center"].values
    names = [str(c) for c in decomposition["component"].values]
    offset = centre[:, idx] - centre[:, [names.index("electrode")]]
    tot = area.sum(axis=1)
    if "group_area" in decomposition and "group_area_err" in decomposition:
        # the group's error holds the lines' covariance (a comb's neighbours trade area)
        tot_err = decomposition["group_area_err"].isel(sel).sel(group="microstructure").values
    else:
        tot_err = np.sqrt((err**2).sum(axis=1))
    ok = np.isfinite(tot) & (tot > k * tot_err)
    ok &= np.all(np.isfinite(offset) & np.isfinite(width), axis=1)
    if not ok.any():
        return None
    t = decomposition["time"].values.astype("datetime64[ns]").astype(np.int64)[ok] / 3.6e12
    t0 = np.datetime64(when, "ns").astype(np.int64) / 3.6e12
    rows = [np.interp(t0, t, col) for col in (*offset[ok].T, *np.abs(width[ok]).T, *area[ok].T)]
    n = len(idx)
    o, w, a = rows[:n], rows[n : 2 * n], rows[2 * n :]
    return tuple((float(o[i]), float(w[i]), float(a[i])) for i in range(n))
