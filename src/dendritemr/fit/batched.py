"""Batched Levenberg-Marquardt for series models whose parameters are all per spectrum.

When no parameter is shared or drifting, the series problem splits into independent small
problems, one per spectrum. :func:`solve_local` solves them all at once. Each pass gives every
active spectrum one trial step: the damped Gauss-Newton systems
``(J^T J + lambda diag(J^T J)) dp = -J^T r`` of all of them are solved with one batched
``numpy.linalg.solve``, every trial point is evaluated together with its normal matrix, and
each spectrum accepts or rejects its step on its own (``lambda / 3`` after a success,
``10 lambda`` after a failure). Box bounds are handled by projection. A spectrum leaves the
active set when its scaled step falls below ``xtol``, when the cosine between its residual
and every Jacobian column falls below ``gtol``, or when neither the predicted nor the actual
relative change of its cost exceeds the rounding level (``1e-14``): the tests of MINPACK's
``lmder`` (More 1978), so the cost follows the slowest spectra only where they are.

Evaluation (``_Spectra``): every line value and Jacobian column is a rotation of a pair of the
unit-area profile curves of :mod:`dendritemr.fit.lineshapes`, so with those curves stacked as
``B`` (``n_b x n_ppm`` per spectrum) ``J = C B`` for a small coefficient matrix ``C`` and
``J^T J = C (B B^T) C^T``, ``J^T r = C (B r)``: the Jacobian itself is never formed, and the
points enter through one batched product ``B B^T`` per evaluation. A Lorentzian needs four
curves (:func:`dendritemr.fit.lineshapes.lorentz_terms`), written in place.

The active spectra are processed in blocks of at most ``chunk`` spectra (default
:data:`CHUNK`) with reused buffers: the curves of one block stay in the processor cache, where
a whole-series Jacobian (2,000 spectra x 12 parameters x 512 points = 98 MB) is streamed
through memory and page-faulted afresh by the kernel at every iteration (that was half of the
CPU time of the previous, whole-series version). Every spectrum's iterates are independent of
the blocking.

Converged to the same tolerance it reaches the same minimum as a per-spectrum MINPACK loop
(see ``benchmarks/bench_fit.py`` and ``tests/fit/test_batched.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dendritemr.fit import lineshapes
from dendritemr.fit.model import PARAM_NAMES
from dendritemr.fit.problem import SeriesProblem

_LAMBDA0 = 1e-3
_LAMBDA_MIN, _LAMBDA_MAX = 1e-12, 1e12
_TINY = np.finfo(float).tiny
# relative cost change below which a spectrum is at its minimum to rounding: about 50 machine
# epsilons, the rounding error of a sum of some hundred squared residuals
_EPS_F = 1e-14
_TRIALS = 12  # consecutive rejected trials before a spectrum is declared stuck
_DOWN = 3.0  # damping divided by this after an accepted step
_UP = 10.0  # damping multiplied by this after a rejected one
CHUNK = 64  # spectra per block (see the module docstring)


@dataclass
class LocalSolution:
    """Result of :func:`solve_local` (mimics the fields of ``scipy.optimize.OptimizeResult``).

    Attributes
    ----------
    x : parameter vector in the problem's layout.
    nfev : residual (with Jacobian) evaluations per spectrum, averaged over the spectra.
    success : every spectrum met the step tolerance.
    status : 2 (all converged on ``xtol`` or ``gtol``) or 0 (iteration limit reached for some).
    message : human-readable status.
    normal : ``(n_time, m, m)`` weighted normal matrices ``J^T J`` at ``x`` (block order).
    """

    x: np.ndarray
    nfev: int
    success: bool
    status: int
    message: str
    normal: np.ndarray


_KINDS = ("a", "d", "da_du", "dd_du", "da_dw", "dd_dw", "da_de", "dd_de")  # profile outputs
_PI = np.pi
# Lorentzian: the profile quantities from the four rows of lineshapes.lorentz_terms
# (Re z, Im z, Re z^2, Im z^2 / 2) as (row, factor) pairs
_LORENTZ = {
    "a": ((0, 1 / _PI),),
    "d": ((1, 1 / _PI),),
    "da_du": ((3, -2 / _PI),),
    "dd_du": ((2, 1 / _PI),),
    "da_dw": ((2, -0.5 / _PI),),
    "dd_dw": ((3, -1 / _PI),),
}


class _Spectra:
    """Residual ``(model - y) * weight``, normal matrix ``J^T J`` and gradient ``J^T r`` of
    any subset of spectra, without forming the Jacobian ``J``.

    The per-spectrum parameters are passed as a ``(rows, m)`` array in the problem's block
    order; held values come from ``fixed``. Every line value and Jacobian column is a rotation
    ``c1 X - c2 Y`` of a pair of the unit-area profiles of :mod:`dendritemr.fit.lineshapes`
    (``A, D``; ``dA/du, dD/du``; ``dA/dwidth, dD/dwidth``; ``dA/deta, dD/deta``; see
    :func:`dendritemr.fit.lineshapes.partials`), and a baseline column is a power of the scaled
    ppm axis. Stacking these ``n_b`` basis curves of one spectrum as ``B`` ``(n_b, n_ppm)``,
    ``J = C B`` and ``model = v B`` with small per-spectrum coefficient matrices ``C``
    ``(m, n_b)`` and ``v`` ``(n_b,)``, so ``J^T J = C (B B^T) C^T`` and ``J^T r = C (B r)``:
    one batched matrix product over the points per evaluation. Lorentzian lines need only the
    four curves of :func:`dendritemr.fit.lineshapes.lorentz_terms` (every Lorentzian
    derivative is a combination of them), written in place into a reused buffer.
    """

    def __init__(self, problem: SeriesProblem, fixed: dict[str, np.ndarray]) -> None:
        self.x, self.y, self.weight = problem.x, problem.y, problem.weight
        self.m = problem.n_local
        self.fixed = {n: np.asarray(fixed[n], dtype=float) for n in PARAM_NAMES}
        self.slots = {(b.comp, b.name): j for j, b in enumerate(problem.blocks)}
        self.line_slots = [(j, b.comp, b.name) for j, b in enumerate(problem.blocks) if b.comp >= 0]
        groups: dict[str, list[int]] = {}
        for c, comp in enumerate(problem.model.components):
            groups.setdefault(comp.shape, []).append(c)
        # basis rows: per shape group, kind-major blocks of its lines
        self.groups, self.lines, row = [], [], 0
        for name, idx in groups.items():
            shape = lineshapes.get_shape(name)
            eta = any((c, "eta") in self.slots for c in idx)
            kinds = 4 if name == "lorentzian" else (8 if eta else 6)
            self.groups.append((shape, idx, row, kinds))
            for k, c in enumerate(idx):
                at = [row + q * len(idx) + k for q in range(kinds)]
                if name == "lorentzian":
                    terms = {kd: tuple((at[q], f) for q, f in v) for kd, v in _LORENTZ.items()}
                else:
                    terms = {kd: ((at[q], 1.0),) for q, kd in enumerate(_KINDS[:kinds])}
                self.lines.append((c, terms))
            row += kinds * len(idx)
        self.base = [
            (j, row + i)
            for i, j in enumerate(j for j, b in enumerate(problem.blocks) if b.comp < 0)
        ]
        orders = [int(b.name[-1]) for b in problem.blocks if b.comp < 0]
        self.n_line_rows = row
        self.n_basis = row + len(self.base)
        self.powers = np.array([problem.xn**k for k in orders]).reshape(len(orders), problem.n_ppm)
        self._basis: np.ndarray | None = None
        self._scratch: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}

    def _basis_buffer(self, n_rows: int) -> np.ndarray:
        """Reused ``(rows, n_lines, n_ppm)`` array for the line curves (the baseline curves,
        the same for every spectrum, are kept apart in ``powers``)."""
        if self._basis is None or self._basis.shape[0] < n_rows:
            self._basis = np.empty((n_rows, self.n_line_rows, self.x.size))
        return self._basis[:n_rows]

    def _work(self, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Two reused contiguous scratch arrays of ``shape`` (``shape[0]`` spectra)."""
        key = shape[1:]
        work = self._scratch.get(key)
        if work is None or work[0].shape[0] < shape[0]:
            work = self._scratch[key] = (np.empty(shape), np.empty(shape))
        return work[0][: shape[0]], work[1][: shape[0]]

    def _fill_basis(self, basis: np.ndarray, vals: dict[str, np.ndarray]) -> None:
        for shape, idx, row, kinds in self.groups:
            nk = len(idx)
            width = np.maximum(np.abs(vals["width"][:, idx, None]), lineshapes._TINY)
            center = vals["center"][:, idx, None]
            if kinds == 4:  # Lorentzian, in place
                out = tuple(basis[:, row + q * nk : row + (q + 1) * nk] for q in range(4))
                work = self._work(out[0].shape)
                np.subtract(self.x, center, out=work[0])
                lineshapes.lorentz_terms(work[0], 0.5 * width, out=out, work=work)
                continue
            prof = shape.profile(self.x - center, width, vals["eta"][:, idx, None], True)
            for q in range(kinds):
                basis[:, row + q * nk : row + (q + 1) * nk] = prof[q]

    def evaluate(self, p: np.ndarray, rows: np.ndarray):
        """Weighted residuals ``(rows, n_ppm)``, ``J^T J`` ``(rows, m, m)`` and ``J^T r``
        ``(rows, m)`` at parameters ``p`` ``(rows, m)`` of spectra ``rows``."""
        vals = {n: v[rows] for n, v in self.fixed.items()}
        for j, c, name in self.line_slots:
            vals[name][:, c] = p[:, j]
        basis = self._basis_buffer(rows.size)
        self._fill_basis(basis, vals)
        w = self.weight[rows]
        coef = np.zeros((rows.size, self.m, self.n_basis))
        v = np.zeros((rows.size, self.n_basis))

        def put(target, x, c1, y, c2):  # target += c1 X - c2 Y, X and Y as (row, factor)
            for row, f in x:
                target[:, row] += c1 * f
            for row, f in y:
                target[:, row] -= c2 * f

        for c, t in self.lines:
            amp, ph = vals["area"][:, c], vals["phase"][:, c]
            cos, sin = np.cos(ph), np.sin(ph)
            put(v, t["a"], amp * cos, t["d"], amp * sin)
            wc, ws = w * cos, w * sin
            awc, aws = amp * wc, amp * ws
            if (j := self.slots.get((c, "area"))) is not None:
                put(coef[:, j], t["a"], wc, t["d"], ws)
            if (j := self.slots.get((c, "center"))) is not None:  # d/dcenter = -d/du
                put(coef[:, j], t["da_du"], -awc, t["dd_du"], -aws)
            if (j := self.slots.get((c, "width"))) is not None:  # the line depends on |width|
                sign = np.where(vals["width"][:, c] < 0, -1.0, 1.0)
                put(coef[:, j], t["da_dw"], sign * awc, t["dd_dw"], sign * aws)
            if (j := self.slots.get((c, "phase"))) is not None:
                put(coef[:, j], t["a"], -aws, t["d"], awc)
            if (j := self.slots.get((c, "eta"))) is not None:
                put(coef[:, j], t["da_de"], awc, t["dd_de"], aws)
        for j, rb in self.base:
            v[:, rb] = p[:, j]
            coef[:, j, rb] = w
        nl = self.n_line_rows
        r = np.matmul(v[:, None, :nl], basis)[:, 0, :]
        if self.base:
            r += np.matmul(v[:, None, nl:], self.powers)[:, 0, :]
        r -= self.y[rows]
        r *= w[:, None]
        gram = np.empty((rows.size, self.n_basis, self.n_basis))
        np.matmul(basis, np.swapaxes(basis, 1, 2), out=gram[:, :nl, :nl])
        proj = np.empty((rows.size, self.n_basis, 1))
        np.matmul(basis, r[:, :, None], out=proj[:, :nl])
        if self.base:  # products with the baseline curves (spectrum by spectrum, so that a
            # spectrum's numbers do not depend on the block it is evaluated in)
            cross = np.matmul(basis, self.powers.T)
            gram[:, :nl, nl:] = cross
            gram[:, nl:, :nl] = np.swapaxes(cross, 1, 2)
            gram[:, nl:, nl:] = self.powers @ self.powers.T
            proj[:, nl:] = np.matmul(self.powers, r[:, :, None])
        normal = coef @ gram @ np.swapaxes(coef, 1, 2)
        grad = (coef @ proj)[:, :, 0]
        return r, normal, grad


