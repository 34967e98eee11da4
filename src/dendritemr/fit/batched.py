"""Batched Levenberg-Marquardt for series models whose parameters are all per spectrum.

When no parameter is shared or drifting, the series problem splits into independent small
problems, one per spectrum. :func:`solve_local` solves them all at once: every iteration forms
the ``m x m`` normal matrices of all active spectra with one batched matrix product, solves the
damped Gauss-Newton systems with one batched ``numpy.linalg.solve`` and accepts or rejects each
spectrum's step on its own (Marquardt damping ``lambda diag(J^T J)``, Nielsen-style update).
Spectra leave the active set as soon as their scaled step falls below ``xtol``, so the cost
follows the slowest spectra only where they are. Box bounds are handled by projection.

The active spectra are processed in blocks of at most ``chunk`` spectra (default
:data:`CHUNK`): the model values and the ``(chunk, m, n_ppm)`` Jacobian of one block fit in
the processor cache and their buffers are reused, where a whole-series Jacobian (2,000
spectra x 12 parameters x 512 points = 98 MB) would be streamed through memory and freshly
page-faulted by the kernel at every iteration. Every spectrum's iterates are independent of
the blocking (each spectrum has its own damping, acceptance and stopping test).

This is the MINPACK ``lmder`` algorithm (More 1978) in spirit, without the trust-region radius
bookkeeping; converged to the same tolerance it reaches the same minimum as a per-spectrum
loop (see ``benchmarks/bench_fit.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dendritemr.fit import lineshapes
from dendritemr.fit.model import PARAM_NAMES
from dendritemr.fit.problem import SeriesProblem

_LAMBDA0 = 1e-3
_LAMBDA_MIN, _LAMBDA_MAX = 1e-12, 1e12
_TRIALS = 12  # damping increases per iteration before a spectrum is declared stuck
CHUNK = 32  # spectra per block (see the module docstring)

_SHAPE_ARG = {"area": "amplitude", "center": "center", "width": "width", "phase": "phase"}


@dataclass
class LocalSolution:
    """Result of :func:`solve_local` (mimics the fields of ``scipy.optimize.OptimizeResult``).

    Attributes
    ----------
    x : parameter vector in the problem's layout.
    nfev : residual evaluations, counted per spectrum and divided by the number of spectra.
    success : every spectrum met the step tolerance.
    status : 2 (all converged on ``xtol``) or 0 (iteration limit reached for some).
    message : human-readable status.
    """

    x: np.ndarray
    nfev: int
    success: bool
    status: int
    message: str


class _Spectra:
    """Residual ``(model - y) * weight`` and its Jacobian for any subset of spectra.

    The per-spectrum parameters are passed as a ``(rows, m)`` array in the problem's block
    order; held values come from ``fixed``. The unit-area profiles ``A, D`` and their
    derivatives are those of :mod:`dendritemr.fit.lineshapes`; every line value and Jacobian
    column is a rotation ``c1 X - c2 Y`` of one of their pairs (see
    :func:`dendritemr.fit.lineshapes.partials`), formed with the weight folded into the
    per-spectrum coefficients and written straight into a reused ``(chunk, m, n_ppm)`` buffer.
    """

    def __init__(self, problem: SeriesProblem, fixed: dict[str, np.ndarray]) -> None:
        self.x, self.y, self.weight = problem.x, problem.y, problem.weight
        self.fixed = {n: np.asarray(fixed[n], dtype=float) for n in PARAM_NAMES}
        base = [(j, int(b.name[-1])) for j, b in enumerate(problem.blocks) if b.comp < 0]
        self.base_cols = np.array([j for j, _ in base], dtype=int)
        self.powers = np.array([problem.xn**k for _, k in base]).reshape(len(base), problem.n_ppm)
        self.line_slots = [(j, b.comp, b.name) for j, b in enumerate(problem.blocks) if b.comp >= 0]
        self.groups: list[tuple[lineshapes.Lineshape, list[int]]] = []
        for c, comp in enumerate(problem.model.components):
            for shape, idx in self.groups:
                if shape.name == comp.shape:
                    idx.append(c)
                    break
            else:
                self.groups.append((lineshapes.get_shape(comp.shape), [c]))
        self._buffers: dict[tuple, np.ndarray] = {}

    def _buffer(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        """A scratch array of ``shape``, reused between calls (no page faults per call)."""
        buf = self._buffers.get(key)
        if buf is None or buf.shape[0] < shape[0] or buf.shape[1:] != shape[1:]:
            buf = self._buffers[key] = np.empty(shape)
        return buf[: shape[0]]

    def _values(self, p: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
        vals = {n: v[rows] for n, v in self.fixed.items()}
        for j, c, name in self.line_slots:
            vals[name][:, c] = p[:, j]
        return vals

    def _baseline_minus_y(self, p: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if not self.base_cols.size:
            return -self.y[rows]
        out = p[:, self.base_cols] @ self.powers
        out -= self.y[rows]
        return out

    def _profiles(self, shape, vals, idx, derivs):
        u = self.x - vals["center"][:, idx, None]
        width = vals["width"][:, idx, None]
        sign = np.where(width < 0, -1.0, 1.0)
        width = np.maximum(np.abs(width), lineshapes._TINY)
        prof = shape.profile(u, width, vals["eta"][:, idx, None], derivs)
        return prof, sign[:, :, 0]

    def residual(self, p: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Weighted residuals ``(rows, n_ppm)``."""
        vals, r = self._values(p, rows), self._baseline_minus_y(p, rows)
        tmp = self._buffer("tmp", r.shape)
        for shape, idx in self.groups:
            (a, d), _ = self._profiles(shape, vals, idx, False)
            amp, ph = vals["area"][:, idx], vals["phase"][:, idx]
            ac, as_ = amp * np.cos(ph), amp * np.sin(ph)
            for k in range(len(idx)):
                r += np.multiply(a[:, k], ac[:, k, None], out=tmp)
                r -= np.multiply(d[:, k], as_[:, k, None], out=tmp)
        r *= self.weight[rows, None]
        return r

    def residual_and_jacobian(self, p: np.ndarray, rows: np.ndarray):
        """Weighted residuals ``(rows, n_ppm)`` and Jacobian ``(rows, m, n_ppm)``.

        The Jacobian lives in a reused buffer: it is valid until the next call.
        """
        vals, r = self._values(p, rows), self._baseline_minus_y(p, rows)
        n = self.x.size
        w = self.weight[rows, None]
        r *= w
        jac = self._buffer("jac", (rows.size, p.shape[1], n))
        tmp = self._buffer("tmp", r.shape)
        slots = {(c, name): j for j, c, name in self.line_slots}

        def rotate(out, x, c1, y, c2):  # out = c1 x - c2 y (c1, c2: (rows,) coefficients)
            np.multiply(x, c1[:, None], out=out)
            out -= np.multiply(y, c2[:, None], out=tmp)
            return out

        for shape, idx in self.groups:
            prof, sign = self._profiles(shape, vals, idx, True)
            a, d, da_du, dd_du, da_dw, dd_dw, da_de, dd_de = prof
            amp, ph = vals["area"][:, idx], vals["phase"][:, idx]
            cw, sw = np.cos(ph) * w, np.sin(ph) * w
            acw, asw = amp * cw, amp * sw
            for k, c in enumerate(idx):
                j = slots.get((c, "area"))
                col = jac[:, j] if j is not None else self._buffer("unit", r.shape)
                rotate(col, a[:, k], cw[:, k], d[:, k], sw[:, k])
                r += np.multiply(col, amp[:, k, None], out=tmp)
                if (j := slots.get((c, "center"))) is not None:
                    rotate(jac[:, j], dd_du[:, k], asw[:, k], da_du[:, k], acw[:, k])
                if (j := slots.get((c, "width"))) is not None:
                    s = sign[:, k]
                    rotate(jac[:, j], da_dw[:, k], s * acw[:, k], dd_dw[:, k], s * asw[:, k])
                if (j := slots.get((c, "phase"))) is not None:
                    rotate(jac[:, j], d[:, k], -acw[:, k], a[:, k], asw[:, k])
                if (j := slots.get((c, "eta"))) is not None:
                    rotate(jac[:, j], da_de[:, k], acw[:, k], dd_de[:, k], asw[:, k])
        if self.base_cols.size:
            jac[:, self.base_cols] = self.powers
            jac[:, self.base_cols] *= w[:, :, None]
        return r, jac


