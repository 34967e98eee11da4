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

from dataclasses import dataclass

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
    "subcritical_damage",
    "subcritical_fracture_stress",
    "tip_load",
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
    return _pressure(sol.plated_face, _i0_area(sol, grid, tip_area_fraction), props.thermal_v)


def _i0_area(sol: FieldSolution, grid: Grid, tip_area_fraction: float) -> np.ndarray:
    """``i0 A_f`` of each face (A): the tip area on dendrite-cell faces, the face elsewhere."""
    on_metal = (grid.face_kind == 0) & sol.robin
    return sol.robin_i0 * grid.face_area * np.where(on_metal, tip_area_fraction, 1.0)


def _pressure(plated_face: np.ndarray, i0_area: np.ndarray, thermal_v: float) -> np.ndarray:
    """``P = F eta / V_m`` with ``eta = I_f RT / (F i0 A)`` on plating faces, 0 elsewhere."""
    eta = np.divide(plated_face * thermal_v, i0_area, out=np.zeros_like(i0_area), where=i0_area > 0)
    return np.where(plated_face > 0, FARADAY * eta / LI_MOLAR_VOLUME_M3_MOL, 0.0)


def _metal_side(sol: FieldSolution, grid: Grid) -> np.ndarray:
    """Node on the metal side of each face (the other node than ``robin_cell``), <= n + 1."""
    cell = sol.robin_cell
    return np.minimum(np.where(grid.face_a == cell, grid.face_b, grid.face_a), grid.n + 1)


def _own_cap(
    sol: FieldSolution, metal_side: np.ndarray, growth: Growth, filling: np.ndarray | None
) -> np.ndarray:
    """Creep cap of each face's unconfined Li (Pa): its crack filling's or the electrode's."""
    bulk = growth.li_flow_stress_MPa * 1e6
    if filling is None:
        return np.full(metal_side.size, bulk)
    side = np.where(sol.robin, sol.robin_side, 0)
    padded = np.concatenate([filling, np.full((2, 2), bulk)], axis=1)
    return padded[side, metal_side]


def _cap(conf: np.ndarray, own: np.ndarray, growth: Growth) -> np.ndarray:
    """Creep cap per face: confined Li holds ``confined_flow_stress``, other Li ``own``."""
    return np.where(conf, growth.confined_flow_stress_MPa * 1e6, own)


def metal_side_confined(sol: FieldSolution, grid: Grid, confined: np.ndarray) -> np.ndarray:
    """Bool per face: the metal on the face's metal side is confined Li (electrodes: no)."""
    return np.concatenate([confined, [False, False]])[_metal_side(sol, grid)]


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
    metal_side = _metal_side(sol, grid)
    conf = np.concatenate([confined, [False, False]])[metal_side]
    return _cap(conf, _own_cap(sol, metal_side, growth, filling), growth)


def crack_share(
    sol: FieldSolution,
    grid: Grid,
    props: CellProperties,
    metal: np.ndarray,
    growth: Growth,
    confined: np.ndarray | None = None,
    fracture_stress: np.ndarray | None = None,
) -> np.ndarray:
    """Fraction of each face's plated Li that goes into the crack ahead of it.

    Parameters
    ----------
    sol : field solution.
    grid, props : grid and properties.
    metal : bool per cell, metal cells.
    growth : growth parameters (flow stresses, DBM exponent).
    confined : bool per cell, metal confined in a boundary (None: none).
    fracture_stress : fracture stress per cell (Pa) after subcritical crack growth
        (:func:`subcritical_fracture_stress`); None: ``props.fracture_stress``.

    Returns
    -------
    ndarray
        Share in [0, 1] per face (0 off plating Robin faces or where the tip arrests).
    """
    fx, pressure, loaded = _tip_load(sol, grid, props, metal, growth, confined)
    stress = fx.stress if fracture_stress is None else fracture_stress[fx.cell_safe]
    open_ = loaded & (pressure > stress)
    share = np.zeros(sol.plated_face.size)
    if np.any(open_):
        top = sol.plated_face[open_].max()
        share[open_] = (sol.plated_face[open_] / top) ** max(growth.dbm_exponent - 1.0, 0.0)
    return share


def _tip_load(
    sol: FieldSolution,
    grid: Grid,
    props: CellProperties,
    metal: np.ndarray,
    growth: Growth,
    confined: np.ndarray | None,
) -> tuple[_FaceStatics, np.ndarray, np.ndarray]:
    """Statics, creep-capped plating pressure per face (Pa) and the faces that load a crack
    (plating faces whose electrolyte cell is not metal)."""
    if confined is None:
        confined = np.zeros(grid.n, bool)
    fx = _face_statics(sol, grid, props, growth)
    # flow_stress and plating_pressure, their parts fixed by the ionic network from the cache
    cap = _cap(np.concatenate([confined, [False, False]])[fx.metal_side], fx.own, growth)
    pressure = np.minimum(_pressure(sol.plated_face, fx.i0_area, props.thermal_v), cap)
    loaded = fx.target_ok & ~metal[fx.cell_safe] & (sol.plated_face > 0)
    return fx, pressure, loaded


def tip_load(
    sol: FieldSolution,
    grid: Grid,
    props: CellProperties,
    metal: np.ndarray,
    growth: Growth,
    confined: np.ndarray | None = None,
) -> np.ndarray:
    """Pressure on the crack ahead of each electrolyte cell's most loaded plating face (Pa).

    The same creep-capped plating pressure ``min(F eta / V_m, cap)`` that :func:`crack_share`
    compares with the fracture stress; the largest over the faces into a cell.

    Parameters
    ----------
    sol, grid, props, metal, growth, confined : as :func:`crack_share`.

    Returns
    -------
    ndarray
        Shape ``(grid.n,)``, Pa; 0 for cells without a plating face or that are metal.
    """
    fx, pressure, loaded = _tip_load(sol, grid, props, metal, growth, confined)
    out = np.zeros(grid.n)
    np.maximum.at(out, fx.cell_safe[loaded], pressure[loaded])
    return out


