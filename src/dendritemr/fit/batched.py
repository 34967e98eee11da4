"""Batched Levenberg-Marquardt for series models whose parameters are all per spectrum.

When no parameter is shared or drifting, the series problem splits into independent small
problems, one per spectrum. :func:`solve_local` solves them all at once: every iteration forms
the ``m x m`` normal matrices of all active spectra with one batched matrix product, solves the
damped Gauss-Newton systems with one batched ``numpy.linalg.solve`` and accepts or rejects each
spectrum's step on its own (Marquardt damping ``lambda diag(J^T J)``, Nielsen-style update).
Spectra leave the active set as soon as their scaled step falls below ``xtol``, so the cost
follows the slowest spectra only where they are. Box bounds are handled by projection.

This is the MINPACK ``lmder`` algorithm (More 1978) in spirit, without the trust-region radius
bookkeeping; converged to the same tolerance it reaches the same minimum as a per-spectrum
loop (see ``benchmarks/bench_fit.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dendritemr.fit.problem import SeriesProblem

_LAMBDA0 = 1e-3
_LAMBDA_MIN, _LAMBDA_MAX = 1e-12, 1e12
_TRIALS = 12  # damping increases per iteration before a spectrum is declared stuck


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


def _rows(problem: SeriesProblem, p: np.ndarray, fixed: dict, rows: np.ndarray):
    """Sub-problem, theta and fixed values of spectra ``rows`` at local parameters ``p``."""
    sub = problem.subset(rows)
    sub_fixed = {k: v[rows] for k, v in fixed.items()}
    return sub, np.ascontiguousarray(p.T).ravel(), sub_fixed


def _residual(problem, p, fixed, rows) -> np.ndarray:
    sub, theta, f = _rows(problem, p, fixed, rows)
    return sub.residual(theta, f).reshape(rows.size, -1)


def solve_local(
    problem: SeriesProblem,
    theta0: np.ndarray,
    fixed: dict[str, np.ndarray],
    xtol: float = 1e-10,
    max_iter: int = 200,
) -> LocalSolution:
    """Minimise the series residual of an all-local problem spectrum by spectrum, batched.

    Parameters
    ----------
    problem : series problem without global (shared or drifting) parameters.
    theta0 : starting parameters in the problem's layout, within bounds.
    fixed : held and starting values (see :meth:`SeriesProblem.values`).
    xtol : a spectrum has converged when its scaled step ``||D dp|| <= xtol (||D p|| + xtol)``
        with ``D = sqrt(diag(J^T J))``.
    max_iter : maximum Jacobian evaluations per spectrum.

    Returns
    -------
    LocalSolution
    """
    nt, m = problem.n_time, problem.n_local
    p = np.ascontiguousarray(np.asarray(theta0, dtype=float).reshape(m, nt).T)
    lo = problem.lower.reshape(m, nt).T
    hi = problem.upper.reshape(m, nt).T
    all_rows = np.arange(nt)
    r = _residual(problem, p, fixed, all_rows)
    cost = np.einsum("tn,tn->t", r, r)
    lam = np.full(nt, _LAMBDA0)
    active = all_rows
    evals = nt
    for _ in range(max_iter):
        if active.size == 0:
            break
        sub, theta, f = _rows(problem, p[active], fixed, active)
        jac, _ = sub.jacobian_blocks(theta, f)  # (a, m, n)
        a = jac @ np.swapaxes(jac, 1, 2)
        g = np.einsum("amn,an->am", jac, r[active])
        diag = np.maximum(np.diagonal(a, axis1=1, axis2=2), np.finfo(float).tiny)
        pending = np.arange(active.size)  # positions within ``active``
        done = np.zeros(active.size, dtype=bool)
        for _trial in range(_TRIALS):
            rows = active[pending]
            damped = a[pending] + (lam[rows, None] * diag[pending])[:, :, None] * np.eye(m)
            step = -np.linalg.solve(damped, g[pending][:, :, None])[:, :, 0]
            trial = np.clip(p[rows] + step, lo[rows], hi[rows])
            r_new = _residual(problem, trial, fixed, rows)
            evals += rows.size
            c_new = np.einsum("tn,tn->t", r_new, r_new)
            ok = c_new <= cost[rows]
            acc = rows[ok]
            dscale = np.sqrt(diag[pending][ok])
            dp = np.linalg.norm(dscale * (trial[ok] - p[acc]), axis=1)
            size = np.linalg.norm(dscale * p[acc], axis=1)
            p[acc], r[acc], cost[acc] = trial[ok], r_new[ok], c_new[ok]
            lam[acc] = np.maximum(lam[acc] / 3.0, _LAMBDA_MIN)
            done[pending[ok]] = dp <= xtol * (size + xtol)
            lam[rows[~ok]] = np.minimum(lam[rows[~ok]] * 10.0, _LAMBDA_MAX)
            pending = pending[~ok]
            if pending.size == 0:
                break
        done[pending] = True  # no decrease at any damping: at the minimum to rounding
        active = active[~done]
    theta = np.ascontiguousarray(p.T).ravel()
    success = active.size == 0
    msg = (
        "every spectrum converged (scaled step below xtol)"
        if success
        else f"{active.size} spectra reached the iteration limit"
    )
    return LocalSolution(theta, int(np.ceil(evals / nt)), success, 2 if success else 0, msg)
