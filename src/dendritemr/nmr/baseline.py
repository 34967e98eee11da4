"""Baseline correction of spectra along ``ppm``.

:class:`PolynomialBaseline` fits a polynomial to signal-free regions of every spectrum at once
(one linear least-squares solve for the whole series). :class:`PybaselinesBaseline` runs any
pybaselines algorithm, with one ``Baseline(x)`` object reused across the series.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import xarray as xr

from dendritemr.errors import ProcessingError
from dendritemr.nmr.base import ProcessingStep, from_rows, spectra_rows


def region_mask(ppm: np.ndarray, regions: list[tuple[float, float]] | None) -> np.ndarray:
    """Boolean mask of the points of ``ppm`` inside any of ``regions`` (all points if None)."""
    if not regions:
        return np.ones(ppm.size, bool)
    mask = np.zeros(ppm.size, bool)
    for lo, hi in regions:
        mask |= (ppm >= min(lo, hi)) & (ppm <= max(lo, hi))
    return mask


def baseline_points(
    rows: np.ndarray, half_window: int = 5, num_std: float = 3.0, max_iter: int = 20
) -> np.ndarray:
    """Classify baseline points of each spectrum (rows) by Dietrich's derivative method.

    The power of the smoothed first derivative is small on the baseline and large on peaks;
    points above mean + ``num_std`` x std of the current baseline class are removed until the
    class stops changing, then each peak region is widened by ``half_window`` points.
    Dietrich, Rudel & Gross, J. Magn. Reson. 91, 1 (1991). Vectorised over rows.
    """
    real = np.asarray(rows).real
    kernel = np.ones(2 * half_window + 1) / (2 * half_window + 1)
    deriv = np.gradient(real, axis=-1)
    power = np.apply_along_axis(lambda r: np.convolve(r, kernel, "same"), -1, deriv**2)
    mask = np.ones_like(power, bool)
    for _ in range(max_iter):
        masked = np.where(mask, power, np.nan)
        limit = np.nanmean(masked, -1, keepdims=True) + num_std * np.nanstd(
            masked, -1, keepdims=True
        )
        new = power <= limit
        if np.array_equal(new, mask):
            break
        mask = new
    peaks = ~mask
    grown = np.apply_along_axis(
        lambda r: np.convolve(r.astype(float), np.ones(2 * half_window + 1), "same"), -1, peaks
    )
    return grown < 0.5


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the runs of True in ``mask``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[0::2], edges[1::2], strict=True))


def _subtract_outer(target: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """``target -= outer(a, b)`` in place, in one pass (BLAS rank-1 update, no temporary)."""
    from scipy.linalg import blas

    geru = {np.dtype(np.complex128): blas.zgeru, np.dtype(np.complex64): blas.cgeru}.get(
        target.dtype
    )
    if geru is None or not target.flags.c_contiguous:
        target -= np.multiply.outer(a, b)
        return
    out = geru(-1.0, b, a, a=target.T, overwrite_a=1)  # target.T is Fortran-ordered
    if not np.shares_memory(out, target):
        target[...] = out.T


@dataclasses.dataclass
class PolynomialBaseline(ProcessingStep):
    """Subtract a polynomial of ``order`` fitted to the signal-free ``regions`` (ppm pairs).

    ``regions="auto"`` finds the baseline points of each spectrum by Dietrich's method
    (:func:`baseline_points`), as TopSpin's ``abs`` does, and fits each spectrum on its own
    points (one batched weighted least-squares solve for the series). Real and imaginary
    parts are corrected together (complex least squares).
    """

    name = "polynomial_baseline"
    input_dim = "ppm"
    order: int = 1
    regions: list[tuple[float, float]] | str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.regions, str):
            if self.regions != "auto":
                raise ProcessingError("polynomial_baseline: regions must be pairs or 'auto'")
        elif self.regions is not None:
            self.regions = [tuple(map(float, r)) for r in self.regions]

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        ppm = da["ppm"].values
        centre, half = ppm.mean(), max(np.ptp(ppm) / 2, 1e-12)
        basis = np.vander((ppm - centre) / half, self.order + 1, increasing=True)
        rows = spectra_rows(da)
        if self.regions == "auto":
            weights = baseline_points(rows).astype(float)  # (spectra, points)
            normal = np.einsum("sp,pi,pj->sij", weights, basis, basis)
            rhs = np.einsum("sp,pi,sp->si", weights, basis, rows)
            coef = np.linalg.solve(normal, rhs[..., None])[..., 0]
            return from_rows(da, rows - coef @ basis.T)
        return from_rows(da, self._subtract_fixed(rows, ppm, basis, inplace=False))

    def _apply_inplace(self, da: xr.DataArray) -> xr.DataArray:
        """As :meth:`_apply`, writing into ``da``'s memory when its rows are a writable,
        C-contiguous view (fixed regions only): saves allocating the result."""
        rows = spectra_rows(da)
        usable = (
            self.regions != "auto"
            and rows.flags.c_contiguous
            and rows.flags.writeable
            and np.may_share_memory(rows, da.values)
            and np.issubdtype(rows.dtype, np.complexfloating)
        )
        if not usable:
            return self._apply(da)
        ppm = da["ppm"].values
        centre, half = ppm.mean(), max(np.ptp(ppm) / 2, 1e-12)
        basis = np.vander((ppm - centre) / half, self.order + 1, increasing=True)
        return from_rows(da, self._subtract_fixed(rows, ppm, basis, inplace=True))

    def _subtract_fixed(
        self, rows: np.ndarray, ppm: np.ndarray, basis: np.ndarray, inplace: bool
    ) -> np.ndarray:
        """rows minus the polynomial fitted in the fixed regions (into ``rows`` if inplace)."""
        mask = region_mask(ppm, self.regions)
        if mask.sum() <= self.order:
            raise ProcessingError(
                f"polynomial_baseline: {int(mask.sum())} points in the regions, "
                f"need more than order {self.order}"
            )
        pinv = np.zeros_like(basis)
        pinv[mask] = np.linalg.pinv(basis[mask]).T
        pinv = pinv.astype(rows.real.dtype)
        coef = np.zeros((rows.shape[0], self.order + 1), rows.dtype)
        for lo, hi in _runs(mask):  # contiguous slices: no gathered copy of the regions
            coef += rows[:, lo:hi] @ pinv[lo:hi]
        if inplace:
            rows -= coef[:, :1]  # basis column 0 is ones
            corrected = rows
        else:
            corrected = rows - coef[:, :1]
        for k in range(1, self.order + 1):
            _subtract_outer(corrected, coef[:, k], basis[:, k].astype(rows.dtype))
        return corrected


@dataclasses.dataclass
class PybaselinesBaseline(ProcessingStep):
    """Any pybaselines 1D algorithm (``method`` name, ``params`` keyword arguments).

    Only the real part is corrected; the imaginary part is kept. One ``Baseline`` object is
    built per call and reused for every spectrum of the series.
    """

    name = "pybaselines_baseline"
    input_dim = "ppm"
    method: str = "asls"
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def _apply(self, da: xr.DataArray) -> xr.DataArray:
        from pybaselines import Baseline

        ppm = da["ppm"].values
        fitter = Baseline(x_data=ppm, check_finite=False, assume_sorted=False)
        algorithm = getattr(fitter, self.method, None)
        if algorithm is None:
            raise ProcessingError(f"pybaselines_baseline: unknown method {self.method!r}")
        rows = spectra_rows(da)
        corrected = rows.copy()
        for i, row in enumerate(rows):
            base, _ = algorithm(row.real, **self.params)
            corrected[i] = row - base
        return from_rows(da, corrected)


__all__ = ["PolynomialBaseline", "PybaselinesBaseline", "baseline_points", "region_mask"]
