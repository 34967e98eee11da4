"""Sparse finite-volume network solver shared by the ionic, electronic and isotope problems.

A problem is a set of nodes joined by faces of conductance ``g`` (S for potentials). Free nodes
satisfy ``sum_faces g (phi_node - phi_other) = source_node`` ("net current out = source"); fixed
nodes keep given values. Faces are plain index arrays, so the assembly is a handful of numpy
calls (``bincount``, one COO -> CSC conversion) that CuPy/cupyx can take unchanged; the solve is
one sparse LU factorisation reused for several right-hand sides.

A group of free nodes joined to no fixed node (no face of non-zero conductance leads to one: a
grain ringed by trap cells in the electron problem) has no defined potential; it is held at 0
and carries no current (``Network.floating``).

Conservation: the face currents ``g (phi_a - phi_b)`` are antisymmetric, so the sum of the net
currents of all nodes is exactly zero; free nodes carry only the solver residual (~1e-13 relative).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import connected_components

__all__ = ["Network"]


def _floating(
    n_nodes: int, face_a: np.ndarray, face_b: np.ndarray, g: np.ndarray, fixed: np.ndarray
) -> np.ndarray:
    """Free nodes of components (faces with ``g != 0``) that contain no fixed node.

    A single free node without faces is left free (the solver gives it a unit diagonal).
    """
    on = g != 0.0
    # CSR straight from the faces sorted by their first node (no COO conversion)
    order = np.argsort(face_a, kind="stable")
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
    """

    def __init__(
        self, n_nodes: int, face_a: np.ndarray, face_b: np.ndarray, g: np.ndarray, fixed: np.ndarray
    ):
        self.n_nodes = n_nodes
        self.face_a, self.face_b, self.g = face_a, face_b, g
        # a group of free nodes joined to no fixed node carries no current and has no defined
        # potential (a singular block): it is held at 0 like a fixed node
        self.floating = _floating(n_nodes, face_a, face_b, g, fixed)
        fixed = fixed | self.floating
        self.fixed = fixed
        free = ~fixed
        self.free = free
        index = np.full(n_nodes, -1, dtype=np.int64)
        index[free] = np.arange(int(free.sum()))
        self.index = index
        diag = np.bincount(face_a, g, n_nodes) + np.bincount(face_b, g, n_nodes)
        diag_free = diag[free]
        empty = diag_free <= 0.0
        diag_free[empty] = 1.0
        both = free[face_a] & free[face_b] & (g != 0.0)
        ia, ib = index[face_a[both]], index[face_b[both]]
        n_free = diag_free.size
        rows = np.concatenate([ia, ib, np.arange(n_free)])
        cols = np.concatenate([ib, ia, np.arange(n_free)])
        vals = np.concatenate([-g[both], -g[both], diag_free])
        self._lu = None
        if n_free:
            matrix = sp.csc_matrix((vals, (rows, cols)), shape=(n_free, n_free))
            # symmetric with a positive, (weakly) dominant diagonal: positive definite, so the
            # diagonal pivots of a symmetric ordering are stable and no row search is needed
            # (about half the factorisation time of partial pivoting; same numbers to round-off)
            self._lu = spla.splu(
                matrix,
                permc_spec="MMD_AT_PLUS_A",
                diag_pivot_thresh=0.0,
                options={"SymmetricMode": True},
            )
        fa_free = free[face_a] & fixed[face_b]
        fb_free = free[face_b] & fixed[face_a]
        self._cpl = (
            index[face_a[fa_free]],
            face_b[fa_free],
            g[fa_free],
            index[face_b[fb_free]],
            face_a[fb_free],
            g[fb_free],
        )

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
        values = np.array(fixed_values, dtype=float, copy=True)
        single = values.ndim == 1
        if single:
            values = values[:, None]
        values[self.floating] = 0.0
        n_free = int(self.free.sum())
        rhs = np.zeros((n_free, values.shape[1]))
        if source is not None:
            src = source[:, None] if single else source
            rhs += src[self.free]
        ia, nb, ga, ib, na, gb = self._cpl
        np.add.at(rhs, ia, ga[:, None] * values[nb])
        np.add.at(rhs, ib, gb[:, None] * values[na])
        if self._lu is not None:
            values[self.free] = self._lu.solve(rhs)
        return values[:, 0] if single else values

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
