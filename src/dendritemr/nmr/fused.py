"""Fused execution of the linear run FID -> spectrum of a pipeline.

The steps [DigitalFilter(roll)] [Truncate] [apodisations...] [ZeroFill] FourierTransform
[Phase...] are each an index shift, a multiplication by a vector, or the transform. Run one by
one they cost a full pass over the data each; fused, they cost one pass that writes the
windowed FID into the zero-filled buffer, the in-place FFT, and one pass multiplying by the
product of all spectral factors. Each step still provides its own factor (``window``,
``modulation``, ``output_factor``, ``phase_factor``), so the numbers are the steps' own; the
result and its history equal the step-by-step run to rounding.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dendritemr.model import add_step, require_finite
from dendritemr.nmr.apodize import ExponentialApodization, GaussianApodization
from dendritemr.nmr.base import ProcessingStep
from dendritemr.nmr.digital_filter import DigitalFilter
from dendritemr.nmr.fourier import FourierTransform
from dendritemr.nmr.phase import Phase, phase_factor
from dendritemr.nmr.zero_fill import Truncate, ZeroFill

_WINDOWS = (ExponentialApodization, GaussianApodization)


def fusable_length(steps: list[ProcessingStep]) -> int:
    """Number of leading ``steps`` that form a fusable FID -> spectrum run (0 if none)."""
    i = 0
    if i < len(steps) and isinstance(steps[i], DigitalFilter) and steps[i].method == "roll":
        i += 1
    if i < len(steps) and isinstance(steps[i], Truncate) and steps[i].points > 0:
        i += 1
    while i < len(steps) and isinstance(steps[i], _WINDOWS):
        i += 1
    if i < len(steps) and isinstance(steps[i], ZeroFill):
        i += 1
    if i >= len(steps) or not isinstance(steps[i], FourierTransform):
        return 0
    i += 1
    while i < len(steps) and isinstance(steps[i], Phase):
        i += 1
    return i


def run_fused(da: xr.DataArray, steps: list[ProcessingStep], check_finite: bool) -> xr.DataArray:
    """Apply a fusable run of ``steps`` (see :func:`fusable_length`) to the FIDs ``da``."""
    if "t2" not in da.dims:
        return _run_plain(da, steps, check_finite)
    if check_finite:
        require_finite(da, f"input of {steps[0].name}")
    attrs = dict(da.attrs)
    axis = da.get_axis_num("t2")
    values = np.moveaxis(da.values, axis, -1)
    n_in = values.shape[-1]
    dwell = float(da["t2"].values[1] - da["t2"].values[0]) if n_in > 1 else 1 / attrs["sw_hz"]
    delay, start, length, size = float(attrs.get("group_delay", 0.0)), 0, n_in, n_in
    windows, phases, ft = [], [], None
    for step in steps:
        if isinstance(step, DigitalFilter):
            if delay > 0:
                start = step.integer_shift(delay)
                delay -= start
            length = n_in - start  # the zeroed wrapped points stay zero
        elif isinstance(step, Truncate):
            length = min(length, step.points)  # counted from the (shifted) first point
            size = min(size, step.points)
        elif isinstance(step, _WINDOWS):
            windows.append(step)
        elif isinstance(step, ZeroFill):
            if step.size < size:
                return _run_plain(da, steps, check_finite)  # let the step raise its error
            size = step.size
        elif isinstance(step, FourierTransform):
            ft = step
        else:
            phases.append(step)
    length = min(length, size)
    dtype = np.result_type(values.dtype, np.complex64)
    factor = ft.modulation(size, dtype)[:length].copy()
    t = np.arange(length) * dwell
    for w in windows:
        factor *= w.window(t).astype(factor.real.dtype)
    buffer = np.zeros(values.shape[:-1] + (size,), dtype)
    np.multiply(values[..., start : start + length], factor, out=buffer[..., :length])
    spec = ft.transform(buffer)
    attrs_ft = {**attrs, "group_delay": delay}
    ppm = ft.output_ppm(size, attrs_ft)
    out_factor = ft.output_factor(size, delay, dtype)
    for p in phases:
        out_factor *= phase_factor(ppm, p.p0_deg, p.p1_deg, p.pivot_ppm).astype(dtype)
    spec *= out_factor
    spec = np.moveaxis(spec, -1, axis)
    dims = tuple("ppm" if d == "t2" else d for d in da.dims)
    coords = {k: v for k, v in da.coords.items() if "t2" not in v.dims}
    coords["ppm"] = ("ppm", ppm, {"units": "ppm"})
    out = xr.DataArray(spec, dims=dims, coords=coords, attrs=attrs, name="spectrum")
    out.attrs["group_delay"] = 0.0
    if not np.isfinite(float(out.attrs.get("sf_mhz", np.nan))):
        out.attrs["sf_mhz"] = out.attrs["sfo1_mhz"]
    for step in steps:
        add_step(out, step.to_dict())
    return out


def _run_plain(da: xr.DataArray, steps: list[ProcessingStep], check_finite: bool) -> xr.DataArray:
    for i, step in enumerate(steps):
        da = step(da, check_finite=check_finite and i == 0)
    return da
