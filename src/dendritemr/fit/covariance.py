"""Parameter covariance of a series fit from its block-arrow normal matrix.

The weighted Jacobian of a series fit has per-spectrum (local) columns and series-wide
(global) columns, so ``J^T J`` is block-arrow shaped::

    [ A_1            C_1 ]
    [      ...       ... ]
    [           A_T  C_T ]
    [ C_1^T ... C_T^T  S ]

Its inverse blocks follow from the Schur complement ``S - sum_t C_t^T A_t^-1 C_t`` with batched
small matrix inversions: no dense ``(n_theta, n_theta)`` matrix is ever formed.
With rows weighted by ``1 / sigma_t`` (sigma_t the noise standard deviation of spectrum ``t``)
the result is the asymptotic covariance of the least-squares estimate, which for white Gaussian
noise is also the Cramer-Rao lower bound (see :mod:`dendritemr.fit.crlb`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dendritemr.fit.model import PARAM_NAMES
from dendritemr.fit.problem import SeriesProblem


@dataclass(frozen=True)
class BlockCovariance:
    """Blocks of the inverse of a block-arrow normal matrix.

    Attributes
    ----------
    local : ``(n_time, m, m)``: covariance of spectrum ``t``'s local parameters.
    glob : ``(g, g)``: covariance of the global coefficients.
    cross : ``(n_time, m, g)``: covariance between local and global parameters.
    """

    local: np.ndarray
    glob: np.ndarray
    cross: np.ndarray


def block_arrow_covariance(local: np.ndarray, glob: np.ndarray) -> BlockCovariance:
    """Invert ``J^T J`` for a Jacobian given as local and global column stacks.

    Parameters
    ----------
    local : ``(n_time, m, n_ppm)``: local column ``b`` restricted to spectrum ``t`` (weighted).
    glob : ``(n_time, g, n_ppm)``: global columns (weighted).

    Returns
    -------
    BlockCovariance
        Singular directions (unidentifiable parameters) are handled by pseudo-inverses.
    """
    n_time, m, _ = local.shape
    g = glob.shape[1]
    # Jacobi (column-norm) scaling first: the columns of a line fit differ by many orders of
    # magnitude (d/d area ~ 1 / width, d/d centre ~ area / width^2), and an unscaled
    # pseudo-inverse drops the small-eigenvalue (area) directions as "singular" once the
    # spread exceeds its 1e-15 cut-off, returning errors that are far too small.
    dl = np.sqrt(np.sum(local**2, axis=2))  # (t, m)
    dl = np.where(dl > 0, dl, 1.0)
    dg = np.sqrt(np.einsum("tgn,tgn->g", glob, glob)) if g else np.ones(0)
    dg = np.where(dg > 0, dg, 1.0)
    scaled = _block_arrow_scaled(local / dl[:, :, None], glob / dg[None, :, None])
    return BlockCovariance(
        scaled.local / (dl[:, :, None] * dl[:, None, :]),
        scaled.glob / np.outer(dg, dg),
        scaled.cross / (dl[:, :, None] * dg[None, None, :]),
    )


def _block_arrow_scaled(local: np.ndarray, glob: np.ndarray) -> BlockCovariance:
    n_time, m, _ = local.shape
    g = glob.shape[1]
    a = local @ np.swapaxes(local, 1, 2) if m else np.zeros((n_time, 0, 0))
    a_inv = np.linalg.pinv(a, hermitian=True) if m else a
    if g == 0:
        return BlockCovariance(a_inv, np.zeros((0, 0)), np.zeros((n_time, m, 0)))
    s = np.einsum("tgn,thn->gh", glob, glob, optimize=True)
    if m:
        c = local @ np.swapaxes(glob, 1, 2)
        ainv_c = a_inv @ c  # (t, m, g)
        schur = s - np.einsum("tag,tah->gh", c, ainv_c)
    else:
        ainv_c = np.zeros((n_time, 0, g))
        schur = s
    cov_g = np.linalg.pinv(schur, hermitian=True)
    cross = -ainv_c @ cov_g
    cov_l = a_inv + ainv_c @ cov_g @ np.swapaxes(ainv_c, 1, 2)
    return BlockCovariance(cov_l, cov_g, cross)


def parameter_errors(
    problem: SeriesProblem, theta: np.ndarray, fixed: dict[str, np.ndarray], sigma_t: np.ndarray
) -> dict[str, np.ndarray]:
    """Standard deviations of every per-spectrum parameter value.

    Parameters
    ----------
    problem : the series problem (its residual weights are divided out).
    theta : parameter vector at which to linearise.
    fixed : held and starting values (see :meth:`SeriesProblem.values`).
    sigma_t : noise standard deviation of each spectrum, signal units, shape ``(n_time,)``.

    Returns
    -------
    dict
        ``{name: (n_time, n_comp)}`` in the parameter's units (0 for fixed parameters) and
        ``"baseline"`` ``(n_time, n_baseline)``. Global parameters get the error of their
        value at each time, ``sqrt(B_t Cov B_t^T)``.
    """
    rescale = ((1.0 / np.asarray(sigma_t, dtype=float)) / problem.weight)[:, None, None]
    local, glob = problem.jacobian_blocks(theta, fixed)
    cov = block_arrow_covariance(local * rescale, glob * rescale)
    ncomp = len(problem.model.components)
    err = {n: np.zeros((problem.n_time, ncomp)) for n in PARAM_NAMES}
    n_base = sum(1 for b in problem.blocks if b.comp < 0)
    err["baseline"] = np.zeros((problem.n_time, n_base))
    var_local = np.diagonal(cov.local, axis1=1, axis2=2)  # (t, m), blocks in layout order
    li, g0 = 0, problem.n_local * problem.n_time
    for b in problem.blocks:
        if b.basis is None:
            v = var_local[:, li]
            li += 1
        else:
            sl = slice(b.start - g0, b.start - g0 + b.basis.shape[1])
            v = np.einsum("tk,kl,tl->t", b.basis, cov.glob[sl, sl], b.basis)
        target = err["baseline"][:, int(b.name[-1])] if b.comp < 0 else err[b.name][:, b.comp]
        target[:] = np.sqrt(np.maximum(v, 0.0))
    return err