def solve_local(
    problem: SeriesProblem,
    theta0: np.ndarray,
    fixed: dict[str, np.ndarray],
    xtol: float = 1e-10,
    max_iter: int = 200,
    chunk: int = CHUNK,
) -> LocalSolution:
    """Minimise the series residual of an all-local problem spectrum by spectrum, batched.

    Parameters
    ----------
    problem : series problem without global (shared or drifting) parameters.
    theta0 : starting parameters in the problem's layout, within bounds.
    fixed : held and starting values (see :meth:`SeriesProblem.values`).
    xtol : a spectrum has converged when its scaled step ``||D dp|| <= xtol (||D p|| + xtol)``
        with ``D = sqrt(diag(J^T J))``.
    max_iter : maximum accepted steps (Jacobian updates) per spectrum.
    chunk : spectra evaluated together (memory per block: ``chunk * m * n_ppm`` floats); the
        result does not depend on it.

    Returns
    -------
    LocalSolution

    Notes
    -----
    Every trial point is evaluated with its Jacobian, and the normal matrix ``J^T J`` and
    gradient ``J^T r`` of an accepted point are kept (``m x m`` and ``m`` numbers per
    spectrum), so an accepted step costs one evaluation instead of a residual plus a Jacobian.
    Each spectrum's sequence of trials is that of the textbook loop: solve
    ``(J^T J + lambda diag(J^T J)) dp = -J^T r``, accept if the cost does not rise (then
    ``lambda / 3`` and the convergence test), else ``10 lambda``; :data:`_TRIALS`
    consecutive rejections mean no decrease is possible at any damping (converged to rounding).
    """
    if problem.n_global:
        raise ValueError("solve_local needs a model without shared or drifting parameters")
    nt, m = problem.n_time, problem.n_local
    state = _State(
        spectra=_Spectra(problem, fixed),
        p=np.ascontiguousarray(np.asarray(theta0, dtype=float).reshape(m, nt).T),
        lo=problem.lower.reshape(m, nt).T,
        hi=problem.upper.reshape(m, nt).T,
        cost=np.empty(nt),
        normal=np.empty((nt, m, m)),
        grad=np.empty((nt, m)),
        lam=np.full(nt, _LAMBDA0),
        fails=np.zeros(nt, dtype=int),
        steps=np.zeros(nt, dtype=int),
        done=np.zeros(nt, dtype=bool),
        eye=np.eye(m),
    )
    chunk = max(int(chunk), 1)
    for s in range(0, nt, chunk):
        rows = np.arange(s, min(s + chunk, nt))
        r, jac = state.spectra.residual_and_jacobian(state.p[rows], rows)
        state.keep(rows, r, jac)
    evals = nt
    active = np.arange(nt)
    while active.size:
        for s in range(0, active.size, chunk):
            evals += _trial_step(state, active[s : s + chunk], xtol, max_iter)
        active = active[~state.done[active]]
    limit = int(np.sum(state.steps >= max_iter))
    theta = np.ascontiguousarray(state.p.T).ravel()
    msg = (
        "every spectrum converged (scaled step below xtol)"
        if not limit
        else f"{limit} spectra reached the iteration limit"
    )
    return LocalSolution(theta, int(np.ceil(evals / nt)), not limit, 0 if limit else 2, msg)


