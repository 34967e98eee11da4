"""The dendritic metal's 7Li line shape from the NMR series, for the CSI fit of the same cell.

The 7Li NMR series and the 7Li CSI see the same metal at the same field; the series (SNR ~300
per spectrum) fits its line shape at every time point, where a CSI at SNR 50 holding 10-25 %
of the metal as 7Li cannot tell one line from two or from noise (docs/mri.md, "Second look").
:func:`dendritic_lines` reads the series' decomposition
(:func:`dendritemr.quant.decompose.decompose`) into a table of the microstructure group's
Lorentzians (microstructure lines, deposit, comb) per time point: offsets from the electrode
line, widths and 7Li areas, and whether the dendritic 7Li is significant there.
:func:`scan_shape` (and :func:`dendritic_shape`, its lines only) turns that table into the
``metal_shape_lines`` of :class:`dendritemr.mri.csi.CsiModel` at a scan's time. Offsets from
the electrode line make a constant difference of the two ppm references drop out.

The rule at a scan's mid-time ``t`` (over the significant time points only):

- between two significant points: each line's offset, width and area linear in time between
  them (the NMR points are 0.5 h apart in the simulated studies, the shape changes over
  hours, so this and the nearest point differ little; interpolating does not jump half way);
- after the last significant point: that point's shape, held;
- before the first significant point, or none at all: no shape (the CSI fit then chooses its
  own metal model): the series does not yet see dendritic 7Li, and the shape of a later time
  point (hours later, after the metal changed) read the first images 35-45 % low noise-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

__all__ = ["SIGNIFICANCE_K", "ScanShape", "dendritic_lines", "dendritic_shape", "scan_shape"]

#: a time point's dendritic 7Li is significant above this many standard errors
SIGNIFICANCE_K = 3.0


def _members(components) -> list[int]:
    from dendritemr.quant.decompose import GROUPS

    names = [str(c) for c in components]
    return [
        i for i, n in enumerate(names) if n in GROUPS["microstructure"] or n.startswith("comb_")
    ]


def dendritic_lines(
    decomposition: xr.Dataset, nucleus: str = "7Li", k: float = SIGNIFICANCE_K
) -> xr.Dataset | None:
    """The dendritic lines of a series fit per time point, as the CSI's metal shape needs them.

    Parameters
    ----------
    decomposition : the series fit (:func:`dendritemr.quant.decompose.decompose`): ``area``
        and ``area_err`` ``(nucleus, time, component)``, ``center`` ``(time, component)``,
        ``width`` ``(nucleus, time, component)``, optionally ``group_area``/``group_area_err``
        ``(nucleus, time, group)``; coordinate ``time`` (UTC datetime64).
    nucleus : the imaged nucleus (``7Li``).
    k : a time point is significant when its dendritic area exceeds ``k`` standard errors: the
        microstructure group's ``group_area_err`` where given, which holds the lines'
        covariance; else the quadrature sum of the lines' errors (larger for a comb whose
        neighbouring lines trade area).

    Returns
    -------
    ``xarray.Dataset`` over ``time`` and ``line`` (the component names): ``offset_ppm`` (line
    centre minus the electrode line's centre), ``fwhm_ppm``, ``area`` and ``area_err`` (the
    nucleus' areas, signal x ppm), ``group_area``/``group_area_err`` ``(time)`` (their sum and
    its error) and ``significant`` ``(time)`` (bool: area > k SE, every offset and width
    finite); or None when the fit has no electrode line, no dendritic line or not the nucleus.
    """
    if "significant" in decomposition:  # already a table
        return decomposition
    names = [str(c) for c in decomposition["component"].values]
    if "electrode" not in names:
        return None
    idx = _members(names)
    if not idx:
        return None
    nuc = [str(v) for v in decomposition["nucleus"].values]
    if nucleus not in nuc:
        return None
    sel = {"nucleus": nuc.index(nucleus)}
    area = decomposition["area"].isel(sel).values[:, idx]  # (time, line)
    err = decomposition["area_err"].isel(sel).values[:, idx]
    width = np.abs(decomposition["width"].isel(sel).values[:, idx])
    centre = decomposition["center"].values
    offset = centre[:, idx] - centre[:, [names.index("electrode")]]
    if "group_area" in decomposition and "group_area_err" in decomposition:
        # the group's error holds the lines' covariance (a comb's neighbours trade area)
        group = decomposition["group_area"].isel(sel).sel(group="microstructure").values
        group_err = decomposition["group_area_err"].isel(sel).sel(group="microstructure").values
    else:
        group, group_err = area.sum(axis=1), np.sqrt((err**2).sum(axis=1))
    tot = area.sum(axis=1)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(tot) & (tot > k * group_err)
    ok &= np.all(np.isfinite(offset) & np.isfinite(width), axis=1)
    return xr.Dataset(
        {
            "offset_ppm": (("time", "line"), offset, {"units": "ppm"}),
            "fwhm_ppm": (("time", "line"), width, {"units": "ppm"}),
            "area": (("time", "line"), area, {"units": "signal*ppm"}),
            "area_err": (("time", "line"), err, {"units": "signal*ppm"}),
            "group_area": ("time", np.asarray(group, float), {"units": "signal*ppm"}),
            "group_area_err": ("time", np.asarray(group_err, float), {"units": "signal*ppm"}),
            "significant": ("time", ok),
        },
        coords={
            "time": np.asarray(decomposition["time"].values, "datetime64[ns]"),
            "line": [names[i] for i in idx],
        },
        attrs={"nucleus": nucleus, "k": float(k)},
    )


@dataclass(frozen=True)
class ScanShape:
    """The metal line shape for one scan (:func:`scan_shape`).

    Attributes
    ----------
    lines : ``((offset ppm, FWHM ppm, weight), ...)`` for ``CsiModel.metal_shape_lines``, or
        None (the CSI fit's own model choice).
    nmr_times : the series time points (UTC datetime64) the shape comes from: two when
        interpolated, one when at or held after a significant point, none without a shape.
    reason : one phrase: ``"interpolated"``, ``"at a significant point"``, ``"held after the
        last significant point"``, ``"no significant dendritic 7Li before the scan"``,
        ``"no significant dendritic 7Li in the series"``, ``"no dendritic lines in the series
        fit"``.
    """

    lines: tuple[tuple[float, float, float], ...] | None
    nmr_times: tuple[np.datetime64, ...] = field(default=())
    reason: str = ""


def scan_shape(table: xr.Dataset | None, when: np.datetime64) -> ScanShape:
    """The dendritic line shape at a scan's mid-time ``when`` (UTC datetime64) by the module's
    rule (docstring above): interpolated between the significant points around it, held after
    the last, none before the first. ``table``: :func:`dendritic_lines` (or a decomposition,
    read with its defaults); None gives no shape."""
    if table is not None and "significant" not in table:
        table = dendritic_lines(table)
    if table is None:
        return ScanShape(None, (), "no dendritic lines in the series fit")
    ok = np.asarray(table["significant"].values, bool)
    if not ok.any():
        return ScanShape(None, (), "no significant dendritic 7Li in the series")
    times = np.asarray(table["time"].values, "datetime64[ns]")[ok]
    t = times.astype(np.int64) / 3.6e12  # h
    t0 = np.datetime64(when, "ns").astype(np.int64) / 3.6e12
    if t0 < t[0]:
        return ScanShape(None, (), "no significant dendritic 7Li before the scan")
    cols = [table[v].values[ok] for v in ("offset_ppm", "fwhm_ppm", "area")]
    j = int(np.searchsorted(t, t0, side="right"))  # t[j - 1] <= t0 < t[j]
    if t0 == t[j - 1] or j == t.size:
        row = [c[j - 1] for c in cols]
        used = (times[j - 1],)
        reason = (
            "at a significant point" if t0 == t[j - 1] else "held after the last significant point"
        )
    else:
        a = (t0 - t[j - 1]) / (t[j] - t[j - 1])
        row = [(1.0 - a) * c[j - 1] + a * c[j] for c in cols]
        used, reason = (times[j - 1], times[j]), "interpolated"
    lines = tuple((float(o), float(w), float(ar)) for o, w, ar in zip(*row, strict=True))
    return ScanShape(lines, used, reason)


def dendritic_shape(
    decomposition: xr.Dataset,
    when: np.datetime64,
    nucleus: str = "7Li",
    k: float = SIGNIFICANCE_K,
) -> tuple[tuple[float, float, float], ...] | None:
    """``(offset from the electrode line ppm, FWHM ppm, 7Li area)`` of each dendritic line at
    ``when`` (UTC datetime64) by the module's rule, or None (no significant dendritic 7Li at or
    before ``when``, no electrode or dendritic line, or not the nucleus).

    ``decomposition``: the series fit (:func:`dendritic_lines` reads it; ``nucleus`` and ``k``
    as there) or the table :func:`dendritic_lines` returns.
    """
    return scan_shape(dendritic_lines(decomposition, nucleus, k), when).lines
