"""Ionic and electronic potentials of the cell for one time step (galvanostatic).

Sign convention: electrode B (plating, z = 0) is at 0 V, electrode A at the cell voltage U > 0
while B plates. phi_i is the electrostatic potential of Li+ in the electrolyte referred to Li/Li+,
so the local overpotential of a metal face is ``phi_metal - phi_i`` (negative = plating), and
phi_e is the electron quasi-Fermi potential. Electrons flow from low to high phi_e.

Ionic problem (simulator.md, field 1): ``div(sigma_i grad phi_i) = S`` on every cell that is not
metal connected to an electrode. Metal connected to B (or A) is part of that electrode
(equipotential, Dirichlet); each of its faces to the electrolyte is a linearised Butler-Volmer
(Robin) face ``I = (phi_i - phi_m) / (h/(2 sigma_i A_f) + RT/(F i0 A_f))``; the electrode planes
are Robin faces weighted by the contact map. Isolated Li0 (bulk route) does not carry Li+ and is
left as electrolyte (a metal cell is filled to ``metal_fill_fraction`` only), with a sink ``S``.

Electronic problem (field 2): ``div(sigma_e grad phi_e) = 0`` on free cells, with Dirichlet
nodes: B-connected metal and plane B at 0, A at U, isolated Li0 particles pinned at the local
Li/Li+ level ``phi_i`` (electrons that reach them reduce Li+: growth fed by the local electronic
current), and cells with *unfilled* traps pinned at ``phi_i + E_t`` (empty traps lie E_t below
the Li/Li+ level and capture every electron that arrives). The electron current into a pinned
cell is its sink ``S`` (reduction or trap filling) and the same current is drawn from the
ionic problem as Li+ consumption, so charge and Li balance exactly. Trap-trap faces carry no
current (no hopping between empty traps).

Both problems are linear and share U: phi_i = U psi + U chi_1 + chi_0 and phi_e = U alpha + beta,
so the galvanostatic condition ``I = I_ion,B(U) + I_e,B(U)`` is one linear equation for U
(superposition, simulator.md). The cell voltage collapses at a short (handled by the model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dendritemr.sim.cell.grid import Grid
from dendritemr.sim.cell.network import Network
from dendritemr.sim.cell.properties import CellProperties

__all__ = ["FieldSolution", "ElectrodeSets", "solve_fields", "SIGMA_METAL_S_M"]

#: Electronic conductivity given to metal cells (S/m); metal cells are Dirichlet nodes anyway.
SIGMA_METAL_S_M = 1e6


def _harmonic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    s = a + b
    return np.divide(2.0 * a * b, s, out=np.zeros_like(s), where=s > 0)


@dataclass(frozen=True)
class ElectrodeSets:
    """Which cells play which role in this step (flattened bool masks, length ``grid.n``).

    Attributes
    ----------
    b_metal : metal connected to electrode B.
    a_metal : metal connected to electrode A (and not to B).
    bulk_metal : isolated metal (pinned at the local Li/Li+ level).
    trap_open : cells with unfilled traps (pinned at phi_i + E_t).
    reduced : cells of conducting boundaries whose traps are filled (reduced LLZO, electronic
        conductivity ``props.sigma_e_reduced``); None: none.
    trap_idle : cells with open traps that capture nothing in this step (their level lies
        above the local electron level; not pinned); like open traps they pass no current to
        another trap cell. None: none.
    """

    b_metal: np.ndarray
    a_metal: np.ndarray
    bulk_metal: np.ndarray
    trap_open: np.ndarray
    reduced: np.ndarray | None = None
    trap_idle: np.ndarray | None = None


@dataclass(frozen=True)
class FieldSolution:
    """Potentials and currents of one step (A, V; nodes = cells + plane B + plane A).

    Attributes
    ----------
    voltage : cell voltage U (V).
    phi_i, phi_e : node potentials (V).
    ion_face : ionic face currents, conventional, from ``face_a`` to ``face_b`` (A).
    ion_g : ionic face conductances (S).
    robin : bool per face, Robin face to the metal of an electrode (its plane or connected
        dendrite cells).
    robin_side : int per face, 0 when that metal belongs to B, 1 to A (valid where ``robin``).
    robin_cell : cell on the electrolyte side of each face (valid where ``robin``).
    robin_i0 : exchange current density of each face (A/m2; contact-weighted).
    plated_face : current from the electrolyte into the electrode metal through each Robin
        face (A): positive where that electrode plates, negative where it strips; zero off
        ``robin``.
    sink : electron current into each pinned cell (A), zero elsewhere.
    stripped : ionic current out of electrode A into the electrolyte (A).
    leaked : electronic current from the electrolyte into A, as conventional current out of
        A (A); electrons that cross the pellet without moving Li.
    electronic_b : conventional electronic current into B from the electrolyte (A).
    e_face : electronic face currents, conventional, from ``face_a`` to ``face_b`` (A).
    """

    voltage: float
    phi_i: np.ndarray
    phi_e: np.ndarray
    ion_face: np.ndarray
    ion_g: np.ndarray
    robin: np.ndarray
    robin_side: np.ndarray
    robin_cell: np.ndarray
    robin_i0: np.ndarray
    plated_face: np.ndarray
    sink: np.ndarray
    stripped: float
    leaked: float
    electronic_b: float
    e_face: np.ndarray | None = None


def _ionic_conductance(
    grid: Grid, props: CellProperties, sets: ElectrodeSets, contact_b: np.ndarray, contact_a: float
):
    fa, fb, kind = grid.face_a, grid.face_b, grid.face_kind
    metal_b = np.concatenate([sets.b_metal, [True, False]])
    metal_a = np.concatenate([sets.a_metal, [False, True]])
    fixed = metal_b | metal_a
    sig = np.concatenate([props.sigma_ion, [0.0, 0.0]])
    depth, area = grid.depth, grid.face_area
    i0 = np.full(fa.size, props.i0)
    i0[kind == 1] *= contact_b
    i0[kind == 2] *= contact_a
    g = _harmonic(sig[fa], sig[fb]) * depth
    robin = fixed[fa] ^ fixed[fb]
    cell = np.where(fixed[fa], fb, fa)
    half = 1.0 / (2.0 * np.maximum(sig[cell], 1e-300) * depth)
    ct = np.divide(props.thermal_v, i0 * area, out=np.full(i0.shape, np.inf), where=i0 > 0)
    g = np.where(robin, 1.0 / (half + ct), g)
    g[fixed[fa] & fixed[fb]] = 0.0
    side = np.where(metal_b[fa] | metal_b[fb], 0, 1)
    return g, fixed, metal_b, metal_a, robin, side, cell, i0


def _face_conductance(
    sig: np.ndarray, fa: np.ndarray, fb: np.ndarray, kind: np.ndarray, weight: np.ndarray, depth
) -> np.ndarray:
    """Electronic conductance of the faces ``fa``-``fb`` (S) from the node conductivities:
    harmonic mean inside the pellet, the cell's half-cell conductance times the contact
    weight at the electrode planes (``kind`` > 0)."""
    g = _harmonic(sig[fa], sig[fb]) * depth
    plane = kind > 0
    g[plane] = 2.0 * sig[fb[plane]] * depth
    g[plane] *= weight[plane]
    return g


def _electronic_conductance(
    grid: Grid,
    props: CellProperties,
    sets: ElectrodeSets,
    contact_b: np.ndarray,
    contact_a: float,
    cache: dict | None = None,
) -> np.ndarray:
    fa, fb, kind = grid.face_a, grid.face_b, grid.face_kind
    metal = sets.b_metal | sets.a_metal | sets.bulk_metal
    sig_llzo = props.sigma_e
    if sets.reduced is not None:
        sig_llzo = np.where(sets.reduced, props.sigma_e_reduced, props.sigma_e)
    sig = np.where(metal, SIGMA_METAL_S_M, sig_llzo)
    sig = np.concatenate([sig, [0.0, 0.0]])
    prev = cache.get("electronic_g") if cache is not None else None
    if prev is None:
        weight = np.ones(fa.size)
        weight[kind == 1] = contact_b
        weight[kind == 2] = contact_a
        g = _face_conductance(sig, fa, fb, kind, weight, grid.depth)
    else:
        # only the faces of cells whose conductivity changed since the last network are
        # computed again (elementwise: the same numbers as computing every face)
        sig_prev, g_prev, weight = prev
        changed = sig != sig_prev
        faces = np.flatnonzero(changed[fa] | changed[fb])
        g = g_prev.copy()
        g[faces] = _face_conductance(
            sig, fa[faces], fb[faces], kind[faces], weight[faces], grid.depth
        )
    if cache is not None:
        cache["electronic_g"] = (sig, g.copy(), weight)
    has_trap = sets.trap_open if sets.trap_idle is None else sets.trap_open | sets.trap_idle
    trap = np.concatenate([has_trap, [False, False]])
    g[trap[fa] & trap[fb]] = 0.0
    # pinned Li0 cells (and metal of one electrode) are separate Dirichlet nodes: no current
    # between two metal nodes of the same cluster.
    metal_n = np.concatenate([metal, [True, True]])
    g[metal_n[fa] & metal_n[fb]] = 0.0
    return g


def _edge(fa: np.ndarray, fb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Faces with exactly one node in ``mask`` and the sign (+1: ``face_a`` in it) that turns
    their currents into the net current out of the nodes of ``mask``."""
    sel = np.flatnonzero(mask[fa] != mask[fb])
    return sel, np.where(mask[fa[sel]], 1.0, -1.0)


