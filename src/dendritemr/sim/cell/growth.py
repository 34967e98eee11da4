"""Growth rules of the two dendrite routes (vectorised over faces and cells).

Interface route (simulator.md, "Interface route and why it stops")
    Plating current into metal connected to the plating electrode (B; A in the reverse
    half-cycles of cycling) is concentrated at contact points and at
    protrusion tips by the ionic solution itself. The local overpotential of a face,
    ``eta = I_f RT / (F i0 A_f)``, lets the plated Li build a pressure ``P = F eta / V_m`` that is
    capped by creep of Li back into the electrode (``li_flow_stress``). Li plated through a face
    fills the crack ahead of it (a "pool" in the next cell) only where ``P`` exceeds the fracture
    stress of that cell, ``K_IC / (Y sqrt(pi a))``; a full pool turns the cell into interface metal.
    The share of a supercritical face's Li that enters the crack is ``(I_f / I_max)^(n - 1)``
    (dielectric-breakdown weighting, ``dbm_exponent`` n); the rest, and all Li of subcritical
    faces, plates densely onto the electrode.
    The face current of a dendrite cell enters through its filament tips (``tip_area_fraction``
    of the face), which multiplies the local overpotential (current focusing at tips).
    *The stall*: near the surface the flaws are large (polishing/sintering damage decaying over
    ``surface_damage_depth``) and boundaries are weak, so tips run fast; deeper the flaws are
    small, the fracture stress exceeds the creep-capped pressure of the thick surface-crack
    fillings (``li_flow_stress``), and every tip arrests -- the plating current keeps flowing but
    goes into the electrode (creep relief). No timer is involved: the arrest depth follows from
    K_IC, the flaw profile and the Li flow stress.
    *The restart*: Li0 confined in a grain boundary (bulk route) is a sub-um filament that holds
    a much larger pressure (``confined_flow_stress``, smaller is stronger). When bulk Li0 joins
    the metal connected to B, its faces can fracture deep boundaries; the cracks it drives stay
    confined, so the tip runs until the pressure at its faces (current focusing) falls below the
    local fracture stress -- then it waits for the next bulk Li0 (alternation) or reaches A.

Bulk route
    Electrons enter the conducting boundary clusters from B-connected metal and are captured by
    empty traps first (fields.py pins open-trap cells); the bulk route cannot start before the
    traps of a cluster are filled (t_fill ~ q N_t h / j_e, hours). Once filled, a boundary cell
    whose driving force ``eta_d = phi_i - phi_e`` exceeds the barrier ``eta_nuc`` nucleates Li0
    at the rate ``k0 exp(alpha F (eta_d - eta_nuc) / RT)`` (a Poisson draw per step). A particle is
    pinned at the local Li/Li+ level and grows by the electron current that reaches it (slow,
    sigma_e-limited); when its cell is full the excess spills into the neighbour through which
    the electrons arrive (largest electron inflow; the driving force where none supplies any),
    so Li0 fed from the B-connected metal grows back toward it. Each new metal cell takes the
    local LLZO x6 (interface cells take the x6 of the Li+ that filled their crack).
    A particle drained by the network (shallower than other particles, or next to open traps)
    is oxidised and its electrons reduce Li+ at the cells they flow to (model.py, the relay).
"""

from __future__ import annotations

import numpy as np
from scipy import constants as sc

from dendritemr.sim.cell.fields import FieldSolution
from dendritemr.sim.cell.grid import Grid
from dendritemr.sim.cell.properties import LI_MOLAR_VOLUME_M3_MOL, CellProperties
from dendritemr.sim.scenario import Growth

__all__ = [
    "FARADAY",
    "crack_share",
    "flow_stress",
    "metal_side_confined",
    "nucleation_rate",
    "spill_targets",
    "plating_pressure",
]

#: Faraday constant (C/mol), CODATA via scipy.constants.
FARADAY = sc.physical_constants["Faraday constant"][0]


def plating_pressure(
    sol: FieldSolution, grid: Grid, props: CellProperties, tip_area_fraction: float = 1.0
) -> np.ndarray:
    """Pressure that plating can build at each Robin face of an electrode (Pa), before creep.

    The face current of a dendrite cell enters through its filament tips, a fraction
    ``tip_area_fraction`` of the face, so the local overpotential there is larger by its inverse
    (current focusing at tips); faces of the electrode plane use the full (contact) area.

    Parameters
    ----------
    sol : field solution of the step.
    grid, props : grid and properties.
    tip_area_fraction : loaded area fraction of a dendrite cell face (1).

    Returns
    -------
    ndarray
        ``F eta / V_m`` per face for plating faces, 0 elsewhere.
    """
    on_metal = (grid.face_kind == 0) & sol.robin
    i0_area = sol.robin_i0 * grid.face_area * np.where(on_metal, tip_area_fraction, 1.0)
    eta = np.divide(
        sol.plated_face * props.thermal_v, i0_area, out=np.zeros_like(i0_area), where=i0_area > 0
    )
    return np.where(sol.plated_face > 0, FARADAY * eta / LI_MOLAR_VOLUME_M3_MOL, 0.0)


def metal_side_confined(sol: FieldSolution, grid: Grid, confined: np.ndarray) -> np.ndarray:
    """Bool per face: the metal on the face's metal side is confined Li (electrodes: no)."""
    cell = sol.robin_cell
    metal_side = np.where(grid.face_a == cell, grid.face_b, grid.face_a)
    return np.concatenate([confined, [False, False]])[np.minimum(metal_side, grid.n + 1)]


