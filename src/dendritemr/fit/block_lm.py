"""Levenberg-Marquardt for block-arrow least-squares problems (series with shared parameters).

A series fit has per-spectrum (local) parameters and series-wide (global) ones, so the normal
matrix ``J^T J`` is block-arrow shaped (see :mod:`dendritemr.fit.covariance`). Each damped
Gauss-Newton step ``(J^T J + lambda D) delta = -J^T r`` is solved through the Schur complement
of the global block: ``n_time`` small ``m x m`` solves and one ``g x g`` solve, batched in numpy,
instead of a sparse iterative solve of the whole system. Columns are Jacobi-scaled and the
damping is Marquardt's (``D = diag(J^T J)``; ``lambda`` divided by 3 after a success,
doubled increasingly after a failure; More 1978). Box bounds are kept by projecting each
trial point onto the box, and parameters held at a bound by their gradient are left out of the
step (:func:`_freeze_active`).

The problem object provides ``n_time``, ``n_local``, ``n_global``, ``lower``, ``upper``,
``residual(theta)`` (flattened time-major, ``n_time * n_pts``) and ``jacobian_blocks(theta)``
returning ``(local (n_time, n_local, n_pts), glob (n_time, n_global, n_pts))``; the local block
``b`` of spectrum ``t`` sits at ``theta[b * n_time + t]`` and the globals after them. Optional:
``local_support`` (see :func:`normal_blocks`) and ``jacobian_reuse`` (true: the solver calls
``jacobian_blocks(theta, reuse=True)``, which may refill and return the same arrays each time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BlockSolution", "normal_blocks", "solve_block_arrow"]


@dataclass
class BlockSolution:
    """Result (fields as in ``scipy.optimize.OptimizeResult``)."""

    x: np.ndarray
    cost: float
    nfev: int
    nit: int
    success: bool
    status: int
    message: str


def _split(problem, theta):
    nt, m = problem.n_time, problem.n_local
    return theta[: m * nt].reshape(m, nt).T, theta[m * nt :]


def _join(problem, loc, glob):
    return np.concatenate([loc.T.ravel(), glob])


def normal_blocks(
    local: np.ndarray,
    glob: np.ndarray,
    rr: np.ndarray,
    support: list[tuple[slice, slice]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Blocks of the normal matrix ``J^T J`` and of the gradient ``J^T r`` of a block-arrow
    Jacobian.

    Parameters
    ----------
    local : ``(n_time, m, n_pts)`` local Jacobian rows; glob : ``(n_time, g, n_pts)``;
    rr : residuals ``(n_time, n_pts)``.
    support : optional ``(row slice, point slice)`` groups that partition the local rows, the
        local Jacobian being zero outside them (``problem.local_support``, e.g. one group per
        nucleus of a joint fit); the products then skip the zeros (same values to rounding).
        None, or groups that do not partition the rows: dense products.

    Returns
    -------
    ``a (n_time, m, m)``, ``c (n_time, m, g)``, ``s (g, g)`` (summed over time),
    ``gl (n_time, m)``, ``gg (g,)``.

    Every product is a batched ``matmul`` over time (one BLAS call per time point on the
    contiguous blocks): ``einsum("tgn,thn->gh", ..., optimize=True)`` copied ``glob`` into a
    transposed layout on every call and took ~5x as long (52-pair series, 35 globals x 4,302
    points: 81 ms against 16 ms per iteration, one BLAS thread).
    """
    g = glob.shape[1]
    nt, m, _ = local.shape
    if _partitions(support, m):
        a, gl, c = np.zeros((nt, m, m)), np.zeros((nt, m)), np.zeros((nt, m, g))
        for rows, cols in support:
            blk = local[:, rows, cols]
            a[:, rows, rows] = blk @ np.swapaxes(blk, 1, 2)
            gl[:, rows] = (blk @ rr[:, cols, None])[:, :, 0]
            if g:
                c[:, rows, :] = blk @ np.swapaxes(glob[:, :, cols], 1, 2)
    else:
        a = local @ np.swapaxes(local, 1, 2)
        gl = (local @ rr[:, :, None])[:, :, 0]
        c = local @ np.swapaxes(glob, 1, 2) if g else None
    if g:
        s = (glob @ np.swapaxes(glob, 1, 2)).sum(axis=0)
        gg = (glob @ rr[:, :, None])[:, :, 0].sum(axis=0)
    else:
        c = np.zeros((nt, m, 0))
        s, gg = np.zeros((0, 0)), np.zeros(0)
    return a, c, s, gl, gg