def subcritical_damage(
    damage: np.ndarray,
    load_pa: np.ndarray,
    fracture_stress_pa: np.ndarray,
    flaw_m: np.ndarray,
    velocity_m_s: float,
    exponent: float,
    dt_s: float,
) -> np.ndarray:
    """Advance the subcritical (stress-corrosion) growth of each cell's flaw over one step.

    Crack velocity ``v = v_c (K_I / K_IC)^n`` (Charles 1958; Wiederhorn 1967; Freiman 1984)
    with ``K_I = Y P sqrt(pi a)`` for a flaw ``a`` held open by the pressure ``P``, so
    ``K_I / K_IC = (P / sigma_0) sqrt(a / a_0)`` with ``sigma_0 = K_IC / (Y sqrt(pi a_0))``
    the fracture stress of the pristine flaw ``a_0``. With ``x = a / a_0`` the growth law
    ``dx/dt = (v_c / a_0) (P / sigma_0)^n x^(n/2)`` integrates exactly at constant ``P``:
    the state ``u = x^(1 - n/2)`` (1 for a pristine flaw, 0 for a crack grown without bound)
    falls linearly, ``du/dt = -(n/2 - 1) (v_c / a_0) (P / sigma_0)^n``   [derived].
    The time to fracture of a pristine flaw at constant ``P`` follows,
    ``t_f = (1 - (P / sigma_0)^(n-2)) a_0 / ((n/2 - 1) v_c (P / sigma_0)^n)`` (the lifetime
    formula of power-law slow crack growth, Evans & Wiederhorn 1974).

    Parameters
    ----------
    damage : ``u`` per cell before the step (1 = pristine).
    load_pa : pressure on each cell's crack during the step (Pa; 0 = unloaded).
    fracture_stress_pa : pristine fracture stress ``sigma_0`` per cell (Pa).
    flaw_m : pristine flaw ``a_0`` per cell (m).
    velocity_m_s : ``v_c``, the velocity at ``K_I = K_IC`` (m/s); 0 returns ``damage``.
    exponent : ``n`` (> 2).
    dt_s : step (s).

    Returns
    -------
    ndarray
        ``u`` after the step, clipped at 0.
    """
    if velocity_m_s <= 0 or not np.any(load_pa > 0):
        return damage
    ratio = load_pa / fracture_stress_pa
    rate = (exponent / 2.0 - 1.0) * velocity_m_s / flaw_m * ratio**exponent
    return np.maximum(damage - rate * dt_s, 0.0)


def subcritical_fracture_stress(
    fracture_stress_pa: np.ndarray, damage: np.ndarray, exponent: float
) -> np.ndarray:
    """Fracture stress of flaws grown subcritically: ``sigma_0 u^(1/(n-2))`` (Pa).

    ``sigma_c = K_IC / (Y sqrt(pi a))`` with ``a = a_0 u^(-2/(n-2))``
    (:func:`subcritical_damage`); 0 where the crack has run (``u = 0``).
    """
    return fracture_stress_pa * damage ** (1.0 / (exponent - 2.0))


@dataclass(frozen=True)
class _FaceStatics:
    """Parts of :func:`crack_share` fixed by the ionic network (its Robin faces)."""

    metal_side: np.ndarray  # metal-side node of each face, clipped to n + 1
    own: np.ndarray  # creep cap of the face's own (unconfined) Li (Pa)
    i0_area: np.ndarray  # i0 A_f of each face, tip-weighted on dendrite faces (A)
    target_ok: np.ndarray
    cell_safe: np.ndarray
    stress: np.ndarray  # fracture stress of the face's electrolyte cell (Pa)


#: One entry per run: the statics of the last ionic network (checked by identity).
_STATICS: dict[int, tuple] = {}


def _face_statics(
    sol: FieldSolution, grid: Grid, props: CellProperties, growth: Growth
) -> _FaceStatics:
    """:class:`_FaceStatics` of ``sol``'s ionic network, cached while the field solver hands
    out the same arrays (it does while the electrode metal is unchanged)."""
    key = id(sol.robin_cell)
    hit = _STATICS.get(key)
    if hit is not None:
        arrays, grid_c, props_c, growth_c, statics = hit
        same = arrays[0] is sol.robin_cell and arrays[1] is sol.robin
        same = same and arrays[2] is sol.robin_i0 and arrays[3] is sol.robin_side
        if same and grid_c is grid and props_c is props and growth_c is growth:
            return statics
    metal_side = _metal_side(sol, grid)
    own = _own_cap(sol, metal_side, growth, props.filling_flow_stress)
    i0_area = _i0_area(sol, grid, growth.tip_area_fraction)
    target_ok = sol.robin & (sol.robin_cell < grid.n)
    cell_safe = np.where(target_ok, sol.robin_cell, 0)
    statics = _FaceStatics(
        metal_side, own, i0_area, target_ok, cell_safe, props.fracture_stress[cell_safe]
    )
    _STATICS.clear()
    _STATICS[key] = (
        (sol.robin_cell, sol.robin, sol.robin_i0, sol.robin_side),
        grid,
        props,
        growth,
        statics,
    )
    return statics


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
