"""Regular 2D (z, x) grid of the cell cross-section and its face lists.

z runs across the pellet (row 0 touches the plating electrode B at z = 0, row ``nz - 1`` touches
the stripping electrode A at z = L); x is lateral and periodic. Cells are flattened row-major,
``i = iz * nx + ix``. Two virtual nodes stand for the electrode planes: ``node_b = n`` and
``node_a = n + 1``. Every linear problem of the model (ionic, electronic, isotopic) is a network
on these nodes, so one face list serves all of them.

The 2D section stands for the whole pellet: it is extruded over ``depth = area / width`` so that
a cell holds ``h * h * depth`` of material and a face has area ``h * depth``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Grid", "make_grid"]


@dataclass(frozen=True)
class Grid:
    """Cell grid with precomputed faces.

    Attributes
    ----------
    nz, nx : int, cells across the pellet and laterally.
    h : float, cell size (m).
    depth : float, extrusion depth of the 2D section (m).
    face_a, face_b : ndarray of int, the two nodes of every face: internal z faces, internal x
        faces (periodic), then plane faces B -> row 0 and A -> row nz-1 (``face_a`` is the
        virtual electrode node for those).
    face_kind : ndarray of int8, 0 internal, 1 plane B, 2 plane A.
    """

    nz: int
    nx: int
    h: float
    depth: float
    face_a: np.ndarray
    face_b: np.ndarray
    face_kind: np.ndarray

    @property
    def n(self) -> int:
        """Number of cells."""
        return self.nz * self.nx

    @property
    def node_b(self) -> int:
        """Index of the virtual node of electrode B (plating, z = 0)."""
        return self.n

    @property
    def node_a(self) -> int:
        """Index of the virtual node of electrode A (stripping, z = L)."""
        return self.n + 1

    @property
    def cell_volume(self) -> float:
        """Volume of one cell (m3)."""
        return self.h * self.h * self.depth

    @property
    def face_area(self) -> float:
        """Area of one face (m2)."""
        return self.h * self.depth

    @property
    def z_um(self) -> np.ndarray:
        """Cell-centre z of each row (um)."""
        return (np.arange(self.nz) + 0.5) * self.h * 1e6

    @property
    def x_um(self) -> np.ndarray:
        """Cell-centre x of each column (um)."""
        return (np.arange(self.nx) + 0.5) * self.h * 1e6

    def neighbours(self) -> np.ndarray:
        """Four-neighbour table (n, 4) of cell indices; -1 beyond the electrode planes."""
        idx = np.arange(self.n).reshape(self.nz, self.nx)
        up = np.full_like(idx, -1)
        down = np.full_like(idx, -1)
        up[:-1] = idx[1:]
        down[1:] = idx[:-1]
        return np.stack(
            [up.ravel(), down.ravel(), np.roll(idx, -1, 1).ravel(), np.roll(idx, 1, 1).ravel()], 1
        )

    def neighbour_faces(self) -> tuple[np.ndarray, np.ndarray]:
        """Face of each entry of :meth:`neighbours` and its orientation.

        Returns
        -------
        faces : (n, 4) int, index into ``face_a``/``face_b`` (-1 beyond the electrode planes).
        sign : (n, 4) float, +1 where the cell is ``face_a`` of that face, -1 where ``face_b``,
            so ``sign * current`` is the current out of the cell through that face.
        """
        idx = np.arange(self.n).reshape(self.nz, self.nx)
        off = (self.nz - 1) * self.nx
        up = np.full_like(idx, -1)
        down = np.full_like(idx, -1)
        up[:-1] = idx[:-1]
        down[1:] = idx[:-1]
        faces = np.stack(
            [up.ravel(), down.ravel(), (off + idx).ravel(), (off + np.roll(idx, 1, 1)).ravel()], 1
        )
        sign = np.tile(np.array([1.0, -1.0, 1.0, -1.0]), (self.n, 1))
        return faces, sign


def make_grid(thickness_um: float, width_um: float, cell_um: float, area_cm2: float) -> Grid:
    """Build the grid and its faces.

    Parameters
    ----------
    thickness_um : pellet thickness L (um).
    width_um : width of the cross-section (um).
    cell_um : cell size h (um).
    area_cm2 : electrode area (cm2), sets the extrusion depth.

    Returns
    -------
    Grid
    """
    nz = max(4, round(thickness_um / cell_um))
    nx = max(4, round(width_um / cell_um))
    h = cell_um * 1e-6
    depth = area_cm2 * 1e-4 / (nx * h)
    idx = np.arange(nz * nx).reshape(nz, nx)
    n = nz * nx
    za, zb = idx[:-1].ravel(), idx[1:].ravel()
    xa, xb = idx.ravel(), np.roll(idx, -1, 1).ravel()
    ba, bb = np.full(nx, n), idx[0]
    aa, ab = np.full(nx, n + 1), idx[-1]
    face_a = np.concatenate([za, xa, ba, aa])
    face_b = np.concatenate([zb, xb, bb, ab])
    kind = np.concatenate(
        [np.zeros(za.size + xa.size, np.int8), np.ones(nx, np.int8), np.full(nx, 2, np.int8)]
    )
    return Grid(nz, nx, h, depth, face_a, face_b, kind)
