"""Bruker digital-filter (group delay) handling.

The oversampling filter delays the FID by ``group_delay`` points (GRPDLY or the DSPFVS/DECIM
table), preceded by the filter's pre-ringing. Two ways to undo it:

``method="roll"`` (default, TopSpin's way, no extra FFT): roll by the integer part and zero
the wrapped points; the fractional remainder stays in ``attrs['group_delay']`` and
:class:`~dendritemr.nmr.fourier.FourierTransform` removes it as a linear phase after zero
filling, which leaves the filter's pre-ringing at negative times (the end of the buffer).
``rounding`` chooses the integer part for ``roll``: ``"floor"`` (remainder in [0, 1)) or
``"nearest"`` (remainder in [-0.5, 0.5], TopSpin's choice: see :mod:`dendritemr.nmr.topspin`).
``method="shift"``: a band-limited circular shift by the whole delay over the acquired
points (FFT, linear phase, inverse FFT), then the ceil(delay) wrapped points are zeroed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from dendritemr import backend
from dendritemr.errors import ProcessingError
from dendritemr.nmr.base import ProcessingStep, copy_with


def _zero_tail(values: np.ndarray, axis: int, count: int) -> None:
    if count <= 0:
        return
    index = [slice(None)] * values.ndim
    index[axis] = slice(values.shape[axis] - count, None)
    values[tuple(index)] = 0


@dataclasses.dataclass
class DigitalFilter(ProcessingStep):
    """Remove the digital-filter delay recorded in ``attrs['group_delay']`` (points)."""

    name = "digital_filter"
    method: str = "roll"
    rounding: str = "floor"

    def __post_init__(self) -> None:
        if self.method not in ("shift", "roll"):
            raise ProcessingError("digital_filter: method must be 'shift' or 'roll'")
        if self.rounding not in ("floor", "nearest"):
            raise ProcessingError("digital_filter: rounding must be 'floor' or 'nearest'")

    def integer_shift(self, delay: float) -> int:
        """Points rolled out of the FID for a delay of ``delay`` points (0 if none)."""
        if delay <= 0:
            return 0
        return int(np.floor(delay)) if self.rounding == "floor" else int(np.floor(delay + 0.5))

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        delay = float(da.attrs.get("group_delay", 0.0))
        axis = da.get_axis_num("t2")
        if delay <= 0:
            return copy_with(da, np.array(da.values))
        if self.method == "roll":
            shift = self.integer_shift(delay)
            values = np.roll(da.values, -shift, axis=axis)
            _zero_tail(values, axis, shift)
            return copy_with(da, values)
        n = da.sizes["t2"]
        shape = [1] * da.ndim
        shape[axis] = n
        ramp = np.exp(2j * np.pi * delay * np.fft.fftfreq(n)).reshape(shape)
        values = backend.ifft(backend.fft(da.values, axis=axis) * ramp, axis=axis)
        _zero_tail(values, axis, int(np.ceil(delay)))
        return copy_with(da, values)

    def _update_attrs(self, out: xr.DataArray) -> None:
        delay = float(out.attrs.get("group_delay", 0.0))
        keep = self.method == "roll" and delay > 0
        out.attrs["group_delay"] = delay - self.integer_shift(delay) if keep else 0.0
