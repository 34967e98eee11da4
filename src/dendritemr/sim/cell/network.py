"""Sparse finite-volume network solver shared by the ionic, electronic and isotope problems.

A problem is a set of nodes joined by faces of conductance ``g`` (S for potentials). Free nodes
satisfy ``sum_faces g (phi_node - phi_other) = source_node`` ("net current out = source"); fixed
nodes keep given values. Faces are plain index arrays, so the assembly is a handful of numpy
calls (``bincount``, one COO -> CSC conversion) that CuPy/cupyx can take unchanged; the solve is
one factorisation reused for several right-hand sides.

The free-node matrix is symmetric positive definite (a grounded weighted graph Laplacian). When
its free-free faces join nodes at most ``BAND_MAX`` indices apart (the cell grid numbered row by
row across the pellet, ``iz * nx + ix``: half-bandwidth ``nx``, 30 in the default section), it
is factorised as a banded Cholesky matrix (LAPACK ``dpbtrf`` through
``scipy.linalg.cholesky_banded``), a fifth of the time of the sparse LU on the default grid
(0.9 ms against 4.8 ms for 4,200 free nodes); otherwise (or if LAPACK finds the matrix not
positive definite) by SuperLU with diagonal pivots. Both give the same solution to round-off
(~1e-15 relative).

A group of free nodes joined to no fixed node (no face of non-zero conductance leads to one: a
grain ringed by trap cells in the electron problem) has no defined potential; it is held at 0
and carries no current (``Network.floating``).

Conservation: the face currents ``g (phi_a - phi_b)`` are antisymmetric, so the sum of the net
currents of all nodes is exactly zero; free nodes carry only the solver residual (~1e-13 relative).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.linalg.lapack import dpbtrf as _dpbtrf
from scipy.linalg.lapack import dpbtrs as _dpbtrs
from scipy.sparse.csgraph import connected_components

__all__ = ["Network", "BAND_MAX"]

#: Largest half-bandwidth of the free-node matrix factorised as a banded Cholesky matrix (the
#: banded work grows as ``n b^2``; above ~40 the sparse LU of a 2D grid is cheaper).
BAND_MAX = 40
#: A Cholesky pivot below this fraction of its diagonal entry is taken as a singular (floating)
#: block: round-off leaves ~1e-14 there, a grounded block of the cell grid ~1e-8 or more.
_PIVOT_TOL = 1e-10
#: A refactorisation restarts from the previous network's factor only when at least this
#: fraction of the rows is kept (otherwise the whole matrix is factorised).
_RESTART_MIN = 0.2


#: Sort order of a face list by its first node, per face array (checked by identity).
_ORDER: dict[int, tuple[np.ndarray, np.ndarray]] = {}
#: Whether a face list joins every pair of nodes at most once, per face array.
_UNIQUE: dict[int, tuple[np.ndarray, np.ndarray, bool]] = {}
#: Index patterns of ``_restart`` per (band, coupled columns).
_PATTERN: dict[tuple[int, int], tuple[np.ndarray, ...]] = {}


def _restart_pattern(band: int, k: int) -> tuple[np.ndarray, ...]:
    """Index patterns of :func:`_restart` for a band and a tail of ``k >= 1`` coupled columns
    (cached: they depend only on the two sizes)."""
    key = (band, k)
    pat = _PATTERN.get(key)
    if pat is None:
        q = np.arange(k)
        p = np.arange(band)[:, None]
        lower = q[None, :] <= p
        src = np.maximum(p - q[None, :], 0)
        upper = q[:, None] <= q[None, :]
        rows, cols = np.nonzero(upper)
        keep = (band - np.arange(band)[:, None]) > q[None, :]
        b_idx, q_idx = np.nonzero(keep)
        pat = (lower, src, q, rows, cols, band + rows - cols, b_idx, q_idx)
        _PATTERN[key] = pat
    return pat


def _restart(ab: np.ndarray, chol: np.ndarray, r: int, out: np.ndarray | None = None) -> np.ndarray:
    """Banded Cholesky factor of ``ab`` whose rows ``< r`` are those of ``chol``.

    ``chol`` (upper band storage, ``A = U^T U``) factorises a matrix equal to ``ab`` in every
    entry ``(i, j)`` with ``i < r`` (row ``i`` of ``U`` depends only on rows ``<= i`` of ``A``).
    The trailing block is ``A[r:, r:] - W^T W`` with ``W = U[r - b:r, r:r + b]`` (the band
    ``b`` confines the coupling to its first ``b`` rows and columns); it is factorised by LAPACK
    and joined to the kept rows. Same factor as a full factorisation to round-off.

    ``out``: a Fortran-ordered array of ``ab``'s shape whose first ``r`` columns are the memory
    of ``chol``'s (the previous factor's buffer, which is given up): the kept rows are then
    already in place and only the tail is written (None: a new array).
    """
    band = ab.shape[0] - 1
    n = ab.shape[1]
    k = min(band, n - r)
    lower, src, q, rows, cols, tail_row, b_idx, q_idx = _restart_pattern(band, k)
    # W[p, q] = U[r - band + p, r + q], stored at chol[p - q, r + q] (zero for q > p)
    w = np.where(lower, chol[src, r + q[None, :]], 0.0)
    c = w.T @ w
    # entries U[i, j] with i < r <= j (the top-left triangle of the tail's band) are kept rows
    kept_triangle = chol[b_idx, r + q_idx]
    if out is None:
        out = np.empty(ab.shape, order="F")
        out[:, :r] = chol[:, :r]
    # the tail is factorised in place inside ``out`` (column slices of a Fortran array are
    # contiguous, so LAPACK works on the memory of ``out`` without a copy)
    tail = out[:, r:]
    tail[...] = ab[:, r:]
    tail[tail_row, cols] -= c[rows, cols]
    tail_u, info = _dpbtrf(tail, lower=0, overwrite_ab=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"{info}-th leading minor not positive definite")
    if tail_u is not tail:
        out[:, r:] = tail_u
    out[b_idx, r + q_idx] = kept_triangle
    return out


def _first_changed_row(ab: np.ndarray, prev: np.ndarray, m: int) -> int:
    """First row ``i < m`` of the matrix where the band arrays ``ab`` and ``prev`` (Fortran
    order) differ in their first ``m`` columns, ``m`` if none.

    Entry ``ab[b, j]`` is ``A[j + b - band, j]``, so the row is the minimum of ``j + b - band``
    over the changed entries. The first changed column ``j0`` comes from one comparison of the
    arrays in memory order (``argmax`` stops at the first change); every changed entry of a
    later column than ``j0 + band`` lies in a later row, so only that window is searched.
    """
    band = ab.shape[0] - 1
    diff = ab[:, :m].reshape(-1, order="F") != prev[:, :m].reshape(-1, order="F")
    first = int(diff.argmax())
    if not diff[first]:
        return m
    j0 = first // (band + 1)
    j1 = min(j0 + band + 1, m)
    bb, jj = np.nonzero(ab[:, j0:j1] != prev[:, j0:j1])
    return int(np.min(jj + bb)) + j0 - band


def _unique_pairs(face_a: np.ndarray, face_b: np.ndarray) -> bool:
    """True when no two faces join the same two nodes (cached per face list)."""
    cached = _UNIQUE.get(id(face_a))
    if cached is None or cached[0] is not face_a or cached[1] is not face_b:
        if len(_UNIQUE) > 8:
            _UNIQUE.clear()
        lo, hi = np.minimum(face_a, face_b), np.maximum(face_a, face_b)
        pairs = lo.astype(np.int64) * (int(hi.max(initial=0)) + 1) + hi
        cached = (face_a, face_b, np.unique(pairs).size == pairs.size)
        _UNIQUE[id(face_a)] = cached
    return cached[2]


def _floating(
    n_nodes: int, face_a: np.ndarray, face_b: np.ndarray, g: np.ndarray, fixed: np.ndarray
) -> np.ndarray:
    """Free nodes of components (faces with ``g != 0``) that contain no fixed node.

    A single free node without faces is left free (the solver gives it a unit diagonal).
    """
    on = g != 0.0
    # CSR straight from the faces sorted by their first node (no COO conversion); the order
    # depends only on the face list, which a run passes unchanged to every network
    cached = _ORDER.get(id(face_a))
    if cached is None or cached[0] is not face_a:
        if len(_ORDER) > 8:
            _ORDER.clear()
        cached = (face_a, np.argsort(face_a, kind="stable"))
        _ORDER[id(face_a)] = cached
    order = cached[1]
    keep = order[on[order]]
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(np.bincount(face_a[keep], minlength=n_nodes), out=indptr[1:])
    graph = sp.csr_matrix((np.ones(keep.size), face_b[keep], indptr), shape=(n_nodes, n_nodes))
    _, label = connected_components(graph, directed=False)
    anchored = np.zeros(label.max() + 1, bool)
    anchored[label[fixed]] = True
    size = np.bincount(label)
    return ~fixed & ~anchored[label] & (size[label] > 1)


class Network:
    """Factorised linear network.

    Parameters
    ----------
    n_nodes : number of nodes.
    face_a, face_b : node indices of every face.
    g : conductance of every face (zero faces are allowed).
    fixed : bool mask of fixed (Dirichlet) nodes.
    previous : optional network on the same nodes solved before this one (the previous field
        solve of a step): the rows of its banded factor that the new matrix leaves unchanged
        are reused (``_restart``). The free nodes are numbered from the last node down, so in
        the cell grid (rows from B at z = 0 to A) changes near the plating electrode, where
        Li0 particles and traps change between solves, leave the rows toward A unchanged.
    recycle : the previous network is given up (never solved with again): its factor's memory
        is reused for this one's (the kept rows are not copied). Same numbers either way.
    """

    def __init__(
        self,
        n_nodes: int,
        face_a: np.ndarray,
        face_b: np.ndarray,
        g: np.ndarray,
        fixed: np.ndarray,
        previous: Network | None = None,
        recycle: bool = False,
    ):
        self.n_nodes = n_nodes
        self._previous = previous
        self._recycle = recycle
        #: Fortran-ordered buffer whose first columns hold the banded factor (recycle mode)
        self._buf: np.ndarray | None = None
        self.face_a, self.face_b, self.g = face_a, face_b, g
        diag = np.bincount(face_a, g, n_nodes) + np.bincount(face_b, g, n_nodes)
        self.floating = np.zeros(n_nodes, bool)
        # a group of free nodes joined to no fixed node carries no current and has no defined
        # potential (a singular block): it is held at 0 like a fixed node. Such a block makes
        # a pivot of the Cholesky factor vanish (to round-off), so the banded factorisation is
        # tried first and the groups are searched only when LAPACK refuses the matrix or a
        # pivot falls below ``_PIVOT_TOL`` of its diagonal (then refactorised without them)
        if not self._factorise(face_a, face_b, g, fixed, diag, check=True):
            self.floating = _floating(n_nodes, face_a, face_b, g, fixed)
            self._factorise(face_a, face_b, g, fixed | self.floating, diag, check=False)
        self._previous = None
        index = self.index
        free_a, free_b = self._free_ends
        # faces from a free node to a fixed one: they carry the fixed values into the rhs
        fa_free = np.flatnonzero(free_a & ~free_b)
        fb_free = np.flatnonzero(free_b & ~free_a)
        self._cpl = (
            np.concatenate([index[face_a[fa_free]], index[face_b[fb_free]]]),
            np.concatenate([face_b[fa_free], face_a[fb_free]]),
            np.concatenate([g[fa_free], g[fb_free]]),
        )

    def _factorise(self, face_a, face_b, g, fixed, diag, check: bool) -> bool:
        """Factorise the free-node matrix; False (nothing kept) when ``check`` finds a pivot
        that vanishes or LAPACK refuses the banded matrix (a floating group may exist)."""
        free = ~fixed
        # free nodes numbered from the last node down (see ``_restart``)
        free_idx = np.flatnonzero(free)[::-1]
        n_free = free_idx.size
        index = np.full(self.n_nodes, -1, dtype=np.int64)
        index[free_idx] = np.arange(n_free)
        diag_free = diag[free_idx]
        diag_free[diag_free <= 0.0] = 1.0
        free_a, free_b = free[face_a], free[face_b]
        both = np.flatnonzero(free_a & free_b & (g != 0.0))
        ia, ib = index[face_a[both]], index[face_b[both]]
        self._lu = None
        self._chol = None
        self._ab = None
        if n_free:
            lo, hi = np.minimum(ia, ib), np.maximum(ia, ib)
            band = int(np.max(hi - lo)) if hi.size else 0
            if band <= BAND_MAX:
                ab = self._banded(n_free, band, lo, hi, g[both], diag_free, face_a, face_b)
                chol, first = self._banded_cholesky(ab)
                weak = chol is not None and np.any(
                    chol[band, first:] ** 2 < _PIVOT_TOL * diag_free[first:]
                )
                if check and (chol is None or weak):
                    return False
                self._chol, self._ab = chol, ab
            elif check:
                return False
            if self._chol is None:
                rows = np.concatenate([ia, ib, np.arange(n_free)])
                cols = np.concatenate([ib, ia, np.arange(n_free)])
                vals = np.concatenate([-g[both], -g[both], diag_free])
                matrix = sp.csc_matrix((vals, (rows, cols)), shape=(n_free, n_free))
                # symmetric with a positive, (weakly) dominant diagonal: positive definite, so
                # the diagonal pivots of a symmetric ordering are stable and no row search is
                # needed (about half the factorisation time of partial pivoting)
                self._lu = spla.splu(
                    matrix,
                    permc_spec="MMD_AT_PLUS_A",
                    diag_pivot_thresh=0.0,
                    options={"SymmetricMode": True},
                )
        self.fixed, self.free, self.index = fixed, free, index
        self._free_ends = (free_a, free_b)
        self._free_idx = free_idx
        self._floating_idx = np.flatnonzero(self.floating)
        return True

    @staticmethod
    def _banded(n_free, band, lo, hi, g, diag, face_a, face_b) -> np.ndarray:
        """Upper band storage of the free-node matrix: ``ab[band + i - j, j] = A[i, j]``."""
        # Fortran order, as LAPACK takes it (no transposed copy per factorisation)
        ab = np.zeros((band + 1, n_free), order="F")
        ab[band] = diag
        if band:
            # parallel faces between the same two nodes add up, as in the sparse assembly
            flat = (band + lo - hi) + hi * (band + 1)
            view = ab.reshape(-1, order="F")
            if _unique_pairs(face_a, face_b):
                view[flat] = -g
            else:
                np.subtract.at(view, flat, g)
        return ab

    def _banded_cholesky(self, ab: np.ndarray) -> tuple[np.ndarray | None, int]:
        """Upper banded Cholesky factor (None if LAPACK refuses it) and its first new row.

        With a previous network of the same bandwidth (``self._previous``), the rows of the
        factor above the first row where the two matrices differ are taken from it and only
        the rest is factorised (``_restart``); the first row recomputed is returned.
        """
        prev, self._previous = self._previous, None
        band, n_free = ab.shape[0] - 1, ab.shape[1]
        r = 0
        if prev is not None and prev._chol is not None and prev._ab.shape[0] == band + 1:
            m = min(n_free, prev._ab.shape[1])
            # first changed row of the matrix: min over changed entries (b, j) of j + b - band
            # (entry ab[b, j] is A[j + b - band, j]); per band row its first changed column
            r = _first_changed_row(ab, prev._ab, m)
            if n_free != prev._ab.shape[1]:
                r = min(r, m - band)
            if r < max(band, _RESTART_MIN * n_free):
                r = 0
        buf = None
        if self._recycle:
            # one buffer of the largest size serves the whole chain of networks
            old = prev._buf if prev is not None else None
            if old is not None and old.shape[0] == band + 1 and old.shape[1] >= n_free:
                buf = old
            else:
                buf = np.empty((band + 1, max(n_free, self.n_nodes)), order="F")
                if r and r < n_free:
                    buf[:, :r] = prev._chol[:, :r]
        try:
            if r == 0:
                if buf is None:
                    return sla.cholesky_banded(ab, lower=False, check_finite=False), 0
                # LAPACK's dpbtrf in place, as cholesky_banded calls it
                view = buf[:, :n_free]
                view[...] = ab
                chol, info = _dpbtrf(view, lower=0, overwrite_ab=1)
                if info > 0:
                    raise np.linalg.LinAlgError(f"{info}-th leading minor not positive definite")
                if info < 0:
                    raise ValueError(f"illegal value in {-info}-th argument of internal pbtrf")
                if chol is not view:
                    view[...] = chol
                self._buf = buf
                return view, 0
            if r >= n_free:
                # the matrix is the leading block of the previous one (the same matrix, or a
                # diagonal one): the leading block of its factor
                self._buf = prev._buf
                return prev._chol[:, :n_free], n_free
            if buf is None:
                return _restart(ab, prev._chol, r), r
            self._buf = buf
            return _restart(ab, prev._chol, r, out=buf[:, :n_free]), r
        except np.linalg.LinAlgError:
            self._buf = None
            return None, 0

    def solve(self, fixed_values: np.ndarray, source: np.ndarray | None = None) -> np.ndarray:
        """Solve for one or several right-hand sides.

        Parameters
        ----------
        fixed_values : (n_nodes,) or (n_nodes, k), values at fixed nodes (others ignored).
        source : same shape, net current out of each free node (None: zero).

        Returns
        -------
        ndarray
            Node values, same shape as ``fixed_values``.
        """
        fixed_values = np.asarray(fixed_values, dtype=float)
        single = fixed_values.ndim == 1
        # one contiguous row per right-hand side (``values.T`` is returned: columns as given)
        values = np.array(fixed_values[None, :] if single else fixed_values.T, order="C")
        values[:, self._floating_idx] = 0.0
        free = self._free_idx
        n_free = free.size
        n_rhs = values.shape[0]
        rhs = np.empty((n_free, n_rhs), order="F")
        row, node, g = self._cpl
        src = None
        if source is not None:
            source = np.asarray(source, dtype=float)
            src = source[None, :] if single else source.T
        for k in range(n_rhs):
            rhs[:, k] = np.bincount(row, g * values[k, node], n_free)
            if src is not None:
                rhs[:, k] += src[k, free]
        if self._chol is not None:
            x, info = _dpbtrs(self._chol, rhs, lower=0, overwrite_b=1)
            if info != 0:
                raise ValueError(f"banded Cholesky solve failed (info {info})")
        elif self._lu is not None:
            x = self._lu.solve(rhs)
        else:
            x = None
        if x is not None:
            for k in range(n_rhs):
                values[k, free] = x[:, k]
        return values[0] if single else values.T

    def face_current(self, phi: np.ndarray) -> np.ndarray:
        """Current through every face from ``face_a`` to ``face_b``: ``g (phi_a - phi_b)``."""
        return self.g * (phi[self.face_a] - phi[self.face_b])

    def net_out(self, phi: np.ndarray) -> np.ndarray:
        """Net current out of every node (sum of its face currents)."""
        return self.net_from_faces(self.face_current(phi))

    def net_from_faces(self, cur: np.ndarray) -> np.ndarray:
        """Net current out of every node from the face currents of :meth:`face_current`."""
        return np.bincount(self.face_a, cur, self.n_nodes) - np.bincount(
            self.face_b, cur, self.n_nodes
        )
