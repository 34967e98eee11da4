"""The whole-series least-squares problem: parameter layout, residual and sparse Jacobian.

All spectra share one parameter vector ``theta`` laid out as

1. *local* blocks: one entry per spectrum for every ``"free"`` line parameter and every
   baseline coefficient (block ``b``, spectrum ``t`` -> index ``b * n_time + t``);
2. *global* blocks: the coefficients of every ``"shared"``, ``"linear"`` or ``"smooth"``
   parameter (see :mod:`dendritemr.fit.drift`).

The Jacobian of the residual ``(model - data) * weight`` is assembled from the analytic
lineshape partials into a CSR matrix whose sparsity pattern is fixed: a local column touches the
points of one spectrum, a global column those of all spectra. Residual and
Jacobian are evaluated for all spectra at once with array operations (no loop over spectra).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from dendritemr.fit import lineshapes
from dendritemr.fit.drift import time_basis
from dendritemr.fit.model import BASELINES, PARAM_NAMES, SeriesModel

_SHAPE_ARG = {
    "area": "amplitude",
    "center": "center",
    "width": "width",
    "phase": "phase",
    "eta": "eta",
}


@dataclass(frozen=True)
class Block:
    """One parameter's slice of ``theta``.

    Attributes
    ----------
    comp : component index (-1 for baseline coefficients).
    name : parameter name (``"area"`` ... or ``"baseline0"``, ``"baseline1"``).
    start : first index in ``theta``.
    basis : ``None`` for a local block (``n_time`` entries), else the ``(n_time, k)`` time basis.
    """

    comp: int
    name: str
    start: int
    basis: np.ndarray | None

    @property
    def size(self) -> int:
        """Number of entries of ``theta`` this block holds."""
        return self.basis.shape[1] if self.basis is not None else -1


class BlockArrowLayout:
    """CSR assembly shared by the series problems: ``n_time`` spectra of ``n_ppm`` residuals,
    ``n_local`` per-spectrum parameter blocks (block ``b`` of spectrum ``t`` at
    ``b * n_time + t``) and ``n_global`` series-wide coefficients after them (``_csr`` caches
    the pattern; set it to ``None`` in ``__init__``)."""

    n_time: int
    n_ppm: int
    n_local: int
    n_global: int
    n_theta: int
    _csr: tuple[np.ndarray, np.ndarray] | None

    def _pattern(self) -> tuple[np.ndarray, np.ndarray]:
        """Fixed CSR pattern, built on first use: row (t, n) holds the local columns
        ``b * n_time + t``, then all globals."""
        if self._csr is None:
            nt = self.n_time
            per_row = self.n_local + self.n_global
            cols = np.empty((nt, per_row), dtype=np.int64)
            cols[:, : self.n_local] = np.arange(self.n_local)[None, :] * nt + np.arange(nt)[:, None]
            cols[:, self.n_local :] = self.n_local * nt + np.arange(self.n_global)[None, :]
            indices = np.repeat(cols[:, None, :], self.n_ppm, axis=1).ravel()
            indptr = np.arange(nt * self.n_ppm + 1, dtype=np.int64) * per_row
            self._csr = (indices, indptr)
        return self._csr

    def assemble(self, local: np.ndarray, glob: np.ndarray) -> sparse.csr_matrix:
        """CSR matrix from the blocks of :meth:`jacobian_blocks` (or transformed ones)."""
        blocks = np.concatenate([local, glob], axis=1) if glob.size else local
        data = np.ascontiguousarray(blocks.transpose(0, 2, 1)).ravel()
        shape = (self.n_time * self.n_ppm, self.n_theta)
        indices, indptr = self._pattern()
        return sparse.csr_matrix((data, indices, indptr), shape=shape)


class SeriesProblem(BlockArrowLayout):
    """Residual and Jacobian of a :class:`SeriesModel` on a series of real spectra.

    Parameters
    ----------
    model : the component model.
    x : ppm axis, shape ``(n_ppm,)`` (any order).
    y : real spectra, shape ``(n_time, n_ppm)``.
    tau : scaled acquisition times in [0, 1], shape ``(n_time,)``.
    weight : per-spectrum residual weights (1 / noise sigma), shape ``(n_time,)``.
    """

    def __init__(
        self, model: SeriesModel, x: np.ndarray, y: np.ndarray, tau: np.ndarray, weight: np.ndarray
    ) -> None:
        self.model = model
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.n_time, self.n_ppm = self.y.shape
        self.weight = np.asarray(weight, dtype=float)
        half = 0.5 * np.ptp(self.x) or 1.0
        self.xn = (self.x - 0.5 * (self.x.max() + self.x.min())) / half
        self.tau = np.asarray(tau, dtype=float)
        self._csr = None
        self._layout(self.tau)

    def subset(self, rows: np.ndarray) -> SeriesProblem:
        """The same problem restricted to spectra ``rows`` (only for models without global
        parameters, whose layout does not couple spectra)."""
        if self.n_global:
            raise ValueError("subset() needs a model without shared or drifting parameters")
        return SeriesProblem(self.model, self.x, self.y[rows], self.tau[rows], self.weight[rows])

    # ------------------------------------------------------------------ layout
    def _layout(self, tau: np.ndarray) -> None:
        local, glob, lo, hi = [], [], [], []
        nt = self.n_time
        for c, comp in enumerate(self.model.components):
            for name in PARAM_NAMES:
                p = comp.param(name)
                if p.vary == "free":
                    local.append((c, name, None, p))
                elif p.vary != "fixed":
                    glob.append((c, name, time_basis(p.vary, tau, p.n_coef), p))
        for k in range(BASELINES[self.model.baseline]):
            local.append((-1, f"baseline{k}", None, None))
        blocks, start = [], 0
        for c, name, _, p in local:
            blocks.append(Block(c, name, start, None))
            lo.append(np.full(nt, -np.inf if p is None else p.min))
            hi.append(np.full(nt, np.inf if p is None else p.max))
            start += nt
        for c, name, basis, p in glob:
            blocks.append(Block(c, name, start, basis))
            lo.append(np.full(basis.shape[1], p.min))
            hi.append(np.full(basis.shape[1], p.max))
            start += basis.shape[1]
        self.blocks = blocks
        self.n_local = len(local)
        self.n_global = start - self.n_local * nt
        self.n_theta = start
        self.lower = np.concatenate(lo) if lo else np.zeros(0)
        self.upper = np.concatenate(hi) if hi else np.zeros(0)

    # ------------------------------------------------------------------ values
    def values(self, theta: np.ndarray, fixed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per-spectrum values ``{name: (n_time, n_comp)}`` plus ``"baseline"`` ``(n_time, nb)``.

        ``fixed`` supplies the starting/held values; blocks of ``theta`` overwrite them.
        """
        out = {name: np.array(fixed[name], dtype=float, copy=True) for name in PARAM_NAMES}
        nb = BASELINES[self.model.baseline]
        base = np.zeros((self.n_time, nb))
        for b in self.blocks:
            if b.basis is None:
                v = theta[b.start : b.start + self.n_time]
            else:
                v = b.basis @ theta[b.start : b.start + b.size]
            if b.comp < 0:
                base[:, int(b.name[-1])] = v
            else:
                out[b.name][:, b.comp] = v
        out["baseline"] = base
        return out

    def theta_from_values(self, vals: dict[str, np.ndarray]) -> np.ndarray:
        """Inverse of :meth:`values` (least-squares projection for drift bases), within bounds."""
        theta = np.empty(self.n_theta)
        for b in self.blocks:
            v = vals["baseline"][:, int(b.name[-1])] if b.comp < 0 else vals[b.name][:, b.comp]
            if b.basis is None:
                theta[b.start : b.start + self.n_time] = v
            else:
                theta[b.start : b.start + b.size] = np.linalg.lstsq(b.basis, v, rcond=None)[0]
        span = np.where(np.isfinite(self.upper - self.lower), self.upper - self.lower, 1.0)
        eps = 1e-9 * np.maximum(span, 1.0)
        return np.clip(theta, self.lower + eps, self.upper - eps)

    # ------------------------------------------------------------------ model
    def _shape_groups(self):
        groups: dict[str, list[int]] = {}
        for c, comp in enumerate(self.model.components):
            groups.setdefault(comp.shape, []).append(c)
        return groups.items()

    def _args(self, vals, idx):
        return {_SHAPE_ARG[n]: vals[n][:, idx, None] for n in PARAM_NAMES}

    def curves(self, vals: dict[str, np.ndarray]) -> np.ndarray:
        """Line curves, shape ``(n_time, n_comp, n_ppm)``."""
        out = np.empty((self.n_time, len(self.model.components), self.n_ppm))
        for shape, idx in self._shape_groups():
            out[:, idx] = lineshapes.evaluate(shape, self.x, **self._args(vals, idx))
        return out

    def baseline(self, vals: dict[str, np.ndarray]) -> np.ndarray:
        """Baseline curves, shape ``(n_time, n_ppm)``."""
        coef = vals["baseline"]
        powers = np.vstack([self.xn**k for k in range(coef.shape[1])]) if coef.size else None
        return coef @ powers if powers is not None else np.zeros((self.n_time, self.n_ppm))

    def predict(self, vals: dict[str, np.ndarray]) -> np.ndarray:
        """Model spectra (lines plus baseline), shape ``(n_time, n_ppm)``."""
        return self.curves(vals).sum(axis=1) + self.baseline(vals)

    def residual(self, theta: np.ndarray, fixed: dict[str, np.ndarray]) -> np.ndarray:
        """Weighted residual ``(model - y) * weight``, flattened time-major."""
        r = self.predict(self.values(theta, fixed))
        r -= self.y
        r *= self.weight[:, None]
        return r.ravel()

    def jacobian_blocks(
        self, theta: np.ndarray, fixed: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weighted Jacobian as dense blocks, one row of columns per spectrum.

        Returns
        -------
        local : ``(n_time, n_local, n_ppm)``: d residual(t, n) / d local block ``b`` at ``t``.
        glob : ``(n_time, n_global, n_ppm)``: d residual(t, n) / d global coefficient.
        """
        vals = self.values(theta, fixed)
        w = self.weight[:, None, None]
        where = {}  # component -> (partials of its shape group, position in the group)
        for shape, idx in self._shape_groups():
            d = lineshapes.partials(shape, self.x, **self._args(vals, idx))
            where.update({c: (d, k) for k, c in enumerate(idx)})
        cols, gcols = [], []
        for b in self.blocks:
            if b.comp < 0:
                col = (self.xn ** int(b.name[-1]))[None, None, :]
            else:
                d, k = where[b.comp]
                col = d[_SHAPE_ARG[b.name]][:, k : k + 1]
            if b.basis is None:
                cols.append(np.broadcast_to(col * w, (self.n_time, 1, self.n_ppm)))
            else:
                gcols.append(col * w * b.basis[:, :, None])
        empty = np.empty((self.n_time, 0, self.n_ppm))
        local = np.concatenate(cols, axis=1) if cols else empty
        glob = np.concatenate(gcols, axis=1) if gcols else empty
        return local, glob

    def jacobian(self, theta: np.ndarray, fixed: dict[str, np.ndarray]) -> sparse.csr_matrix:
        """Weighted Jacobian d residual / d theta as a CSR matrix."""
        return self.assemble(*self.jacobian_blocks(theta, fixed))
