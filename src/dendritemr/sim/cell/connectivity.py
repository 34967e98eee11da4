"""Metal clusters and the short-circuit test.

Metal cells are labelled with :func:`scipy.ndimage.label` (4-connectivity, the faces through
which metal conducts), and labels that meet across the periodic x seam are merged. A cluster
touching row 0 is connected to electrode B (it becomes part of that equipotential electrode),
one touching the last row to electrode A; a cluster touching both is a short circuit
(science.md section 5: "a connected metallic path across L").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["Clusters", "label_clusters"]


@dataclass(frozen=True)
class Clusters:
    """Labelled metal clusters (flattened arrays, length n).

    Attributes
    ----------
    label : int per cell, 0 for no metal, 1..count for clusters.
    count : number of clusters.
    to_b, to_a : bool per cell, metal connected to electrode B / A.
    shorted : True when a cluster touches both electrodes.
    """

    label: np.ndarray
    count: int
    to_b: np.ndarray
    to_a: np.ndarray
    shorted: bool


def label_clusters(metal: np.ndarray, nz: int, nx: int) -> Clusters:
    """Label metal clusters of a periodic-in-x grid.

    Parameters
    ----------
    metal : bool per cell (flattened, row-major (nz, nx)).
    nz, nx : grid shape.

    Returns
    -------
    Clusters
    """
    grid = metal.reshape(nz, nx)
    raw, count = ndimage.label(grid)
    if count == 0:
        zeros = np.zeros(metal.size, bool)
        return Clusters(np.zeros(metal.size, np.int64), 0, zeros, zeros.copy(), False)
    seam = grid[:, 0] & grid[:, -1]
    a, b = raw[seam, 0], raw[seam, -1]
    adj = coo_matrix((np.ones(a.size), (a, b)), shape=(count + 1, count + 1))
    _, comp = connected_components(adj, directed=False)
    # renumber so that label 0 stays "no metal" and clusters are 1..k in first-seen order
    comp_of = comp[raw]
    _, first, inverse = np.unique(comp_of[grid], return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    label = np.zeros((nz, nx), np.int64)
    label[grid] = order[inverse.ravel()] + 1
    k = int(label.max())
    touches_b = np.zeros(k + 1, bool)
    touches_a = np.zeros(k + 1, bool)
    touches_b[label[0]] = True
    touches_a[label[-1]] = True
    touches_b[0] = touches_a[0] = False
    flat = label.ravel()
    return Clusters(flat, k, touches_b[flat], touches_a[flat], bool(np.any(touches_b & touches_a)))
