"""Starting values for a series fit: peak picking on the series mean, or a previous fit.

Precedence, per parameter: a previous fit result (warm start) > ``Param.value`` > peak pick.
Fixed parameters always take ``Param.value``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.signal import find_peaks, peak_widths

from dendritemr.fit import lineshapes
from dendritemr.fit.model import BASELINES, PARAM_NAMES, SeriesModel


def _climb(y: np.ndarray, i: int) -> int:
    """Index of the local maximum of ``y`` reached uphill from ``i``."""
    while True:
        j = (
            i - 1
            if i > 0 and y[i - 1] > y[i]
            else i + 1
            if i + 1 < y.size and y[i + 1] > y[i]
            else i
        )
        if j == i:
            return i
        i = j


def peak_pick(model: SeriesModel, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Guess every line parameter from the series mean.

    Components with a given ``center.value`` use it; the others take the most prominent
    remaining peaks of the mean spectrum, in component order. Widths come from the half-height
    width of the mean spectrum's peak (or ``width.value``), areas from its height divided by
    the unit-area line's peak height, scaled per spectrum by that spectrum's height there.

    Parameters
    ----------
    model : the component model.
    x : ascending ppm axis, shape ``(n_ppm,)``.
    y : real spectra, shape ``(n_time, n_ppm)``.

    Returns
    -------
    dict
        ``{name: (n_time, n_comp)}`` for every parameter name plus ``"baseline"``
        ``(n_time, n_baseline)`` (zeros except the median level as constant term).
    """
    n_time, _ = y.shape
    dx = float(np.median(np.abs(np.diff(x)))) if x.size > 1 else 1.0
    level = np.median(y, axis=1)
    mean = y.mean(axis=0) - level.mean()
    peaks, props = find_peaks(mean, prominence=0.0)
    order = peaks[np.argsort(props["prominences"])[::-1]]
    ncomp = len(model.components)
    vals = {n: np.zeros((n_time, ncomp)) for n in PARAM_NAMES}
    taken: list[tuple[float, float]] = []
    for c, comp in enumerate(model.components):
        center = comp.center.value
        if center is None:
            free = [i for i in order if all(abs(x[i] - c0) > w0 for c0, w0 in taken)]
            center = float(x[free[0]]) if free else float(x[np.argmax(mean)])
        i = int(np.argmin(np.abs(x - center)))
        width = comp.width.value
        if width is None:
            top = _climb(mean, i)
            width = float(peak_widths(mean, [top], rel_height=0.5)[0][0]) * dx
            width = max(width, 2.0 * dx)
        taken.append((center, width))
        eta = comp.eta.value if comp.eta.value is not None else 0.5
        unit_height = float(lineshapes.evaluate(comp.shape, 0.0, 1.0, 0.0, width, eta))
        height = max(float(mean[i]), 0.0)
        scale = (y[:, i] - level) / height if height > 0 else np.ones(n_time)
        vals["area"][:, c] = height / unit_height * scale
        vals["center"][:, c] = center
        vals["width"][:, c] = width
        vals["phase"][:, c] = comp.phase.value if comp.phase.value is not None else 0.0
        vals["eta"][:, c] = eta
    base = np.zeros((n_time, BASELINES[model.baseline]))
    if base.shape[1]:
        base[:, 0] = level
    vals["baseline"] = base
    return vals


def starting_values(
    model: SeriesModel,
    x: np.ndarray,
    y: np.ndarray,
    previous: xr.Dataset | None = None,
) -> dict[str, np.ndarray]:
    """Starting (and held) values for every parameter, shape ``(n_time, n_comp)`` each.

    Parameters
    ----------
    model : the component model.
    x : ascending ppm axis.
    y : real spectra ``(n_time, n_ppm)``.
    previous : a result of :func:`dendritemr.fit.fit_series` to warm start from: per-spectrum
        values when its ``time`` length matches, otherwise its time-average. Components are
        matched by name; missing ones fall back to the other sources.
    """
    vals = peak_pick(model, x, y)
    n_time = y.shape[0]
    for c, comp in enumerate(model.components):
        for name in PARAM_NAMES:
            p = comp.param(name)
            if p.value is not None:
                vals[name][:, c] = p.value
            if p.vary == "fixed" or previous is None or name not in previous:
                continue
            if comp.name not in previous["component"].values:
                continue
            prev = np.asarray(previous[name].sel(component=comp.name).values, dtype=float)
            vals[name][:, c] = prev if prev.size == n_time else np.nanmean(prev)
    if previous is not None and "baseline_coef" in previous:
        prev = np.asarray(previous["baseline_coef"].values, dtype=float)
        nb = vals["baseline"].shape[1]
        if prev.shape[0] == n_time and prev.shape[1] == nb:
            vals["baseline"] = prev.copy()
    return vals