@dataclass
class _State:
    """Per-spectrum state of :func:`solve_local` (arrays indexed by spectrum)."""

    spectra: _Spectra
    p: np.ndarray  # (t, m) parameters
    lo: np.ndarray
    hi: np.ndarray
    cost: np.ndarray  # (t,) sum of squared weighted residuals at p
    normal: np.ndarray  # (t, m, m) J^T J at p
    grad: np.ndarray  # (t, m) J^T r at p
    lam: np.ndarray  # (t,) Marquardt damping
    fails: np.ndarray  # (t,) consecutive rejected trials
    steps: np.ndarray  # (t,) accepted steps
    done: np.ndarray  # (t,) converged, stuck or at the iteration limit
    eye: np.ndarray

    def keep(self, rows: np.ndarray, r: np.ndarray, jac: np.ndarray) -> None:
        """Store cost, normal matrix and gradient of spectra ``rows`` at their ``p``."""
        self.cost[rows] = np.einsum("tn,tn->t", r, r)
        self.normal[rows] = jac @ np.swapaxes(jac, 1, 2)
        self.grad[rows] = np.einsum("tmn,tn->tm", jac, r)


def _trial_step(state: _State, block: np.ndarray, xtol: float, max_iter: int) -> int:
    """One damped Gauss-Newton trial for each spectrum of ``block``; returns the number of
    evaluations."""
    st = state
    diag = np.maximum(np.diagonal(st.normal[block], axis1=1, axis2=2), np.finfo(float).tiny)
    damped = st.normal[block] + (st.lam[block, None] * diag)[:, :, None] * st.eye
    step = -np.linalg.solve(damped, st.grad[block][:, :, None])[:, :, 0]
    trial = np.clip(st.p[block] + step, st.lo[block], st.hi[block])
    r, jac = st.spectra.residual_and_jacobian(trial, block)
    c_new = np.einsum("tn,tn->t", r, r)
    ok = c_new <= st.cost[block]
    acc, bad = block[ok], block[~ok]
    if acc.size:
        dscale = np.sqrt(diag[ok])
        dp = np.linalg.norm(dscale * (trial[ok] - st.p[acc]), axis=1)
        size = np.linalg.norm(dscale * st.p[acc], axis=1)
        st.p[acc] = trial[ok]
        if acc.size == block.size:
            st.keep(acc, r, jac)
        else:
            st.keep(acc, r[ok], jac[ok])
        st.lam[acc] = np.maximum(st.lam[acc] / 3.0, _LAMBDA_MIN)
        st.fails[acc] = 0
        st.steps[acc] += 1
        st.done[acc] = (dp <= xtol * (size + xtol)) | (st.steps[acc] >= max_iter)
    if bad.size:
        st.lam[bad] = np.minimum(st.lam[bad] * 10.0, _LAMBDA_MAX)
        st.fails[bad] += 1
        st.done[bad] = st.fails[bad] >= _TRIALS  # no decrease at any damping: at the minimum
    return block.size