def solve_local(
    problem: SeriesProblem,
    theta0: np.ndarray,
    fixed: dict[str, np.ndarray],
    xtol: float = 1e-10,
    gtol: float = 1e-10,
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
        with ``D = sqrt(diag(J^T J))``, or
    gtol : when, after an accepted step, the cosine between its residual vector and every
        Jacobian column is at most ``gtol`` (MINPACK's test; it also ends the spectra that
        sit at the minimum to rounding, whose trial steps can no longer lower the cost).
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
        limited=np.zeros(nt, dtype=bool),
        eye=np.eye(m),
    )
    chunk = max(int(chunk), 1)
    for s in range(0, nt, chunk):
        rows = np.arange(s, min(s + chunk, nt))
        state.keep(rows, *state.spectra.evaluate(state.p[rows], rows))
    evals = nt
    active = np.arange(nt)
    while active.size:
        for s in range(0, active.size, chunk):
            evals += _trial_step(state, active[s : s + chunk], xtol, gtol, max_iter)
        active = active[~state.done[active]]
    limit = int(np.sum(state.limited))
    theta = np.ascontiguousarray(state.p.T).ravel()
    msg = (
        "every spectrum converged (scaled step below xtol or gradient cosine below gtol)"
        if not limit
        else f"{limit} spectra reached the iteration limit"
    )
    nfev = int(np.ceil(evals / nt))
    return LocalSolution(theta, nfev, not limit, 0 if limit else 2, msg, state.normal)


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
    limited: np.ndarray  # (t,) stopped by the iteration limit before converging
    eye: np.ndarray

    def keep(self, rows: np.ndarray, r: np.ndarray, normal: np.ndarray, grad: np.ndarray):
        """Store cost, normal matrix and gradient of spectra ``rows`` at their ``p``."""
        self.cost[rows] = np.einsum("tn,tn->t", r, r)
        self.normal[rows] = normal
        self.grad[rows] = grad