def _partitions(support, m: int) -> bool:
    """``support`` row slices cover ``0..m-1`` exactly once."""
    if not support:
        return False
    seen = np.zeros(m, dtype=int)
    for rows, _ in support:
        seen[rows] += 1
    return bool(np.all(seen == 1))


#: damping divided by this after an accepted step (Marquardt 1963 used 10; 10 took the
#: simulated 52-pair series to the 200-iteration limit, 3 converges in fewer evaluations)
LAMBDA_DOWN = 3.0

#: leave parameters held at a bound by their gradient out of the step (:func:`_freeze_active`).
#: The default of :func:`solve_block_arrow`'s ``active_set``; False (projection alone, the solver
#: before 8654280) only as the named baseline of ``benchmarks/bench_block_lm.py``, which sets
#: it to reach the solver through :func:`dendritemr.quant.decompose.decompose`.
ACTIVE_SET = True


def _freeze_active(problem, theta, an, cn, sn, gln, ggn):
    """Take the parameters held by their bounds out of the step (an active set).

    A parameter at its lower (upper) bound whose descent direction ``-J^T r`` points below
    (above) it would be clipped back after the step; the step of the other parameters, solved
    as if it moved, is then inconsistent, the trial fails, the damping rises and the solver
    crawls. Those parameters get a zero row and column in the (scaled) normal matrix, a unit
    diagonal and a zero gradient, so their step is exactly zero and the others' step is the
    Levenberg-Marquardt step of the problem with them held (the projected-gradient active set;
    e.g. Kanzow, Yamashita & Fukushima, J. Comput. Appl. Math. 172, 375 (2004)). Real TEGDME
    7Li series (a microstructure area at 0 in 8 spectra, a centre spline at its offset bound):
    chi-square 1755955 after the 200-iteration limit without it, 1752440 in 10 iterations with
    it (``benchmarks/bench_block_lm.py``: decompose 16.6x less CPU, the series fit alone 26x).
    Tried in stop 17 and not kept: solving a step again with the parameters it would carry
    across a bound held at it (projected Newton): 70/81 -> 44/36 iterations on the comb fits of
    simulated default seed 3, but it led other fits to worse minima (a reference pair's second
    electrolyte line held at 0: chi-square 5249.6 against 5237.3, K's error 130 %; default seed
    5: amounts within 10 %/2 SE at 63 of 74 points against 72); restricted to fixed-shape
    lines it gained little (57/48 iterations).
    Returns new arrays (the inputs are not changed) or the inputs when nothing is held. The
    reported errors use the same active set (:meth:`dendritemr.fit.joint.JointProblem.covariance`
    with ``held_at_bounds``).
    """
    lo, hi = problem.lower, problem.upper
    loc, glo = _split(problem, theta)
    lol, log_ = _split(problem, lo)
    hil, hig = _split(problem, hi)
    fl = ((loc <= lol) & (gln > 0)) | ((loc >= hil) & (gln < 0))
    fg = ((glo <= log_) & (ggn > 0)) | ((glo >= hig) & (ggn < 0))
    if not (fl.any() or fg.any()):
        return an, cn, sn, gln, ggn
    an, cn, sn, gln, ggn = an.copy(), cn.copy(), sn.copy(), gln.copy(), ggn.copy()
    tt, ii = np.nonzero(fl)
    an[tt, ii, :] = 0.0
    an[tt, :, ii] = 0.0
    an[tt, ii, ii] = 1.0
    cn[tt, ii, :] = 0.0
    gln[tt, ii] = 0.0
    jj = np.flatnonzero(fg)
    if jj.size:
        sn[jj, :] = 0.0
        sn[:, jj] = 0.0
        sn[jj, jj] = 1.0
        cn[:, :, jj] = 0.0
        ggn[jj] = 0.0
    return an, cn, sn, gln, ggn