def flow_stress(
    sol: FieldSolution,
    grid: Grid,
    confined: np.ndarray,
    growth: Growth,
    filling: np.ndarray | None = None,
) -> np.ndarray:
    """Creep-limited pressure cap of each face, set by the Li on its metal side (Pa).

    Li of the electrodes creeps back at ``li_flow_stress``; Li filling a crack fed from the
    foil of the face's electrode holds ``filling`` of its cell
    (``CellProperties.filling_flow_stress``: the size-dependent strength at the crack's
    opening, or ``li_flow_stress`` with ``crack_filling_strength = "bulk"``); Li confined in a
    grain boundary (bulk-route Li0 and cracks it drives) is a sub-um filament and holds
    ``confined_flow_stress`` (smaller is stronger, Xu et al. PNAS 2017).

    Parameters
    ----------
    sol : field solution (Robin faces and their electrolyte cells).
    grid : grid.
    confined : bool per cell, metal confined in a boundary.
    growth : flow stresses (MPa).
    filling : creep cap of each cell's crack filling, fed from B (row 0) or A (row 1) (Pa,
        shape (2, ``grid.n``)); None: every filling holds ``li_flow_stress``.

    Returns
    -------
    ndarray
        Pressure cap per face (Pa).
    """
    cell = sol.robin_cell
    metal_side = np.where(grid.face_a == cell, grid.face_b, grid.face_a)
    conf = metal_side_confined(sol, grid, confined)
    bulk = growth.li_flow_stress_MPa * 1e6
    if filling is None:
        own = np.full(metal_side.size, bulk)
    else:
        side = np.where(sol.robin, sol.robin_side, 0)
        padded = np.concatenate([filling, np.full((2, 2), bulk)], axis=1)
        own = padded[side, np.minimum(metal_side, grid.n + 1)]
    return np.where(conf, growth.confined_flow_stress_MPa * 1e6, own)


def crack_share(
    sol: FieldSolution,
    grid: Grid,
    props: CellProperties,
    metal: np.ndarray,
    growth: Growth,
    confined: np.ndarray | None = None,
) -> np.ndarray:
    """Fraction of each face's plated Li that goes into the crack ahead of it.

    Parameters
    ----------
    sol : field solution.
    grid, props : grid and properties.
    metal : bool per cell, metal cells.
    growth : growth parameters (flow stresses, DBM exponent).
    confined : bool per cell, metal confined in a boundary (None: none).

    Returns
    -------
    ndarray
        Share in [0, 1] per face (0 off plating Robin faces or where the tip arrests).
    """
    if confined is None:
        confined = np.zeros(grid.n, bool)
    cap = flow_stress(sol, grid, confined, growth, props.filling_flow_stress)
    pressure = np.minimum(plating_pressure(sol, grid, props, growth.tip_area_fraction), cap)
    cell = sol.robin_cell
    target_ok = sol.robin & (cell < grid.n)
    cell_safe = np.where(target_ok, cell, 0)
    stress = props.fracture_stress[cell_safe]
    open_ = target_ok & ~metal[cell_safe] & (pressure > stress) & (sol.plated_face > 0)
    share = np.zeros(sol.plated_face.size)
    if np.any(open_):
        top = sol.plated_face[open_].max()
        share[open_] = (sol.plated_face[open_] / top) ** max(growth.dbm_exponent - 1.0, 0.0)
    return share


def nucleation_rate(
    sol: FieldSolution, props: CellProperties, candidates: np.ndarray, growth: Growth
) -> np.ndarray:
    """Nucleation rate per cell (1/s): zero unless traps filled and ``eta_d > eta_nuc``.

    Parameters
    ----------
    sol : field solution.
    props : properties (thermal voltage).
    candidates : bool per cell: conducting boundary, traps filled, not metal.
    growth : nucleation barrier, prefactor and transfer coefficient.

    Returns
    -------
    ndarray
        Rate per cell (1/s).
    """
    n = candidates.size
    drive = sol.phi_i[:n] - sol.phi_e[:n]
    excess = drive - growth.nucleation_overpotential_mV * 1e-3
    ok = candidates & (excess > 0)
    k0 = growth.nucleation_rate_per_h / 3600.0
    arg = np.minimum(growth.nucleation_alpha * excess / props.thermal_v, 50.0)
    return np.where(ok, k0 * np.exp(arg), 0.0)


def spill_targets(
    cells: np.ndarray,
    neighbours: np.ndarray,
    metal: np.ndarray,
    drive: np.ndarray,
    electron_in: np.ndarray | None = None,
) -> np.ndarray:
    """Cell into which each overfull Li0 cell grows (-1 if enclosed).

    Li+ is reduced where electrons and Li+ meet: a particle fed through the electron-conducting
    boundary network grows at the face through which the electrons arrive (Li in a mixed
    ionic-electronic conductor deposits where the electronic current enters it). The target is
    the free neighbour with the largest electron inflow into the cell; where no free neighbour
    supplies electrons, the free neighbour of largest driving force.

    Parameters
    ----------
    cells : indices of overfull metal cells.
    neighbours : (n, 4) neighbour table (-1 beyond the electrodes).
    metal : bool per cell.
    drive : driving force ``phi_i - phi_e`` per cell (V).
    electron_in : (m, 4) electron current into each of ``cells`` through each of its four
        neighbour faces (A, positive = electrons arrive); None: driving force only.

    Returns
    -------
    ndarray of int
    """
    nb = neighbours[cells]
    valid = nb >= 0
    safe = np.where(valid, nb, 0)
    free = valid & ~metal[safe]
    score = np.where(free, drive[safe], -np.inf)
    if electron_in is not None:
        fed = free & (electron_in > 0)
        score = np.where(fed.any(axis=1)[:, None], np.where(fed, electron_in, -np.inf), score)
    best = np.argmax(score, axis=1)
    target = nb[np.arange(cells.size), best]
    return np.where(np.isfinite(score.max(axis=1)), target, -1)