def solve_fields(
    grid: Grid,
    props: CellProperties,
    sets: ElectrodeSets,
    contact_b: np.ndarray,
    contact_a: float,
    current: float,
    cache: dict | None = None,
) -> FieldSolution:
    """Solve the coupled ionic/electronic problem for a given total current.

    Parameters
    ----------
    grid, props : grid and properties.
    sets : roles of the cells in this step.
    contact_b : (nx,) contact weights of electrode B; ``contact_a`` the uniform weight of A.
    current : applied current (A), positive when B plates.
    cache : optional dict kept by the caller for one run (same grid, properties and contacts):
        the factorised networks are reused while the cell roles they depend on are unchanged
        (the same matrices, so the same numbers); a new electron network reuses the rows of
        the previous one's banded factor that its matrix leaves unchanged (``Network``'s
        ``previous``: the same numbers to round-off).

    Returns
    -------
    FieldSolution
    """
    n_nodes = grid.n + 2
    fa, fb = grid.face_a, grid.face_b
    key_i = (sets.b_metal.tobytes(), sets.a_metal.tobytes())
    if cache is not None and cache.get("ionic_key") == key_i:
        # the ionic problem depends only on the electrode metal: conductances, network and
        # the unit-voltage solution are those of the previous solve
        ionic_faces, ionic, psi, edge_b, edge_a = cache["ionic"]
    else:
        ionic_faces = _ionic_conductance(grid, props, sets, contact_b, contact_a)
        ionic = Network(n_nodes, fa, fb, ionic_faces[0], ionic_faces[1])
        psi = ionic.solve(ionic_faces[3].astype(float))
        edge_b = _edge(fa, fb, ionic_faces[2])
        edge_a = _edge(fa, fb, ionic_faces[3])
        if cache is not None:
            cache.update(ionic_key=key_i, ionic=(ionic_faces, ionic, psi, edge_b, edge_a))
    g_i, fixed_i, metal_b, metal_a, robin, side, cell, i0 = ionic_faces

    def ion_out(edge, face_current: np.ndarray) -> float:
        # net ionic current out of an electrode's nodes: its faces to other nodes only
        sel, sign = edge
        return float(np.sum(sign * face_current[sel]))

    pinned = np.concatenate([sets.bulk_metal | sets.trap_open, [False, False]])
    fixed_e = metal_b | metal_a | pinned
    masks = (
        sets.bulk_metal,
        sets.trap_open,
        sets.reduced if sets.reduced is not None else [],
        sets.trap_idle if sets.trap_idle is not None else [],
    )
    key_e = key_i + tuple(np.asarray(m).tobytes() for m in masks)
    if cache is not None and cache.get("electronic_key") == key_e:
        electronic = cache["electronic"]
    else:
        g_e = _electronic_conductance(grid, props, sets, contact_b, contact_a, cache)
        # the previous electron network of the run: the rows of its factor that this one
        # leaves unchanged are reused (same numbers to round-off)
        previous = cache.get("electronic") if cache is not None else None
        # (given up: it is replaced in the cache, so its factor's memory is reused)
        electronic = Network(n_nodes, fa, fb, g_e, fixed_e, previous, recycle=previous is not None)
        if cache is not None:
            cache.update(electronic_key=key_e, electronic=electronic)
    trap = np.concatenate([sets.trap_open, [False, False]])
    fix_alpha = np.where(pinned, psi, metal_a.astype(float))
    fix_beta = np.where(trap, props.trap_depth_v, 0.0)
    ab = electronic.solve(np.column_stack([fix_alpha, fix_beta]))
    net_ab = [electronic.net_out(ab[:, k]) for k in (0, 1)]
    sinks = np.column_stack([np.where(pinned, net, 0.0) for net in net_ab])
    # Li+ consumed at pinned cells: net ionic current out of the cell = -sink.
    chi = ionic.solve(np.zeros((n_nodes, 2)), -sinks)

    def into_b(phi_i: np.ndarray, net_e: np.ndarray) -> float:
        sel, sign = edge_b
        ion = float(np.sum(sign * (g_i[sel] * (phi_i[fa[sel]] - phi_i[fb[sel]]))))
        return -(ion + float(net_e[metal_b].sum()))

    ion1 = psi + chi[:, 0]
    slope = into_b(ion1, net_ab[0])
    offset = into_b(chi[:, 1], net_ab[1])
    voltage = (current - offset) / slope
    phi_i = voltage * ion1 + chi[:, 1]
    phi_e = voltage * ab[:, 0] + ab[:, 1]

    ion_face = ionic.face_current(phi_i)
    e_face = electronic.face_current(phi_e)
    net_e = electronic.net_from_faces(e_face)
    # current into the electrode metal through each Robin face (conventional, cell -> metal)
    plated = np.where(robin, np.where(fixed_i[fb], ion_face, -ion_face), 0.0)
    sink = np.where(pinned, net_e, 0.0)[: grid.n]
    return FieldSolution(
        voltage=float(voltage),
        phi_i=phi_i,
        phi_e=phi_e,
        ion_face=ion_face,
        ion_g=g_i,
        robin=robin,
        robin_side=side,
        robin_cell=cell,
        robin_i0=i0,
        plated_face=plated,
        sink=sink,
        stripped=ion_out(edge_a, ion_face),
        leaked=float(net_e[metal_a].sum()),
        electronic_b=-float(net_e[metal_b].sum()),
        e_face=e_face,
    )