def _trial_step(state: _State, block: np.ndarray, xtol: float, gtol: float, max_iter: int) -> int:
    """One damped Gauss-Newton trial for each spectrum of ``block``; returns the number of
    evaluations."""
    st = state
    diag = np.maximum(np.diagonal(st.normal[block], axis1=1, axis2=2), _TINY)
    damped = st.normal[block] + (st.lam[block, None] * diag)[:, :, None] * st.eye
    step = -np.linalg.solve(damped, st.grad[block][:, :, None])[:, :, 0]
    trial = np.clip(st.p[block] + step, st.lo[block], st.hi[block])
    delta = trial - st.p[block]
    # reduction of the cost predicted by the linear model, relative to the cost
    quad = np.einsum("ti,tij,tj->t", delta, st.normal[block], delta)
    cost = np.maximum(st.cost[block], _TINY)
    pred = -(2.0 * np.einsum("ti,ti->t", st.grad[block], delta) + quad) / cost
    r, normal, grad = st.spectra.evaluate(trial, block)
    c_new = np.einsum("tn,tn->t", r, r)
    ok = c_new <= st.cost[block]
    # MINPACK's "no further reduction possible": predicted and actual relative reductions at
    # the rounding level of the cost
    flat = (pred <= _EPS_F) & (np.abs(st.cost[block] - c_new) <= _EPS_F * cost)
    acc, bad = block[ok], block[~ok]
    if acc.size:
        dscale = np.sqrt(diag[ok])
        dp = np.linalg.norm(dscale * (trial[ok] - st.p[acc]), axis=1)
        size = np.linalg.norm(dscale * st.p[acc], axis=1)
        st.p[acc] = trial[ok]
        st.keep(acc, r[ok], normal[ok], grad[ok])
        st.lam[acc] = np.maximum(st.lam[acc] / _DOWN, _LAMBDA_MIN)
        st.fails[acc] = 0
        st.steps[acc] += 1
        # MINPACK's gtol test: cosine between r and every Jacobian column, |J_i^T r| / (|J_i| |r|)
        norms = np.diagonal(normal[ok], axis1=1, axis2=2) * c_new[ok, None]
        cosine = np.max(np.abs(grad[ok]) / np.sqrt(np.maximum(norms, _TINY)), axis=1)
        small = (dp <= xtol * (size + xtol)) | (cosine <= gtol)
        converged = small | flat[ok]
        st.limited[acc] = ~converged & (st.steps[acc] >= max_iter)
        st.done[acc] = converged | st.limited[acc]
    if bad.size:
        st.lam[bad] = np.minimum(st.lam[bad] * _UP, _LAMBDA_MAX)
        st.fails[bad] += 1
        # no decrease at any damping, or none possible: at the minimum to rounding
        st.done[bad] = (st.fails[bad] >= _TRIALS) | flat[~ok]
    return block.size
