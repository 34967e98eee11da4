"""Seeded LLZO microstructure: Voronoi grains, one-cell-wide boundaries, flaws, contact map.

- Grains: nearest-seed (Voronoi) tessellation of the periodic (z, x) section, about one seed per
  ``grain_size**2``.
- Boundaries: a cell is a boundary cell when its +z, +x or (+z, +x) neighbour belongs to another
  grain, so boundaries are one cell wide and face-connected at junctions. Each boundary facet
  (grain pair) draws once whether it conducts electrons (probability
  ``conducting_gb_fraction``). The conducting facets are the concentrated electron paths that
  science.md section 4 requires for internal Li0 formation (a uniform or fully percolating
  electronic conductor gives no internal deposition).
- Flaws: log-normal flaw size per cell (median ``flaw_gb_um`` on boundaries, ``flaw_grain_um`` in
  grains) plus a surface-damage term ``surface_flaw_um * exp(-d / surface_damage_depth_um)``,
  ``d`` the distance to the nearer pellet face (both faces are polished).
- Contact map: a Gaussian random field along x at the plating interface, correlation length
  ``correlation_length_um``, thresholded to the contact fraction (voids carry no current).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.spatial import cKDTree

from dendritemr.sim.cell.grid import Grid
from dendritemr.sim.scenario import Scenario

__all__ = ["Microstructure", "build_microstructure"]


@dataclass(frozen=True)
class Microstructure:
    """Static microstructure of the pellet (flattened cell arrays, length ``grid.n``).

    Attributes
    ----------
    grain_id : ndarray of int, grain of each cell.
    boundary : ndarray of bool, one-cell-wide grain-boundary cells.
    conducting : ndarray of bool, boundary cells of electron-conducting facets.
    flaw_m : ndarray of float, flaw (crack) size per cell (m).
    contact_b : ndarray of float, shape (nx,), contact weight of electrode B per column (0 or 1).
    """

    grain_id: np.ndarray
    boundary: np.ndarray
    conducting: np.ndarray
    flaw_m: np.ndarray
    contact_b: np.ndarray


def _voronoi(grid: Grid, grain_size_um: float, rng: np.random.Generator) -> np.ndarray:
    h_um = grid.h * 1e6
    length, width = grid.nz * h_um, grid.nx * h_um
    n_seeds = max(2, round(length * width / grain_size_um**2))
    seeds = rng.random((n_seeds, 2)) * [length, width]
    images = np.concatenate([seeds + [0.0, s * width] for s in (-1, 0, 1)])
    zc, xc = np.meshgrid(grid.z_um, grid.x_um, indexing="ij")
    _, nearest = cKDTree(images).query(np.column_stack([zc.ravel(), xc.ravel()]))
    return (nearest % n_seeds).astype(np.int64)


def _contact_map(
    nx: int, h_um: float, fraction: float, corr_um: float, rng: np.random.Generator
) -> np.ndarray:
    if fraction >= 1.0:
        return np.ones(nx)
    if fraction <= 0.0:
        return np.zeros(nx)
    noise = gaussian_filter1d(rng.standard_normal(nx), corr_um / h_um, mode="wrap")
    n_contact = max(1, round(fraction * nx))
    contact = np.zeros(nx)
    contact[np.argsort(noise)[-n_contact:]] = 1.0
    return contact


def build_microstructure(scenario: Scenario, grid: Grid) -> Microstructure:
    """Draw the microstructure of a scenario (deterministic in ``scenario.seed``).

    Parameters
    ----------
    scenario : the scenario (sections ``geometry``, ``llzo``, ``interface``).
    grid : the grid built from the same scenario.

    Returns
    -------
    Microstructure
    """
    rng = np.random.default_rng([scenario.seed, 101])
    llzo = scenario.llzo
    gid = _voronoi(grid, scenario.geometry.grain_size_um, rng).reshape(grid.nz, grid.nx)
    up = np.full_like(gid, -1)
    up[:-1] = gid[1:]
    right = np.roll(gid, -1, 1)
    diag = np.roll(up, -1, 1)
    diff_up = (up != gid) & (up >= 0)
    diff_right = right != gid
    diff_diag = (diag != gid) & (diag >= 0)
    # the diagonal test closes the corners where boundary lines meet, so every boundary line
    # is one cell wide *and* face-connected (4-connectivity carries current and metal)
    boundary = diff_up | diff_right | diff_diag
    other = np.where(diff_right, right, np.where(diff_up, up, diag))
    n_grains = int(gid.max()) + 1
    key = np.minimum(gid, other) * n_grains + np.maximum(gid, other)
    keys, inverse = np.unique(key[boundary], return_inverse=True)
    facet_conducts = rng.random(keys.size) < llzo.conducting_gb_fraction
    conducting = np.zeros_like(boundary)
    conducting[boundary] = facet_conducts[inverse.ravel()]

    median = np.where(boundary, llzo.flaw_gb_um, llzo.flaw_grain_um)
    flaw_um = median * np.exp(llzo.flaw_spread * rng.standard_normal(gid.shape))
    z_um = grid.z_um[:, None]
    # both pellet faces are polished: damage decays from z = 0 (B) and from z = L (A)
    depth_um = np.minimum(z_um, grid.nz * grid.h * 1e6 - z_um)
    flaw_um = flaw_um + llzo.surface_flaw_um * np.exp(-depth_um / llzo.surface_damage_depth_um)

    itf = scenario.interface
    contact = _contact_map(
        grid.nx, grid.h * 1e6, itf.contact_fraction, itf.correlation_length_um, rng
    )
    return Microstructure(
        grain_id=gid.ravel(),
        boundary=boundary.ravel(),
        conducting=conducting.ravel(),
        flaw_m=flaw_um.ravel() * 1e-6,
        contact_b=contact,
    )