def solve_block_arrow(
    problem,
    theta0: np.ndarray,
    *,
    max_iter: int = 200,
    ftol: float = 1e-10,
    xtol: float = 1e-10,
    cost_atol: float = 0.0,
    active_set: bool | None = None,
) -> BlockSolution:
    """Minimise ``|residual(theta)|^2`` within ``[lower, upper]``.

    Parameters
    ----------
    problem : see the module docstring.
    theta0 : starting parameters (projected onto the bounds).
    max_iter : iteration limit.
    ftol : stop when an accepted step lowers the cost by less than ``ftol`` relative.
    xtol : stop when the scaled step is below ``xtol`` relative to the scaled parameters.
    cost_atol : stop when an accepted step lowers the cost by less than this (absolute). For
        residuals divided by the noise the cost is chi-square, and a decrease far below 1 moves
        the parameters by a small fraction of their standard errors (Delta chi^2 = 1 is one
        standard error; Press et al., Numerical Recipes, 15.6): e.g. 1e-3 stops within ~0.03 SE.
    active_set : leave parameters held at a bound by their gradient out of the step
        (:func:`_freeze_active`); None: :data:`ACTIVE_SET` (True). False: trial points are only
        projected onto the box (the baseline of ``benchmarks/bench_block_lm.py``).
    """
    if active_set is None:
        active_set = ACTIVE_SET
    lo, hi = problem.lower, problem.upper
    theta = np.clip(np.asarray(theta0, dtype=float), lo, hi)
    nt, m, g = problem.n_time, problem.n_local, problem.n_global
    support = getattr(problem, "local_support", None)
    reuse = bool(getattr(problem, "jacobian_reuse", False))
    r = problem.residual(theta)
    cost = float(r @ r)
    lam, nu, nfev = 1e-3, 2.0, 1
    status, message = 0, "iteration limit reached"
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        if reuse:  # the previous iteration's Jacobian is no longer needed
            local, glob = problem.jacobian_blocks(theta, reuse=True)
        else:
            local, glob = problem.jacobian_blocks(theta)
        a, c, s, gl, gg = normal_blocks(local, glob, r.reshape(nt, -1), support)
        # Jacobi scaling
        dl = np.sqrt(np.maximum(np.diagonal(a, axis1=1, axis2=2), 1e-300))  # (t, m)
        dg = np.sqrt(np.maximum(np.diagonal(s), 1e-300)) if g else np.zeros(0)
        an = a / (dl[:, :, None] * dl[:, None, :])
        cn = c / (dl[:, :, None] * dg[None, None, :]) if g else c
        sn = s / np.outer(dg, dg) if g else s
        gln, ggn = gl / dl, (gg / dg if g else gg)
        if active_set:
            an, cn, sn, gln, ggn = _freeze_active(problem, theta, an, cn, sn, gln, ggn)
        eye_m, eye_g = np.eye(m), np.eye(g)
        accepted = False
        for _ in range(30):
            ad = an + lam * eye_m + 1e-12 * eye_m
            sd = sn + lam * eye_g + 1e-12 * eye_g
            try:
                ainv_gl = np.linalg.solve(ad, gln[:, :, None])[:, :, 0]
                if g:
                    ainv_c = np.linalg.solve(ad, cn)
                    schur = sd - np.einsum("tag,tah->gh", cn, ainv_c)
                    rhs = -ggn + np.einsum("tag,ta->g", cn, ainv_gl)
                    zg = np.linalg.solve(schur, rhs)
                    zl = -ainv_gl - np.einsum("tag,g->ta", ainv_c, zg)
                else:
                    zg = np.zeros(0)
                    zl = -ainv_gl
            except np.linalg.LinAlgError:
                lam *= nu
                nu *= 2
                continue
            step_l, step_g = zl / dl, (zg / dg if g else zg)
            loc, glo = _split(problem, theta)
            trial = np.clip(_join(problem, loc + step_l, glo + step_g), lo, hi)
            r_new = problem.residual(trial)
            nfev += 1
            cost_new = float(r_new @ r_new)
            if np.isfinite(cost_new) and cost_new < cost:
                lam = max(lam / LAMBDA_DOWN, 1e-12)
                nu = 2.0
                step = np.concatenate([(zl).ravel(), zg])
                scale = np.concatenate([(dl * loc).ravel(), dg * glo])
                small_x = np.linalg.norm(step) <= xtol * (np.linalg.norm(scale) + xtol)
                small_f = (cost - cost_new) <= max(ftol * cost, cost_atol)
                theta, r, cost = trial, r_new, cost_new
                accepted = True
                if small_f or small_x:
                    status = 2 if small_f else 3
                    message = "ftol" if small_f else "xtol"
                break
            lam *= nu
            nu *= 2.0
        if not accepted:
            status, message = 1, "no decrease (converged to the tolerance of the model)"
            break
        if status in (2, 3):
            message = f"{message} termination condition is satisfied"
            break
    return BlockSolution(theta, cost, nfev, n_iter, status > 0, status, message)
